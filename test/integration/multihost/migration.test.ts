import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeploymentError, OperationResult, Stack } from "../../../tools/harness";
import { ensureGuest, waitForSerial } from "../../../tools/guest/guest";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { ensureHosts, TestHost } from "../../../tools/support/hosts";
import { describeLeftovers, isClean, removeLeftovers } from "../../../tools/support/leftovers";

// Live migration of the real test guest between two test-bed hosts (scripts/hosts.sh), through the engine harness
// (test/fixtures/migration): the guest ticks on its serial console every second, so a live move shows as ticks that
// go on (no second boot line) in the destination's console log. virsh over each host's unix socket is the judge.
const root = join(__dirname, "..", "..", "..", "..");
const MARK = "pvt-mh-migration-marker";
const MIB = 1048576;

describe("Domain migration between two hosts (test/fixtures/migration, real guest)", function () {
  this.timeout(900000);
  const prefix = uniqueName("mh-mig");
  const dir = tempDir("mh-mig");
  let a: TestHost;
  let b: TestHost;
  const config: Record<string, string> = { prefix };
  const stack = () =>
    new Stack({
      programDir: join(root, "test", "fixtures", "migration"),
      entry: join(root, "dist", "test", "fixtures", "migration", "index.js"),
      stateDir: join(dir.path, "state"),
      config: { ...config },
    });
  const ops = (r: OperationResult) => r.steps.filter((s) => s.type !== "pulumi:pulumi:Stack" && s.op !== "same").map((s) => `${s.name}:${s.op}`);
  const plan = (r: OperationResult) => r.diagnostics.map((d) => d.text).join("\n");
  const pool = () => `${prefix}-pool`;
  const vol = () => `${prefix}-disk.raw`;
  const serial = (h: TestHost) => join(h.dir, "log", "qemu", `${prefix}.serial.log`);
  const lines = (h: TestHost) =>
    readFileSync(serial(h), "latin1")
      .split("\n")
      .filter((l) => l.startsWith("GUEST: "));
  const ticks = (h: TestHost) =>
    lines(h)
      .map((l) => /^GUEST: tick (\d+) uptime=([\d.]+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ n: Number(m[1]), up: Number(m[2]) }));
  const has = (h: TestHost, what: "list" | "vol-list", name: string) =>
    (what === "list" ? virsh(h.sock, "list", "--all", "--name") : (virshMaybe(h.sock, "vol-list", pool()) ?? "")).includes(name);
  const uuidOn = (h: TestHost) => virsh(h.sock, "domuuid", prefix);
  /** The disk's bytes at 1 MiB on a host (where the test wrote its marker). */
  const marker = (h: TestHost) => {
    const f = join(dir.path, `read-${h.name}`);
    virsh(h.sock, "vol-download", "--pool", pool(), "--offset", String(MIB), "--length", String(MARK.length), vol(), f);
    return readFileSync(f, "latin1");
  };

  before(() => {
    [a, b] = ensureHosts();
    const g = ensureGuest();
    Object.assign(config, { hostA: a!.tcp, hostB: b!.tcp, kernel: g.kernel, initrd: g.initrd, on: "a" });
  });

  after(() =>
    cleanupAll([
      () =>
        stack()
          .destroy()
          .catch(() => undefined),
      () => {
        const left = [a!, b!].map((h) => [h.name, removeLeftovers(h.sock, prefix)] as const).filter(([, l]) => !isClean(l));
        if (left.length > 0) throw new Error(`left on the hosts:\n${left.map(([n, l]) => `${n}:\n${describeLeftovers(l)}`).join("\n")}`);
      },
      () => dir.remove(),
    ]),
  );

  let uuid = "";

  it("runs the guest on host a, ticking; a marker is written into its disk", async () => {
    const r = await stack().up();
    uuid = String(r.outputs["uuid"]);
    assert.equal(uuidOn(a), uuid);
    assert.equal(virsh(a.sock, "domstate", prefix), "running");
    await waitForSerial(serial(a), /^GUEST: tick 3 /, 300000);
    const f = join(dir.path, "mark");
    writeFileSync(f, MARK);
    virsh(a.sock, "vol-upload", "--pool", pool(), "--offset", String(MIB), "--length", String(MARK.length), vol(), f);
    assert.equal(marker(a), MARK);
  });

  it("the preview of a host change says the domain migrates live and its disk's data moves (no replace of the domain)", async () => {
    config["on"] = "b";
    const r = await stack().preview();
    // The old disk's deletion comes last (create-before-delete): after the domain has moved.
    assert.deepEqual(ops(r).sort(), ["disk:delete-replaced", "disk:replace", "vm:update"], plan(r));
    assert.match(
      plan(r),
      new RegExp(
        `virt:Domain ${prefix}: migrated live from ${a.tcp.replace(/[+.]/g, "\\$&")} to ${b.tcp.replace(/[+.]/g, "\\$&")} \\(peer-to-peer; the guest keeps running, same UUID; disk data copied`,
      ),
    );
    assert.match(
      plan(r),
      /moves with its domain from .* created there first \(empty\), the domain's migration copies the disk's data into it.*the data moves, it is not lost/,
    );
    assert.doesNotMatch(plan(r), /DELETES the volume/);
  });

  it("up migrates it live to host b: ticks go on there without a boot, same UUID, the disk's data came along, host a has neither domain nor disk", async () => {
    const before = ticks(a);
    const r = await stack().up();
    // Create-before-delete: the new disk on b, then the domain, then the old disk on a.
    assert.deepEqual(ops(r), ["disk:replace", "vm:update", "disk:delete-replaced"], plan(r));
    assert.match(plan(r), /migrating to qemu\+tcp:\/\/.*: \d+ s, memory \d+\/\d+ MiB/, "progress from the job statistics");
    assert.equal(uuidOn(b), uuid);
    assert.equal(virsh(b.sock, "domstate", prefix), "running");
    assert.equal(r.outputs["uri"], b.tcp);
    assert.ok(!has(a, "list", prefix), "no domain left on a");
    assert.ok(!has(a, "vol-list", vol()), "no disk left on a");
    assert.equal(marker(b), MARK, "the disk's bytes were copied");
    await waitForSerial(serial(b), /^GUEST: tick \d+ /, 60000);
    await new Promise((res) => setTimeout(res, 3000));
    const after = ticks(b);
    const last = before[before.length - 1]!;
    assert.ok(after[0]!.n > last.n && after[0]!.up > last.up, `ticks go on: ${JSON.stringify(last)} on a, then ${JSON.stringify(after[0])} on b`);
    assert.ok(!lines(b).some((l) => l.startsWith("GUEST: boot")), "no boot on b");
    assert.equal(lines(a).filter((l) => l.startsWith("GUEST: boot")).length, 1, "one boot in all");
    const again = await stack().up();
    assert.deepEqual(ops(again), [], plan(again));
  });

  it("a migration that exceeds timeoutSec is aborted: the guest keeps running on b, the state says b, and the next up moves it", async () => {
    const domid = virsh(b.sock, "domid", prefix);
    Object.assign(config, { on: "a", timeoutSec: "2", bandwidthMiBs: "1" });
    const err = await stack()
      .up()
      .then(
        () => assert.fail("the migration finished within 2 s at 1 MiB/s"),
        (e: unknown) => e as DeploymentError,
      );
    assert.ok(err instanceof DeploymentError, String(err));
    assert.match(
      err.failures.map((f) => f.message).join("\n"),
      /migration to .* aborted after 2 s \(migration\.timeoutSec\): it is still running on qemu\+tcp:\/\/10\.252\.0\.12/,
    );
    assert.equal(virsh(b.sock, "domstate", prefix), "running");
    assert.equal(virsh(b.sock, "domid", prefix), domid, "the same QEMU on b");
    assert.ok(!has(a, "list", prefix));
    const vm = stack()
      .state()
      .resources.find((x) => x.urn.endsWith("::vm"))!;
    assert.equal(vm.outputs["uri"], b.tcp, "the state keeps it on b");

    delete config["timeoutSec"];
    delete config["bandwidthMiBs"];
    const r = await stack().up();
    assert.ok(ops(r).includes("vm:update"), plan(r));
    assert.equal(uuidOn(a), uuid);
    assert.equal(virsh(a.sock, "domstate", prefix), "running");
    assert.ok(!has(b, "list", prefix) && !has(b, "vol-list", vol()), "nothing left on b");
    assert.equal(marker(a), MARK);
  });

  it("a stopped domain moves by define and undefine, with its disk's data", async () => {
    config["running"] = "false";
    await stack().up();
    assert.equal(virsh(a.sock, "domstate", prefix), "shut off");
    config["on"] = "b";
    const p = await stack().preview();
    assert.match(plan(p), /moved \(stopped\) from .* defined on the destination \(same UUID\), disk data copied/);
    const r = await stack().up();
    assert.deepEqual(ops(r), ["disk:replace", "vm:update", "disk:delete-replaced"], plan(r));
    assert.equal(uuidOn(b), uuid);
    assert.equal(virsh(b.sock, "domstate", prefix), "shut off");
    assert.ok(!has(a, "list", prefix) && !has(a, "vol-list", vol()));
    assert.equal(marker(b), MARK);
  });

  it("refuses up front what cannot move: a CD-ROM file the destination lacks, a host directory; without migration the plan replaces", async () => {
    const iso = `/var/lib/libvirt/${prefix}-pool/only-here.iso`;
    writeFileSync(join(b.dir, "lib", `${prefix}-pool`, "only-here.iso"), Buffer.alloc(2048));
    virsh(b.sock, "pool-refresh", pool());
    config["cdromFile"] = iso;
    await stack().up(); // the CD-ROM is added on b, where the file is a volume
    config["on"] = "a";
    const err = await stack()
      .preview()
      .then(
        () => assert.fail("preview accepted a CD-ROM the destination lacks"),
        (e: unknown) => e as DeploymentError,
      );
    assert.match(
      String(err.failures.map((f) => f.message)),
      new RegExp(
        `cannot move from .* \\(migration\\): disk sdb? ?.*\\(CD-ROM\\): ${iso.replace(/[.]/g, "\\.")} is not a volume in any pool of the destination`,
      ),
    );
    delete config["cdromFile"];
    config["shareDir"] = dir.path;
    const err2 = await stack()
      .preview()
      .then(
        () => assert.fail("preview accepted a host directory share"),
        (e: unknown) => e as DeploymentError,
      );
    assert.match(String(err2.failures.map((f) => f.message)), /filesystems .* are host directories shared with the guest: they cannot follow it/);
    delete config["shareDir"];
    config["migrate"] = "false";
    const r = await stack().preview();
    assert.ok(ops(r).includes("vm:replace"), plan(r));
    assert.equal(uuidOn(b), uuid, "a preview changes nothing");
    config["on"] = "b";
    delete config["migrate"];
  });

  it("a disk moved without its domain: the old volume is not deleted while the domain on its host uses it", async () => {
    config["diskOn"] = "a"; // the domain stays on b
    const err = await stack()
      .up()
      .then(
        () => assert.fail("the old disk was deleted under its domain"),
        (e: unknown) => e as DeploymentError,
      );
    assert.match(
      err.failures.map((f) => f.message).join("\n"),
      new RegExp(`not deleted from ${b.tcp.replace(/[+.]/g, "\\$&")}: the domain ${prefix} still uses it \\(followsDomain`),
    );
    assert.ok(has(b, "vol-list", vol()), "the data stays on b");
    assert.equal(marker(b), MARK);
    delete config["diskOn"];
  });

  it("destroy leaves nothing on either host", async () => {
    virsh(b.sock, "vol-delete", "--pool", pool(), "only-here.iso"); // made by the test, not the stack
    await stack().destroy();
    for (const h of [a, b]) {
      const left = removeLeftovers(h.sock, prefix);
      assert.ok(isClean(left), `${h.name}:\n${describeLeftovers(left)}`);
    }
  });
});
