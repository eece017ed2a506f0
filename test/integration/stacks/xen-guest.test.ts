import assert from "node:assert/strict";
import { join } from "node:path";
import { Libvirt } from "../../../provider/libvirt";
import { Stack } from "../../../tools/harness";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// examples/xen-guest run through the engine harness (the real Pulumi program runtime and the real dynamic-provider
// plugin) against the daemon's test driver, which accepts type='xen' PV guests and keeps dir pools and volumes in
// memory (no files are made). There is no Xen host here: the program is meant for one (README.md). The test driver
// forgets its state when its last connection closes, and each harness operation's plugin closes its own, so this
// file holds one anchor connection open throughout.
const URI = "test+unix:///default";
const root = join(__dirname, "..", "..", "..", "..");
const run = (...args: string[]) => virsh(URI, ...args);

describe("examples/xen-guest through the engine harness (test driver)", function () {
  this.timeout(300000);
  const dir = tempDir("xen-state");
  let anchor: Libvirt;
  const stack = (stateName: string, config: Record<string, string>) =>
    new Stack({
      programDir: join(root, "examples", "xen-guest"),
      entry: join(root, "dist", "examples", "xen-guest", "index.js"),
      stateDir: join(dir.path, stateName),
      config: { "virt:uri": URI, shutdownTimeout: "1", ...config },
    });
  const ops = (r: { steps: { op: string; name: string; type: string }[] }) =>
    Object.fromEntries(r.steps.filter((s) => s.type !== "pulumi:pulumi:Stack").map((s) => [s.name, s.op]));

  before(async () => {
    anchor = await Libvirt.connect(URI);
  });
  after(async () => {
    await cleanupAll([() => anchor?.close(), () => dir.remove()]);
  });

  describe("pool + raw volume + PV guest", () => {
    const prefix = uniqueName("xg");
    const poolPath = join(dir.path, "images");
    const config = { prefix, poolPath };
    const guest = `${prefix}-guest`;
    let domId: string;
    after(async () => {
      await stack("vol", config)
        .destroy()
        .catch(() => undefined);
    });

    it("brings up the pool, the volume and a running PV guest on the xen bus with a netfront NIC on xenbr0", async () => {
      const r = await stack("vol", config).up();
      assert.deepEqual(ops(r), { images: "create", disk: "create", guest: "create" });
      assert.match(run("pool-info", `${prefix}-images`), /State:\s+running/);
      const image = `${poolPath}/${prefix}-guest.img`;
      assert.match(run("vol-dumpxml", "--pool", `${prefix}-images`, `${prefix}-guest.img`), /<format type='raw'\/>/);
      const xml = run("dumpxml", guest);
      assert.match(xml, /^<domain type='xen' id='\d+'>/);
      assert.match(
        xml,
        /<os>\s*<type arch='[^']+'>linux<\/type>\s*<kernel>\/var\/lib\/xen\/images\/vmlinuz<\/kernel>\s*<initrd>\/var\/lib\/xen\/images\/tiny-initrd\.gz<\/initrd>\s*<cmdline>console=hvc0<\/cmdline>/,
      );
      assert.match(xml, new RegExp(`<driver name='phy'/>\\s*<source file='${image}'/>\\s*<target dev='xvda' bus='xen'/>`));
      assert.match(xml, /<interface type='bridge'>[\s\S]*?<source bridge='xenbr0'\/>[\s\S]*?<model type='netfront'\/>/);
      assert.match(xml, /<console type='pty'>\s*<target type='xen' port='0'\/>/);
      assert.match(xml, /<memballoon model='xen'\/>/);
      assert.equal(r.outputs["state"], "running");
      assert.equal(r.outputs["resolvedType"], "xen");
      assert.equal(r.outputs["imagePath"], image);
      assert.equal(r.outputs["actualMemory"], 192 * 2 ** 20);
      domId = run("domid", guest);
      assert.equal(String(r.outputs["domainId"]), domId);
    });

    it("a second up changes nothing", async () => {
      const r = await stack("vol", config).up();
      assert.deepEqual(ops(r), { images: "same", disk: "same", guest: "same" });
    });

    it("changes the balloon target live: same running domain, no restart pending", async () => {
      const r = await stack("vol", { ...config, currentMemory: "128MiB" }).up();
      assert.deepEqual(ops(r), { images: "same", disk: "same", guest: "update" });
      assert.match(r.diagnostics.map((d) => d.text).join("\n"), new RegExp(`virt:Domain ${guest}: currentMemory 192MiB → 128MiB \\(ballooned live\\)`));
      assert.equal(run("domid", guest), domId, "not restarted");
      assert.match(run("dominfo", guest), /Used memory:\s+131072 KiB/);
      assert.deepEqual(r.outputs["pendingRestart"], []);
      assert.equal(r.outputs["actualMemory"], 128 * 2 ** 20);
      const again = await stack("vol", { ...config, currentMemory: "128MiB" }).up();
      assert.equal(ops(again)["guest"], "same");
    });

    it("destroy leaves nothing on the host", async () => {
      await stack("vol", { ...config, currentMemory: "128MiB" }).destroy();
      assert.equal(virshMaybe(URI, "domstate", guest), null);
      assert.equal(virshMaybe(URI, "pool-info", `${prefix}-images`), null);
      const left = [run("pool-list", "--all", "--name"), run("list", "--all", "--name")].join("\n");
      assert.ok(!left.includes(prefix), left);
    });
  });

  describe("diskPath and network: no pool, no volume", () => {
    const prefix = uniqueName("xg");
    const config = { prefix, diskPath: "/var/lib/xen/images/guest.img", network: "default", initrd: "" };
    const guest = `${prefix}-guest`;
    after(async () => {
      await stack("file", config)
        .destroy()
        .catch(() => undefined);
    });

    it("up makes only the guest, on the file and the network; destroy removes it", async () => {
      const r = await stack("file", config).up();
      assert.deepEqual(ops(r), { guest: "create" });
      const xml = run("dumpxml", guest);
      assert.match(xml, /<source file='\/var\/lib\/xen\/images\/guest\.img'\/>\s*<target dev='xvda' bus='xen'\/>/);
      assert.match(xml, /<interface type='network'>[\s\S]*?<source network='default'\/>[\s\S]*?<model type='netfront'\/>/);
      assert.doesNotMatch(xml, /<initrd>/);
      assert.equal(r.outputs["imagePath"], "/var/lib/xen/images/guest.img");
      assert.equal(r.outputs["poolName"], undefined);
      assert.deepEqual(ops(await stack("file", config).up()), { guest: "same" });
      await stack("file", config).destroy();
      assert.equal(virshMaybe(URI, "domstate", guest), null);
    });
  });
});
