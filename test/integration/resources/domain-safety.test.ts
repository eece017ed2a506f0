import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { PartialUpdateError, setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../support/host";
import { ACCEL } from "../../support/accel";

// Data safety of Domain updates and deletes (issue 10 §2), on domains with no guest OS: a hot-unplug is never
// acknowledged there, which is the failure these tests need.
const URI = "qemu:///system";

describe(`virt:Domain data safety against qemu:///system (type ${ACCEL()}, no guest OS)`, function () {
  this.timeout(180000);
  const lines: string[] = [];
  const dir = tempDir("sf2-dom");
  const pool = uniqueName("sf2-pool");
  const net = uniqueName("sf2-net");
  const names: string[] = [];
  let lv: Libvirt;

  before(async () => {
    setReporter((l) => lines.push(l));
    chmodSync(dir.path, 0o755);
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
  const base = (name: string) => ({ name, memory: "256MiB", vcpus: 1, maxVcpus: 2, shutdownTimeout: 2, hotplugTimeout: 3 });

  it("a change of shutdownTimeout or keepNvram alone is an update that records the value delete uses (no host change)", async () => {
    const name = uniqueName("sf2-dom");
    names.push(name);
    const inputs = await checked(base(name));
    const { id, outs } = await domain.create(inputs);
    const configBefore = virsh(URI, "dumpxml", "--inactive", name);

    const longer = await checked({ ...base(name), shutdownTimeout: 25 }, outs);
    const d1 = await domain.diff(id, outs, longer);
    assert.equal(d1.changes, true);
    assert.deepEqual(d1.replaces, []);
    assert.ok(lines.includes(`virt:Domain ${name}: shutdownTimeout 2 → 25 (recorded; used when the domain is deleted)`), lines.join("\n"));
    const u1 = await domain.update(id, outs, longer);
    assert.equal(u1.outs["shutdownTimeout"], 25);

    const keep = await checked({ ...base(name), shutdownTimeout: 1, keepNvram: true }, u1.outs);
    assert.equal((await domain.diff(id, u1.outs, keep)).changes, true);
    const u2 = await domain.update(id, u1.outs, keep);
    assert.equal(u2.outs["shutdownTimeout"], 1);
    assert.equal(u2.outs["keepNvram"], true);
    assert.equal((await domain.diff(id, u2.outs, keep)).changes, false, "converged");
    assert.equal(virsh(URI, "dumpxml", "--inactive", name), configBefore, "the host was not changed");

    await domain.delete(id, u2.outs);
    assert.equal(virshMaybe(URI, "domstate", name), null);
  });

  it("an unplug that times out asks every device, names all that stayed, leaves a state that describes the host, and a later up converges", async () => {
    const name = uniqueName("sf2-dom");
    names.push(name);
    const withDevs = await checked({ ...base(name), disks: [{ volume: { pool, volume: "data.qcow2" } }], networkInterfaces: [{ network: net }] });
    const { id, outs } = await domain.create(withDevs);
    const mac = (outs["macs"] as string[])[0]!;
    assert.match(virsh(URI, "domiflist", name), new RegExp(mac));

    const bare = await checked(base(name), outs);
    const err = await domain.update(id, outs, bare).then(
      () => assert.fail("the update should fail: a guest with no OS never releases a device"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PartialUpdateError, String(err));
    assert.match(err.message, new RegExp(`the disk vda and the interface ${mac} were asked to detach but the guest has not released them after 3 s`));
    assert.equal(err.id, id);
    // Both still attached live, both gone from the config.
    assert.match(virsh(URI, "domblklist", name), /vda/);
    assert.match(virsh(URI, "domiflist", name), new RegExp(mac));
    const config = virsh(URI, "dumpxml", "--inactive", name);
    assert.doesNotMatch(config, /data\.qcow2/);
    assert.doesNotMatch(config, new RegExp(mac));

    // The partial state: what is live is shown, and the devices are pending.
    const state = err.properties;
    assert.deepEqual([...(state["pendingRestart"] as string[])].sort(), ["disks", "networkInterfaces"]);
    assert.equal((state["disks"] as unknown[]).length, 1);
    const d = await domain.diff(id, state, bare);
    assert.equal(d.changes, true, "the next preview shows the removal again");

    // Refresh of that state agrees with it (not "converged").
    const read = await domain.read(id, state);
    assert.deepEqual([...(read.props["pendingRestart"] as string[])].sort(), ["disks", "networkInterfaces"]);

    // Once the domain stopped, the next up converges.
    virsh(URI, "destroy", name);
    const u = await domain.update(id, read.props, { ...bare, running: false });
    assert.deepEqual(u.outs["pendingRestart"], []);
    assert.equal((await domain.diff(id, u.outs, { ...bare, running: false })).changes, false);
    await domain.delete(id, u.outs);
  });

  it("a vCPU unplug the guest does not complete shows in pendingRestart", async () => {
    const name = uniqueName("sf2-dom");
    names.push(name);
    const two = await checked({ ...base(name), vcpus: 2 });
    const { id, outs } = await domain.create(two);
    const one = await checked({ ...base(name), vcpus: 1 }, outs);
    const u = await domain.update(id, outs, one);
    assert.equal(virsh(URI, "vcpucount", name, "--config", "--active"), "1");
    assert.equal(virsh(URI, "vcpucount", name, "--live", "--active"), "2", "no guest OS: the vCPU stays live");
    assert.deepEqual(u.outs["pendingRestart"], ["vcpus"]);
    const read = await domain.read(id, u.outs);
    assert.deepEqual(read.props["pendingRestart"], ["vcpus"]);
    await domain.delete(id, u.outs);
  });
});
