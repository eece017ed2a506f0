import assert from "node:assert/strict";
import { join } from "node:path";
import { Stack } from "../../../tools/harness";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// examples/storage-network run through the engine harness (the real Pulumi program runtime and the real
// dynamic-provider plugin), checked on the host with virsh — not with our own client.
const URI = "qemu:///system";
const root = join(__dirname, "..", "..", "..", "..");

describe("examples/storage-network through the engine harness", function () {
  this.timeout(300000);
  const prefix = uniqueName("sn");
  const dir = tempDir("sn-state");
  const subnet = 100 + Math.floor(Math.random() * 100);
  const baseConfig = { "virt:uri": URI, prefix, poolPath: join(dir.path, "images"), subnet: String(subnet) };
  const stack = (config: Record<string, string> = {}) =>
    new Stack({
      programDir: join(root, "examples", "storage-network"),
      entry: join(root, "dist", "examples", "storage-network", "index.js"),
      stateDir: join(dir.path, "state"),
      config: { ...baseConfig, ...config },
    });
  const ops = (r: { steps: { op: string; name: string }[] }) =>
    Object.fromEntries(r.steps.filter((s) => s.name !== `storage-network-dev`).map((s) => [s.name, s.op]));

  after(async () => {
    await cleanupAll([
      async () => {
        // Whatever a failed test left: destroy through the stack, then the sweeper as the last resort.
        await stack()
          .destroy()
          .catch(() => undefined);
      },
      () => dir.remove(),
    ]);
  });

  it("previews without touching the host", async () => {
    const r = await stack().preview();
    assert.deepEqual(new Set(Object.values(ops(r))), new Set(["create"]));
    assert.equal(virshMaybe(URI, "pool-info", `${prefix}-images`), null);
  });

  it("brings up the pool, 3 volumes (one a CoW clone) and a NAT network with 2 static hosts", async () => {
    const r = await stack().up();
    assert.deepEqual(ops(r), { images: "create", base: "create", web: "create", data: "create", lab: "create" });
    assert.match(virsh(URI, "pool-info", `${prefix}-images`), /State:\s+running/);
    const web = virsh(URI, "vol-dumpxml", "--pool", `${prefix}-images`, `${prefix}-web.qcow2`);
    assert.match(web, new RegExp(`<backingStore>\\s*<path>${join(dir.path, "images")}/${prefix}-base.qcow2</path>`));
    const net = virsh(URI, "net-dumpxml", `${prefix}-net`);
    assert.match(net, /<forward mode='nat'/);
    assert.equal((net.match(/<host mac=/g) ?? []).length, 2);
    assert.equal(r.outputs["dataCapacity"], 32 * 1024 * 1024);
    assert.match(String(r.outputs["bridge"]), /^virbr\d+$/);
  });

  it("a second up changes nothing", async () => {
    const r = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(r))), new Set(["same"]));
  });

  it("refresh finds a change made behind its back with virsh, and the next up puts it back", async () => {
    virsh(URI, "pool-autostart", "--disable", `${prefix}-images`);
    const r = await stack().refresh();
    const images = r.steps.find((s) => s.name === "images")!;
    assert.equal(images.op, "refresh-update");
    // The input that drifted, beside the pool's usage figures, which really changed since it was created.
    assert.ok(images.detail.driftKeys!.includes("autostart"), String(images.detail.driftKeys));
    const inputs = new Set(["name", "pool", "capacity", "format", "backingStore", "target", "type", "source", "autostart", "ips", "mode"]);
    for (const s of r.steps.filter((x) => x.name !== "images")) {
      assert.deepEqual(
        (s.detail.driftKeys ?? []).filter((k) => inputs.has(k)),
        [],
        `${s.name} shows no input drift`,
      );
    }
    const fixed = await stack().up();
    assert.equal(ops(fixed)["images"], "update");
    assert.match(virsh(URI, "pool-info", `${prefix}-images`), /Autostart:\s+yes/);
  });

  it("adds a DHCP host and grows a volume in place", async () => {
    const bridgeBefore = virsh(URI, "net-info", `${prefix}-net`).match(/Bridge:\s+(\S+)/)![1];
    const r = await stack({ dataSize: "64MiB", dhcpHosts: "52:54:00:00:77:10=10,52:54:00:00:77:11=11,52:54:00:00:77:12=12" }).up();
    assert.deepEqual(ops(r), { images: "same", base: "same", web: "same", data: "update", lab: "update" });
    const plan = r.diagnostics.map((d) => d.text).join("\n");
    assert.match(plan, /virt:Volume \S+-data\.qcow2: capacity 32MiB → 64MiB \(grown in place\)/);
    assert.match(
      plan,
      new RegExp(
        `virt:Network \\S+-net: ips\\[10\\.213\\.${subnet}\\.1\\]\\.dhcp\\.hosts \\+10\\.213\\.${subnet}\\.12 \\(updated live, network not restarted\\)`,
      ),
    );
    assert.match(virsh(URI, "vol-info", "--pool", `${prefix}-images`, `${prefix}-data.qcow2`, "--bytes"), /Capacity:\s+67108864 bytes/);
    assert.equal((virsh(URI, "net-dumpxml", `${prefix}-net`).match(/<host mac=/g) ?? []).length, 3, "live");
    assert.equal((virsh(URI, "net-dumpxml", "--inactive", `${prefix}-net`).match(/<host mac=/g) ?? []).length, 3, "config");
    assert.equal(virsh(URI, "net-info", `${prefix}-net`).match(/Bridge:\s+(\S+)/)![1], bridgeBefore, "the network was not recreated");
  });

  it("replaces the network when its mode changes", async () => {
    const uuidBefore = virsh(URI, "net-uuid", `${prefix}-net`);
    const r = await stack({ dataSize: "64MiB", dhcpHosts: "52:54:00:00:77:10=10,52:54:00:00:77:11=11,52:54:00:00:77:12=12", netMode: "isolated" }).up();
    assert.equal(ops(r)["lab"], "replace");
    assert.equal(ops(r)["data"], "same");
    assert.notEqual(virsh(URI, "net-uuid", `${prefix}-net`), uuidBefore);
    assert.doesNotMatch(virsh(URI, "net-dumpxml", `${prefix}-net`), /<forward/);
  });

  it("destroy leaves nothing on the host", async () => {
    await stack().destroy();
    assert.equal(virshMaybe(URI, "pool-info", `${prefix}-images`), null);
    assert.equal(virshMaybe(URI, "net-info", `${prefix}-net`), null);
    const left = [virsh(URI, "pool-list", "--all", "--name"), virsh(URI, "net-list", "--all", "--name"), virsh(URI, "list", "--all", "--name")].join("\n");
    assert.ok(!left.includes(prefix), left);
  });
});
