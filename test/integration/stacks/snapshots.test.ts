import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { Stack } from "../../../tools/harness";
import type { OperationResult } from "../../../tools/harness";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// examples/snapshots run through the engine harness (the real program runtime and dynamic-provider plugin),
// judged with virsh: a running domain (no guest OS: its memory state is still captured), a snapshot, a pause and a
// resume, and an explicit revert said in the plan.
const URI = "qemu:///system";
const root = join(__dirname, "..", "..", "..", "..");

describe("examples/snapshots through the engine harness", function () {
  this.timeout(300000);
  const prefix = uniqueName("snx");
  const vm = `${prefix}-vm`;
  const pool = `${prefix}-images`;
  const dir = tempDir("snx-state");
  chmodSync(dir.path, 0o755);
  const config: Record<string, string> = { "virt:uri": URI, prefix, poolPath: join(dir.path, "images"), shutdownTimeout: "2" };
  const stack = () =>
    new Stack({
      programDir: join(root, "examples", "snapshots"),
      entry: join(root, "dist", "examples", "snapshots", "index.js"),
      stateDir: join(dir.path, "state"),
      config: { ...config },
    });
  const ops = (r: OperationResult) => Object.fromEntries(r.steps.filter((s) => s.type !== "pulumi:pulumi:Stack").map((s) => [s.name, s.op]));
  const plan = (r: OperationResult) =>
    r.diagnostics
      .filter((d) => d.source === "plugin")
      .map((d) => d.text)
      .join("\n");

  after(async () => {
    await cleanupAll([
      () =>
        stack()
          .destroy()
          .catch(() => undefined),
      () => {
        virshMaybe(URI, "destroy", vm);
        virshMaybe(URI, "undefine", vm, "--snapshots-metadata");
        virshMaybe(URI, "vol-delete", "--pool", pool, `${prefix}-disk.qcow2`);
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-undefine", pool);
      },
      () => dir.remove(),
    ]);
  });

  let idBefore = "";

  it("up: pool, qcow2 volume, running domain, and an internal snapshot with its memory state", async () => {
    const r = await stack().up();
    assert.deepEqual(ops(r), { images: "create", disk: "create", vm: "create", "before-upgrade": "create" }, plan(r));
    assert.equal(virsh(URI, "domstate", vm), "running");
    assert.match(virsh(URI, "snapshot-info", vm, "before-upgrade"), /State:\s+running/);
    assert.match(virsh(URI, "snapshot-info", vm, "before-upgrade"), /Current:\s+yes/);
    assert.equal(r.outputs["snapshotState"], "running");
    assert.equal(r.outputs["snapshotCurrent"], true);
    idBefore = virsh(URI, "domid", vm);
    const again = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(again))), new Set(["same"]), plan(again));
  });

  it("powerState paused then running: suspended and resumed live, the same domain id", async () => {
    config["powerState"] = "paused";
    let r = await stack().up();
    assert.deepEqual(ops(r), { images: "same", disk: "same", vm: "update", "before-upgrade": "same" }, plan(r));
    assert.match(plan(r), new RegExp(`virt:Domain ${vm}: powerState running → paused \\(applied live: start, pause, resume or graceful shutdown\\)`));
    assert.equal(virsh(URI, "domstate", vm), "paused");
    config["powerState"] = "running";
    r = await stack().up();
    assert.match(plan(r), new RegExp(`virt:Domain ${vm}: powerState paused → running`));
    assert.equal(virsh(URI, "domstate", vm), "running");
    assert.equal(virsh(URI, "domid", vm), idBefore);
  });

  it("revert: the preview says what is discarded; up reverts (virsh: the snapshot is current again)", async () => {
    config["revertTo"] = "before-upgrade";
    config["revertTrigger"] = "1";
    const pre = await stack().preview();
    assert.deepEqual(ops(pre), { images: "same", disk: "same", vm: "update", "before-upgrade": "same" }, plan(pre));
    assert.match(plan(pre), /REVERTED to the snapshot: the domain's current disks \(and memory\) since it was taken are DISCARDED/);
    assert.match(plan(pre), new RegExp(`virt:Domain ${vm}: will be REVERTED to snapshot "before-upgrade"`));
    const r = await stack().up();
    assert.deepEqual(ops(r), { images: "same", disk: "same", vm: "update", "before-upgrade": "same" }, plan(r));
    assert.match(plan(r), new RegExp(`virt:Domain ${vm}: reverting to snapshot "before-upgrade": the domain's current state is discarded`));
    assert.equal(virsh(URI, "domstate", vm), "running", "the declared power state");
    assert.match(virsh(URI, "snapshot-info", vm, "before-upgrade"), /Current:\s+yes/);
    const again = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(again))), new Set(["same"]), `the same trigger does not revert again:\n${plan(again)}`);
  });

  it("a revert to a snapshot the domain does not have is refused at preview", async () => {
    config["revertTo"] = "no-such-snapshot";
    config["revertTrigger"] = "2";
    const err = await stack()
      .preview()
      .then(
        () => undefined,
        (e: Error) => e,
      );
    assert.ok(err instanceof Error, "preview refused");
    assert.match(err.message, /revert\.snapshot: the domain has no snapshot named "no-such-snapshot" \(it has "before-upgrade"\)/);
    delete config["revertTo"];
    delete config["revertTrigger"];
  });

  it("destroy removes the snapshot, the domain, the volume and the pool", async () => {
    const r = await stack().destroy();
    assert.equal(ops(r)["before-upgrade"], "delete");
    assert.equal(virshMaybe(URI, "domstate", vm), null);
    assert.equal(virshMaybe(URI, "pool-info", pool), null);
  });
});
