import assert from "node:assert/strict";
import { chmodSync, readFileSync } from "node:fs";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { ACCEL } from "../../../tools/support/accel";

// Live changes need no guest OS, so these run domains with no disk to boot, on the host's accelerator (kvm, else qemu) (libvirt-protocol.md §12).
const URI = "qemu:///system";
const qemuPid = (name: string) => readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();
const domId = (name: string) => virsh(URI, "domid", name);

describe(`virt:Domain against qemu:///system (type ${ACCEL()}, no guest OS)`, function () {
  this.timeout(180000);
  const lines: string[] = [];
  const dir = tempDir("dom-res");
  const pool = uniqueName("pool");
  const net = uniqueName("net");
  const names: string[] = [];
  let lv: Libvirt;

  before(async () => {
    setReporter((l) => lines.push(l));
    chmodSync(dir.path, 0o755); // QEMU runs as libvirt-qemu and must reach the volume
    virsh(URI, "pool-define-as", pool, "dir", "--target", `${dir.path}/images`);
    virsh(URI, "pool-build", pool);
    virsh(URI, "pool-start", pool);
    virsh(URI, "vol-create-as", pool, "data.qcow2", "16M", "--format", "qcow2");
    lv = await Libvirt.connect(URI);
    await lv.networks.create(await lv.networks.defineXML(`<network><name>${net}</name></network>`));
  });
  after(async () => {
    await cleanupAll([
      () => {
        for (const n of names) {
          virshMaybe(URI, "destroy", n);
          virshMaybe(URI, "undefine", n, "--nvram");
        }
      },
      () => {
        virshMaybe(URI, "vol-delete", "--pool", pool, "data.qcow2");
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-undefine", pool);
        virshMaybe(URI, "net-destroy", net);
        virshMaybe(URI, "net-undefine", net);
      },
      () => lv.close(),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
    const r = await domain.check(olds, { connection: { uri: URI }, type: ACCEL(), ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }
  const base = (name: string) => ({ name, memory: "256MiB", currentMemory: "128MiB", vcpus: 1, maxVcpus: 2, shutdownTimeout: 2, hotplugTimeout: 3 });

  it("changes memory, vCPUs, disks and NICs live: same domain id, same QEMU process", async () => {
    const name = uniqueName("dom");
    names.push(name);
    const inputs = await checked(base(name));
    const { id, outs } = await domain.create(inputs);
    assert.equal(outs["state"], "running");
    assert.equal(outs["resolvedType"], ACCEL());
    const [idBefore, pidBefore] = [domId(name), qemuPid(name)];

    const read = await domain.read(id, outs);
    assert.deepEqual(await domain.diff(id, read.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });

    // currentMemory: one live setmem (the config is what drift is judged on; the balloon only reports)
    const mem = await checked({ ...base(name), currentMemory: "96MiB" }, outs);
    const d1 = await domain.diff(id, read.props, mem);
    assert.equal(d1.changes, true);
    assert.ok(lines.includes(`virt:Domain ${name}: currentMemory 128MiB → 96MiB (ballooned live)`), lines.join("\n"));
    const u1 = await domain.update(id, read.props, mem);
    assert.match(virsh(URI, "dumpxml", "--inactive", name), /<currentMemory unit='KiB'>98304</);
    assert.deepEqual(u1.outs["pendingRestart"], []);

    // vCPUs 1 → 2 live
    const cpus = await checked({ ...base(name), currentMemory: "96MiB", vcpus: 2 }, u1.outs);
    const u2 = await domain.update(id, u1.outs, cpus);
    assert.equal(virsh(URI, "vcpucount", name, "--live", "--active"), "2");

    // A volume disk and a second NIC, hot-plugged
    const plugged = {
      ...base(name),
      currentMemory: "96MiB",
      vcpus: 2,
      disks: [{ volume: { pool, volume: "data.qcow2" } }],
      networkInterfaces: [{ network: net }],
    };
    const withDevs = await checked(plugged, u2.outs);
    const d3 = await domain.diff(id, u2.outs, withDevs);
    assert.deepEqual(d3.replaces, []);
    const u3 = await domain.update(id, u2.outs, withDevs);
    assert.match(virsh(URI, "domblklist", name), /vda\s+data\.qcow2/);
    assert.match(virsh(URI, "domiflist", name), new RegExp(`network\\s+${net}\\s+virtio\\s+${(u3.outs["macs"] as string[])[0]}`));
    assert.deepEqual([domId(name), qemuPid(name)], [idBefore, pidBefore], "the same running domain throughout");

    // Removing them: the config drops them at once; a guest with no OS never releases them, which is a clear error.
    const removed = await checked({ ...base(name), currentMemory: "96MiB", vcpus: 2 }, u3.outs);
    await assert.rejects(
      domain.update(id, u3.outs, removed),
      new RegExp(`the disk vda and the interface ${(u3.outs["macs"] as string[])[0]} were asked to detach but the guest has not released them after 3 s`),
    );
    assert.doesNotMatch(virsh(URI, "dumpxml", "--inactive", name), /data\.qcow2/);

    await domain.delete(id, u3.outs);
    assert.equal(virshMaybe(URI, "domstate", name), null, "deleted after the shutdown timeout (no OS answers ACPI)");
  });

  it("leaves config-only changes pending, or restarts to apply them with restartPolicy restart", async () => {
    const name = uniqueName("dom");
    names.push(name);
    const inputs = await checked(base(name));
    const { id, outs } = await domain.create(inputs);
    const bigger = await checked({ ...base(name), memory: "320MiB" }, outs);
    const u1 = await domain.update(id, outs, bigger);
    assert.deepEqual(u1.outs["pendingRestart"], ["memory"]);
    assert.ok(lines.some((l) => l === `virt:Domain ${name}: saved, takes effect at the next start: memory`));
    assert.match(virsh(URI, "dominfo", name), /Max memory:\s+262144 KiB/, "the running domain is untouched");

    const idBefore = domId(name);
    const restart = await checked({ ...base(name), memory: "320MiB", restartPolicy: "restart" }, u1.outs);
    const u2 = await domain.update(id, u1.outs, restart);
    assert.deepEqual(u2.outs["pendingRestart"], []);
    assert.match(virsh(URI, "dominfo", name), /Max memory:\s+327680 KiB/);
    assert.notEqual(domId(name), idBefore, "it was restarted");
    assert.equal(u2.outs["state"], "running");

    assert.deepEqual(
      (await domain.diff(id, u2.outs, await checked({ ...base(name), memory: "320MiB", type: ACCEL() === "kvm" ? "qemu" : "kvm" }, u2.outs))).replaces,
      ["type"],
    );
    await domain.delete(id, u2.outs);
  });

  it("type kvm: refused with what to do on a host without KVM (nothing defined), taken where KVM works", async () => {
    const name = uniqueName("dom-kvm");
    names.push(name);
    const inputs = await checked({ ...base(name), type: "kvm" });
    if (ACCEL() === "qemu") {
      await assert.rejects(domain.create(inputs), (e: Error) => {
        assert.equal(e.name, "ResourceInputError");
        assert.match(e.message, new RegExp(`^virt:Domain ${name}: type: "kvm" — this host \\(qemu:///system\\) cannot run KVM guests`));
        assert.match(e.message, /Set type: "auto"/);
        return true;
      });
      assert.equal(virshMaybe(URI, "domstate", name), null, "nothing was defined");
    } else {
      const { id, outs } = await domain.create(inputs);
      assert.equal(outs["resolvedType"], "kvm");
      assert.match(virsh(URI, "dumpxml", name), /^<domain type='kvm'/);
      await domain.delete(id, outs);
    }
  });

  it("refuses bad input before touching the host, naming the property", async () => {
    const r = await domain.check(
      {},
      {
        name: "x",
        type: "kvm",
        memory: "128MiB",
        currentMemory: "256MiB",
        vcpus: 4,
        maxVcpus: 2,
        os: { type: "xen" },
        memballoon: "xen",
        disks: [
          { file: "/a.img", bus: "xen" },
          { file: "/b.img", target: "vdb" },
          { file: "/c.img", target: "vdb" },
        ],
        networkInterfaces: [
          { network: "n", mac: "52:54:00:00:00:01" },
          { network: "n", mac: "52:54:00:00:00:01" },
        ],
      },
    );
    const text = r.failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
    for (const re of [
      /currentMemory: 256MiB is more than memory \(128MiB\)/,
      /vcpus: 4 is more than maxVcpus \(2\)/,
      /os\.type: "xen" is for Xen guests/,
      /memballoon: "xen" is the Xen balloon/,
      /disks\[0\]\.bus: the xen bus needs a Xen domain/,
      /target "vdb" is already used by disks\[1\]/,
      /mac "52:54:00:00:00:01" is already used by networkInterfaces\[0\]/,
    ])
      assert.match(text, re);
  });
});
