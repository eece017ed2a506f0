import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { closeAll, connect } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { PartialUpdateError, Props, setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// Data safety of Domain updates against qemu:///system, judged with virsh. The domains have no guest OS (type auto:
// kvm where usable, else qemu), so an unplug is never acknowledged and a vCPU unplug is refused.
const URI = "qemu:///system";

/** Free PCIe root ports in a domain's XML, counted by hand (controllers whose index no device's address names as bus). */
function freePorts(xml: string): number {
  const ports = [...xml.matchAll(/<controller type='pci' index='(\d+)' model='pcie-root-port'>/g)].map((m) => Number(m[1]));
  const buses = new Set([...xml.matchAll(/<address type='pci' domain='0x0000' bus='(0x[0-9a-f]+)'/g)].map((m) => Number(m[1])));
  return ports.filter((p) => !buses.has(p)).length;
}

describe("virt:Domain data safety against qemu:///system (no guest OS)", function () {
  this.timeout(180000);
  const lines: string[] = [];
  const dir = tempDir("saf-dom");
  const pool = uniqueName("saf-pool");
  const net = uniqueName("saf-net");
  const names: string[] = [];

  before(() => {
    setReporter((l) => lines.push(l));
    chmodSync(dir.path, 0o755); // QEMU runs as libvirt-qemu and must reach the volumes
    virsh(URI, "pool-define-as", pool, "dir", "--target", `${dir.path}/images`);
    virsh(URI, "pool-build", pool);
    virsh(URI, "pool-start", pool);
    for (const v of ["a.qcow2", "b.qcow2", "c.qcow2"]) virsh(URI, "vol-create-as", pool, v, "16M", "--format", "qcow2");
    writeFileSync(join(dir.path, "net.xml"), `<network><name>${net}</name></network>`);
    virsh(URI, "net-define", join(dir.path, "net.xml"));
    virsh(URI, "net-start", net);
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
        for (const v of ["a.qcow2", "b.qcow2", "c.qcow2"]) virshMaybe(URI, "vol-delete", "--pool", pool, v);
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-undefine", pool);
        virshMaybe(URI, "net-destroy", net);
        virshMaybe(URI, "net-undefine", net);
      },
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  async function checked(news: Props, olds: Props = {}): Promise<Props> {
    const r = await domain.check(olds, { connection: { uri: URI }, type: "auto", ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }
  const base = (name: string): Props => ({ name, memory: "128MiB", vcpus: 1, maxVcpus: 2, shutdownTimeout: 1, hotplugTimeout: 2 });
  const named = (what: string) => {
    const n = uniqueName(`saf-${what}`);
    names.push(n);
    return n;
  };

  it("d, e, b: a timed-out unplug of a disk and a NIC asks both, names both, and returns the host's state", async () => {
    const name = named("unplug");
    const inputs = await checked({ ...base(name), disks: [{ volume: { pool, volume: "a.qcow2" } }], networkInterfaces: [{ network: net }] });
    const { id, outs } = await domain.create(inputs);
    const mac = (outs["macs"] as string[])[0]!;
    const removed = await checked(base(name), outs);
    let partial: PartialUpdateError | undefined;
    // The unplug requests the provider sends to the daemon (QEMU accepts a repeated request, so the host cannot tell).
    const lv = await connect(URI);
    // Recorded by wrapping the client's method for this call only (restored in finally).
    const original = lv.domains.detachDevice;
    const asked: string[] = [];
    lv.domains.detachDevice = function (this: typeof lv.domains, ...args: Parameters<typeof original>) {
      asked.push(String(args[1]));
      return original.apply(this, args);
    };
    try {
      await assert.rejects(domain.update(id, outs, removed), (e: unknown) => {
        assert.ok(e instanceof PartialUpdateError, String(e));
        partial = e;
        return true;
      });
    } finally {
      lv.domains.detachDevice = original;
    }
    assert.equal(asked.length, 2, asked.join("\n"));
    assert.ok(
      asked.some((x) => /<disk[\s\S]*<target dev=.vda./.test(x)),
      asked.join("\n"),
    );
    assert.ok(
      asked.some((x) => new RegExp(`<interface[\\s\\S]*<mac address=.${mac}.`).test(x)),
      asked.join("\n"),
    );
    assert.match(partial!.message, new RegExp(`the disk vda and the interface ${mac} were asked to detach but the guest has not released them after 2 s`));
    assert.equal(partial!.id, id);
    // The state it returns: the config (no disk, no NIC) and what the running domain still holds, pending.
    const props = partial!.properties;
    assert.deepEqual(props["disks"] ?? [], []);
    assert.deepEqual(props["networkInterfaces"] ?? [], []);
    assert.deepEqual(new Set(props["pendingRestart"] as string[]), new Set(["disks[vda]", `networkInterfaces[${mac}]`]));
    // A refresh sees it too.
    const read = await domain.read(id, props);
    assert.deepEqual(new Set(read.props["pendingRestart"] as string[]), new Set(["disks[vda]", `networkInterfaces[${mac}]`]));
  });

  it("e: a vCPU unplug the guest cannot do is saved for the next boot and listed in pendingRestart", async () => {
    const name = named("vcpu");
    const { id, outs } = await domain.create(await checked(base(name)));
    const two = await domain.update(id, outs, await checked({ ...base(name), vcpus: 2 }, outs));
    assert.equal(virsh(URI, "vcpucount", name, "--live", "--active"), "2");
    assert.deepEqual(two.outs["pendingRestart"], []);
    const one = await domain.update(id, two.outs, await checked(base(name), two.outs));
    assert.equal(virsh(URI, "vcpucount", name, "--config", "--active"), "1");
    assert.equal(virsh(URI, "vcpucount", name, "--live", "--active"), "2", "the unplug waits for the next boot");
    assert.deepEqual(one.outs["pendingRestart"], ["vcpus"]);
    assert.deepEqual((await domain.read(id, one.outs)).props["pendingRestart"], ["vcpus"]);
  });

  it("f: keepNvram or shutdownTimeout alone is an update that records the new value (no host change)", async () => {
    const name = named("recorded");
    const inputs = await checked(base(name));
    const { id, outs } = await domain.create(inputs);
    const xmlBefore = virsh(URI, "dumpxml", "--inactive", name);
    const keep = await checked({ ...base(name), keepNvram: true, shutdownTimeout: 7 }, outs);
    lines.length = 0;
    assert.equal((await domain.diff(id, outs, keep)).changes, true);
    assert.ok(
      lines.includes(`virt:Domain ${name}: keepNvram false → true (recorded in the state for later operations; nothing changes on the host)`),
      lines.join("\n"),
    );
    const u = await domain.update(id, outs, keep);
    assert.equal(u.outs["keepNvram"], true);
    assert.equal(u.outs["shutdownTimeout"], 7);
    assert.equal(virsh(URI, "dumpxml", "--inactive", name), xmlBefore, "the definition is untouched");
    assert.equal((await domain.diff(id, u.outs, keep)).changes, false);
  });

  it("c: a q35 domain keeps free PCIe root ports, so a disk and a NIC hot-plug together", async () => {
    const name = named("q35");
    const inputs = await checked({ ...base(name), os: { machine: "q35" } });
    const { id, outs } = await domain.create(inputs);
    assert.ok(freePorts(virsh(URI, "dumpxml", name)) >= 4, virsh(URI, "dumpxml", name));
    const both = await checked(
      { ...base(name), os: { machine: "q35" }, disks: [{ volume: { pool, volume: "b.qcow2" } }], networkInterfaces: [{ network: net }] },
      outs,
    );
    const u = await domain.update(id, outs, both);
    assert.match(virsh(URI, "domblklist", name), /vda\s+b\.qcow2/);
    assert.match(virsh(URI, "domiflist", name), new RegExp(`network\\s+${net}`));
    assert.deepEqual(u.outs["pendingRestart"], []);
  });

  it("c: with no free root port, the plan says the hot-plug will not fit and the devices wait in the config", async () => {
    const name = named("full");
    const inputs = await checked({ ...base(name), os: { machine: "q35" }, hotplugSlots: 0 });
    const { id, outs } = await domain.create(inputs);
    const free = freePorts(virsh(URI, "dumpxml", name));
    const both = await checked(
      { ...base(name), os: { machine: "q35" }, hotplugSlots: 0, disks: [{ volume: { pool, volume: "c.qcow2" } }], networkInterfaces: [{ network: net }] },
      outs,
    );
    lines.length = 0;
    const d = await domain.diff(id, outs, both);
    assert.equal(d.changes, true);
    assert.ok(
      lines.some(
        (l) => l.startsWith(`virt:Domain ${name}: 2 PCI devices to hot-plug (disk vda, interface `) && l.includes(`but only ${free} free PCIe root port`),
      ),
      lines.join("\n"),
    );
    const u = await domain.update(id, outs, both);
    const mac = (u.outs["macs"] as string[])[0]!;
    assert.match(virsh(URI, "dumpxml", "--inactive", name), /c\.qcow2/);
    assert.ok(
      lines.some((l) => l.includes("no free PCIe root port left for")),
      lines.join("\n"),
    );
    const pending = u.outs["pendingRestart"] as string[];
    assert.equal(pending.filter((p) => p === "disks[vda]" || p === `networkInterfaces[${mac}]`).length, 2 - free, JSON.stringify(pending));
  });

  it("i: a domain made transient behind the stack is drift; up defines it again; delete after it vanished succeeds", async () => {
    const name = named("transient");
    const inputs = await checked(base(name));
    const { id, outs } = await domain.create(inputs);
    assert.equal(outs["persistent"], true);
    virsh(URI, "undefine", name);
    assert.match(virsh(URI, "dominfo", name), /Persistent:\s+no/);
    const read = await domain.read(id, outs);
    assert.equal(read.props["persistent"], false);
    assert.equal((await domain.diff(id, read.props, inputs)).changes, true);
    // A live change on it: the definition comes back first, so libvirt's "transient domains do not have any persistent config" never shows.
    const u = await domain.update(id, read.props, await checked({ ...base(name), vcpus: 2 }, read.props));
    assert.match(virsh(URI, "dominfo", name), /Persistent:\s+yes/);
    assert.equal(u.outs["persistent"], true);
    assert.equal(virsh(URI, "vcpucount", name, "--config", "--active"), "2");
    // Transient again: the forced shutdown makes it vanish; delete treats that as deleted.
    virsh(URI, "undefine", name);
    await domain.delete(id, u.outs);
    assert.equal(virshMaybe(URI, "domstate", name), null);
  });
});
