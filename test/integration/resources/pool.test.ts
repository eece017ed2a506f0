import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { Libvirt } from "../../../provider/libvirt";
import { storagePool } from "../../../provider/resources/pool";
import { closeAll } from "../../../provider/resources/connections";
import { setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";

describe("virt:StoragePool against qemu:///system", function () {
  this.timeout(60000);
  const lines: string[] = [];
  let lv: Libvirt;
  const dir = tempDir("pool-res");
  const made: string[] = [];
  before(async () => {
    setReporter((l) => lines.push(l));
    lv = await Libvirt.connect(URI);
  });
  after(async () => {
    await cleanupAll([
      async () => {
        for (const name of made) {
          if (virshMaybe(URI, "pool-info", name) === null) continue;
          virshMaybe(URI, "pool-destroy", name);
          virshMaybe(URI, "pool-undefine", name);
        }
      },
      () => lv.close(),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
    const r = await storagePool.check(olds, news);
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }

  it("creates a dir pool (building its directory), reads it back with no diff, changes autostart live, deletes it and its directory", async () => {
    const name = uniqueName("pool");
    made.push(name);
    const path = `${dir.path}/${name}`;
    const inputs = await checked({ name, target: { path }, connection: { uri: URI } });
    assert.equal(inputs["type"], "dir");
    assert.equal(inputs["autostart"], true);

    const { id, outs } = await storagePool.create(inputs);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(outs["uri"], URI);
    assert.ok(existsSync(path), "the directory was built");
    assert.match(virsh(URI, "pool-info", name), /State:\s+running/);
    assert.match(virsh(URI, "pool-info", name), /Autostart:\s+yes/);
    assert.ok((outs["capacity"] as number) > 0);

    const read = await storagePool.read(id, outs);
    assert.equal(read.id, id);
    const noop = await storagePool.diff(id, read.props, inputs);
    assert.deepEqual(noop, { changes: false, replaces: [], deleteBeforeReplace: false });

    const news = await checked({ name, target: { path }, connection: { uri: URI }, autostart: false }, inputs);
    const d = await storagePool.diff(id, read.props, news);
    assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.ok(lines.includes(`virt:StoragePool ${name}: autostart true → false (set live)`), lines.join("\n"));
    const up = await storagePool.update(id, read.props, news);
    assert.equal(up.outs["autostart"], false);
    assert.match(virsh(URI, "pool-info", name), /Autostart:\s+no/);

    // Drift made behind our back shows on read.
    virsh(URI, "pool-autostart", name);
    assert.equal((await storagePool.read(id, up.outs)).props["autostart"], true);

    const moved = await checked({ name, target: { path: `${path}-b` }, connection: { uri: URI } }, inputs);
    assert.deepEqual(await storagePool.diff(id, read.props, moved), { changes: true, replaces: ["target"], deleteBeforeReplace: true });

    await storagePool.delete(id, up.outs);
    assert.equal(virshMaybe(URI, "pool-info", name), null);
    assert.ok(!existsSync(path), "the directory this resource made is removed");
    assert.deepEqual(await storagePool.read(id, up.outs), { id: "", props: {} });
  });

  it("refuses to delete a pool that still holds volumes it does not manage, and lists them", async () => {
    const name = uniqueName("pool");
    made.push(name);
    const path = `${dir.path}/${name}`;
    const { id, outs } = await storagePool.create(await checked({ name, target: { path }, connection: { uri: URI } }));
    virsh(URI, "vol-create-as", name, "precious.raw", "1M");
    await assert.rejects(storagePool.delete(id, outs), /still holds 1 volume\(s\) this stack does not manage: precious\.raw/);
    assert.match(virsh(URI, "pool-info", name), /running/, "nothing was stopped");
    assert.match(virsh(URI, "vol-list", name), /precious\.raw/);
    virsh(URI, "vol-delete", "--pool", name, "precious.raw");
    await storagePool.delete(id, outs);
    assert.equal(virshMaybe(URI, "pool-info", name), null);
  });

  it("refuses an existing name unless adopt is set, then manages the existing pool", async () => {
    const name = uniqueName("pool");
    made.push(name);
    const path = `${dir.path}/${name}`;
    virsh(URI, "pool-define-as", name, "dir", "--target", path);
    virsh(URI, "pool-build", name);
    virsh(URI, "pool-start", name);
    const inputs = await checked({ name, target: { path }, connection: { uri: URI } });
    await assert.rejects(storagePool.create(inputs), /already exists on qemu:\/\/\/system; set adopt: true/);
    const { id, outs } = await storagePool.create({ ...inputs, adopt: true });
    assert.equal(id, virsh(URI, "pool-uuid", name));
    assert.equal(outs["builtTarget"], false);
    assert.match(virsh(URI, "pool-info", name), /Autostart:\s+yes/);
    await storagePool.delete(id, outs);
    assert.equal(virshMaybe(URI, "pool-info", name), null);
    assert.ok(existsSync(path), "a directory the resource did not make is left alone");
  });

  it("checks pool sources per type before touching the host", async () => {
    const r = await storagePool.check({}, { name: "x", type: "netfs", target: { path: "/mnt/x" }, source: { device: "/dev/sdb" } });
    const by = Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
    assert.match(by["source.host"]!, /required for a netfs pool/);
    assert.match(by["source.device"]!, /does not apply to a netfs pool; it takes host, dir, format/);
  });
});
