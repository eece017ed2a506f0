import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupAll, uniqueName, virsh, virshMaybe } from "../../tools/support/host";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../../tools/support/pulumi-cli";

// examples/xen-guest under the real `pulumi` CLI against the Xen host of the Xen stage (PVT_XEN_URI, booted by
// test/xen-host/ci.sh): the program folder laid out as `pulumi new typescript` makes it, the package from `npm pack`,
// TypeScript run as written. Judged with virsh over the same URI, as xen-guest.test.ts judges the harness run.
// The CLI comes from PULUMI_VIRT_CLI_DIR or scripts/pulumi-cli.sh's cache; under CI=true a missing CLI fails.
const URI = process.env["PVT_XEN_URI"] ?? "";
const MiB = 1024;

describe("Xen suite: examples/xen-guest under the real pulumi CLI", function () {
  this.timeout(900000);
  const prefix = uniqueName("xencli");
  const guest = `${prefix}-guest`;
  const pool = `${prefix}-images`;
  let p: CliProject;
  const run = (...args: string[]) => virsh(URI, ...args);
  const domId = () => run("domid", guest);
  const onlyGuest = (ops: Record<string, string>, op: string, text: string) => assert.deepEqual(ops, { images: "same", disk: "same", guest: op }, text);
  const balloonKiB = () => Number(/<currentMemory unit='KiB'>(\d+)</.exec(run("dumpxml", "--inactive", guest))?.[1]);

  before(async function () {
    if (URI === "") throw new Error("PVT_XEN_URI is not set: run test/xen-host/ci.sh (it boots the Xen host and sets it)");
    const cli = cliOrSkip(this);
    p = await CliWorkspace.get(cli).project("xen-guest", join(REPO, "examples", "xen-guest", "index.ts"), join(REPO, "examples", "xen-guest", "Pulumi.yaml"));
    Object.assign(p.config, { "virt:uri": URI, prefix, shutdownTimeout: "30" });
  });

  after(async () => {
    if (URI === "") return;
    await cleanupAll([
      () => p?.cleanup(),
      () => {
        virshMaybe(URI, "destroy", guest);
        virshMaybe(URI, "undefine", guest);
        virshMaybe(URI, "vol-delete", "--pool", pool, `${prefix}-guest.img`);
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-delete", pool);
        virshMaybe(URI, "pool-undefine", pool);
      },
    ]);
  });

  let idBefore = "";

  it("pulumi preview plans the pool, the raw volume and the PV guest; up creates them and the guest runs", async () => {
    const pre = await p.preview();
    assert.deepEqual(pre.ops, { images: "create", disk: "create", guest: "create" }, pre.text);
    assert.equal(virshMaybe(URI, "domstate", guest), null, "preview touched nothing");
    const r = await p.up();
    assert.deepEqual(r.ops, { images: "create", disk: "create", guest: "create" }, r.text);
    assert.equal(run("domstate", guest), "running");
    assert.match(run("dumpxml", guest), /^<domain type='xen' id='\d+'>/);
    assert.match(run("domblklist", guest), new RegExp(`xvda\\s+/var/lib/xen/${prefix}-images/${prefix}-guest\\.img`));
    const out = await p.outputs();
    assert.equal(out["resolvedType"], "xen");
    assert.equal(out["state"], "running");
    assert.equal(String(out["domainId"]), domId());
    assert.equal(out["uuid"], run("domuuid", guest));
    assert.match(run("domiflist", guest), new RegExp(`bridge\\s+xenbr0\\s+\\S+\\s+${(out["macs"] as string[])[0]}`));
    idBefore = domId();
  });

  it("pulumi up again changes nothing", async () => {
    const r = await p.up();
    assert.deepEqual(new Set(Object.values(r.ops)), new Set(["same"]), r.text);
    assert.equal(domId(), idBefore);
  });

  it("pulumi preview shows the live balloon change; up applies it on the running guest (same domain id)", async () => {
    p.config["currentMemory"] = "128MiB";
    const pre = await p.preview();
    onlyGuest(pre.ops, "update", pre.text);
    // What a user reads, e.g. "virt:Domain xencli-…-guest: currentMemory 192MiB → 128MiB (ballooned live)".
    assert.match(pre.text, new RegExp(`virt:Domain ${guest}: currentMemory 192MiB → 128MiB \\(ballooned live\\)`), pre.text);
    const r = await p.up();
    onlyGuest(r.ops, "update", r.text);
    assert.equal(balloonKiB(), 128 * MiB);
    assert.equal(domId(), idBefore, "not restarted");
  });

  it("pulumi refresh sees a balloon target changed with virsh; the next up puts it back live", async () => {
    run("setmem", guest, String(160 * MiB), "--live", "--config");
    const r = await p.refresh();
    assert.equal(r.steps.find((s) => s.name === "guest")?.op, "refresh", r.text);
    assert.match(r.text, new RegExp(`virt:Domain ${guest}: currentMemory 160MiB → 128MiB`), r.text);
    assert.match(r.text, /~ 1 updated/, r.text);
    const fixed = await p.up();
    onlyGuest(fixed.ops, "update", fixed.text);
    assert.equal(balloonKiB(), 128 * MiB);
    assert.equal(domId(), idBefore, "nothing restarted");
  });

  it("pulumi destroy shuts the guest down and leaves nothing on the Xen host", async () => {
    const r = await p.destroy();
    assert.deepEqual(r.ops, { images: "delete", disk: "delete", guest: "delete" }, r.text);
    assert.equal(virshMaybe(URI, "domstate", guest), null);
    assert.equal(virshMaybe(URI, "pool-info", pool), null);
    const left = [run("list", "--all", "--name"), run("pool-list", "--all", "--name")].join("\n");
    assert.ok(!left.includes(prefix), left);
  });
});
