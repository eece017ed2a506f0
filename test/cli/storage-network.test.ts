import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../tools/support/host";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../../tools/support/pulumi-cli";
import { freeSubnet } from "../../tools/support/subnet";

// examples/storage-network under the real `pulumi` CLI, from a folder laid out like `pulumi new typescript`, with
// the package installed from `npm pack`; judged on the host with virsh as test/integration/stacks/ does.
const URI = "qemu:///system";

describe("examples/storage-network under the real pulumi CLI", function () {
  this.timeout(600000);
  const prefix = uniqueName("clisn");
  const dir = tempDir("clisn");
  const subnet = freeSubnet();
  let p: CliProject;

  before(async function () {
    const cli = cliOrSkip(this);
    p = await CliWorkspace.get(cli).project(
      "storage-network",
      join(REPO, "examples", "storage-network", "index.ts"),
      join(REPO, "examples", "storage-network", "Pulumi.yaml"),
    );
    Object.assign(p.config, { "virt:uri": URI, prefix, poolPath: join(dir.path, "images"), subnet: String(subnet) });
  });

  after(async () => {
    await cleanupAll([
      () => p?.cleanup(),
      () => {
        for (const v of ["web", "data", "base"]) virshMaybe(URI, "vol-delete", "--pool", `${prefix}-images`, `${prefix}-${v}.qcow2`);
        virshMaybe(URI, "pool-destroy", `${prefix}-images`);
        virshMaybe(URI, "pool-undefine", `${prefix}-images`);
        virshMaybe(URI, "net-destroy", `${prefix}-net`);
        virshMaybe(URI, "net-undefine", `${prefix}-net`);
      },
      () => dir.remove(),
    ]);
  });

  it("pulumi preview plans 5 creates and touches nothing on the host", async () => {
    const r = await p.preview();
    assert.deepEqual(r.ops, { images: "create", base: "create", web: "create", data: "create", lab: "create" }, r.text);
    assert.match(r.text, /\+ 6 to create/, r.text);
    assert.equal(virshMaybe(URI, "pool-info", `${prefix}-images`), null);
    assert.equal(virshMaybe(URI, "net-info", `${prefix}-net`), null);
  });

  it("pulumi up brings up the pool, 3 volumes (one a CoW clone) and a NAT network with 2 static hosts", async () => {
    const r = await p.up();
    assert.deepEqual(r.ops, { images: "create", base: "create", web: "create", data: "create", lab: "create" }, r.text);
    assert.match(virsh(URI, "pool-info", `${prefix}-images`), /State:\s+running/);
    const web = virsh(URI, "vol-dumpxml", "--pool", `${prefix}-images`, `${prefix}-web.qcow2`);
    assert.match(web, new RegExp(`<backingStore>\\s*<path>${join(dir.path, "images")}/${prefix}-base.qcow2</path>`));
    const net = virsh(URI, "net-dumpxml", `${prefix}-net`);
    assert.match(net, /<forward mode='nat'/);
    assert.equal((net.match(/<host mac=/g) ?? []).length, 2);
    const out = await p.outputs();
    assert.equal(out["dataCapacity"], 32 * 1024 * 1024);
    assert.match(String(out["bridge"]), /^virbr\d+$/);
    assert.equal(out["poolName"], `${prefix}-images`);
  });

  it("pulumi up again changes nothing", async () => {
    const r = await p.up();
    assert.deepEqual(new Set(Object.values(r.ops)), new Set(["same"]), r.text);
    assert.match(r.text, /6 unchanged/, r.text);
  });

  it("pulumi preview of a live change shows what a user reads: a volume grown in place, a DHCP host added live", async () => {
    const bridgeBefore = virsh(URI, "net-info", `${prefix}-net`).match(/Bridge:\s+(\S+)/)![1];
    Object.assign(p.config, { dataSize: "64MiB", dhcpHosts: "52:54:00:00:77:10=10,52:54:00:00:77:11=11,52:54:00:00:77:12=12" });
    const pre = await p.preview();
    assert.deepEqual(pre.ops, { images: "same", base: "same", web: "same", data: "update", lab: "update" }, pre.text);
    assert.match(pre.text, /~ 2 to update/, pre.text);
    assert.match(pre.text, /virt:Volume \S+-data\.qcow2: capacity 32MiB → 64MiB \(grown in place\)/, pre.text);
    assert.match(
      pre.text,
      new RegExp(
        `virt:Network \\S+-net: ips\\[10\\.213\\.${subnet}\\.1\\]\\.dhcp\\.hosts \\+10\\.213\\.${subnet}\\.12 \\(updated live, network not restarted\\)`,
      ),
      pre.text,
    );
    assert.match(
      virsh(URI, "vol-info", "--pool", `${prefix}-images`, `${prefix}-data.qcow2`, "--bytes"),
      /Capacity:\s+33554432 bytes/,
      "a preview changes nothing",
    );

    const r = await p.up();
    assert.deepEqual(r.ops, { images: "same", base: "same", web: "same", data: "update", lab: "update" }, r.text);
    assert.match(virsh(URI, "vol-info", "--pool", `${prefix}-images`, `${prefix}-data.qcow2`, "--bytes"), /Capacity:\s+67108864 bytes/);
    assert.equal((virsh(URI, "net-dumpxml", `${prefix}-net`).match(/<host mac=/g) ?? []).length, 3, "live");
    assert.equal((virsh(URI, "net-dumpxml", "--inactive", `${prefix}-net`).match(/<host mac=/g) ?? []).length, 3, "config");
    assert.equal(virsh(URI, "net-info", `${prefix}-net`).match(/Bridge:\s+(\S+)/)![1], bridgeBefore, "the network was not recreated");
    assert.equal((await p.outputs())["dataCapacity"], 64 * 1024 * 1024);
  });

  it("pulumi refresh finds a change made with virsh, and the next up puts it back", async () => {
    virsh(URI, "pool-autostart", "--disable", `${prefix}-images`);
    const r = await p.refresh();
    const images = r.steps.find((s) => s.name === "images")!;
    assert.equal(images.op, "refresh", r.text);
    assert.match(r.text, /~ 1 to update|1 updated/, r.text);
    const fixed = await p.up();
    assert.equal(fixed.ops["images"], "update", fixed.text);
    assert.match(virsh(URI, "pool-info", `${prefix}-images`), /Autostart:\s+yes/);
    const again = await p.up();
    assert.deepEqual(new Set(Object.values(again.ops)), new Set(["same"]), again.text);
  });

  it("pulumi destroy leaves nothing on the host", async () => {
    const r = await p.destroy();
    assert.deepEqual(r.ops, { images: "delete", base: "delete", web: "delete", data: "delete", lab: "delete" }, r.text);
    assert.equal(virshMaybe(URI, "pool-info", `${prefix}-images`), null);
    assert.equal(virshMaybe(URI, "net-info", `${prefix}-net`), null);
    const left = [virsh(URI, "pool-list", "--all", "--name"), virsh(URI, "net-list", "--all", "--name")].join("\n");
    assert.ok(!left.includes(prefix), left);
  });
});
