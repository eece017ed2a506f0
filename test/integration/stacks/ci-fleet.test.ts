import assert from "node:assert/strict";
import { join } from "node:path";
import { DeploymentError } from "../../../tools/harness";
import type { OperationResult } from "../../../tools/harness";
import { guestFacts, waitForSerial } from "../../../tools/guest/guest";
import { guestStack } from "../../support/guest-stack";
import { virsh } from "../../../tools/support/host";
import { describeLeftovers, findLeftovers, isClean } from "../../../tools/support/leftovers";

// examples/ci-fleet through the engine harness with the real test guest (type qemu: TCG). Scaling the fleet
// must touch only the runners past the old or new end — checked in the steps and on the host with virsh.
const URI = "qemu:///system";

describe("examples/ci-fleet through the engine harness (scaling runners up and down)", function () {
  this.timeout(600000);
  const g = guestStack("ci-fleet", URI, "fleet");
  const { prefix, config, stack } = g;
  const pool = `${prefix}-images`;
  const runner = (i: number) => `${prefix}-runner-${i}`;
  /** The steps that did something, as "name:op", sorted. */
  const changes = (r: OperationResult) =>
    r.steps
      .filter((s) => s.op !== "same" && s.name !== "ci-fleet-dev")
      .map((s) => `${s.name}:${s.op}`)
      .sort();
  const domains = () =>
    virsh(URI, "list", "--all", "--name")
      .split("\n")
      .filter((n) => n.startsWith(prefix))
      .sort();
  const clones = () =>
    virsh(URI, "vol-list", pool)
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0]!)
      .filter((v) => /-runner-\d+\.qcow2$/.test(v))
      .sort();
  const ids = () => Object.fromEntries(domains().map((d) => [d, virsh(URI, "domid", d)]));
  /** Each runner booted, read its own host name from its seed and got a lease that libvirt shows. */
  async function booted(r: OperationResult, n: number): Promise<void> {
    const ips = r.outputs["ips"] as Record<string, string>;
    assert.deepEqual(Object.keys(ips).sort(), Array.from({ length: n }, (_, i) => runner(i)).sort());
    const leases = virsh(URI, "net-dhcp-leases", `${prefix}-net`);
    for (const [name, ip] of Object.entries(ips)) {
      assert.match(leases, new RegExp(`${ip.replace(/\./g, "\\.")}/24\\s+${name}\\b`), leases);
      const log = join(g.dir, `${name}.serial.log`);
      await waitForSerial(log, /^GUEST: lease /, 300000);
      assert.ok(
        guestFacts(log).some((f) => f.startsWith(`cidata instance-id=`) && f.includes(` hostname=${name} `)),
        guestFacts(log).join("\n"),
      );
    }
  }

  before(() => g.prepare());
  after(() => g.cleanup());

  it("brings up 2 runners, each booted with its own seed and a lease", async () => {
    config["runners"] = "2";
    const r = await stack().up();
    assert.deepEqual(domains(), [runner(0), runner(1)]);
    assert.deepEqual(clones(), [`${runner(0)}.qcow2`, `${runner(1)}.qcow2`]);
    await booted(r, 2);
  });

  it("scaling up to 3 adds runner-2 (clone, seed, domain) and leaves the others running as they were", async () => {
    const before = ids();
    config["runners"] = "3";
    const r = await stack().up();
    assert.deepEqual(changes(r), ["runner-2-disk:create", "runner-2-seed:create", "runner-2:create"].sort());
    assert.deepEqual(domains(), [runner(0), runner(1), runner(2)]);
    assert.deepEqual(
      clones(),
      [0, 1, 2].map((i) => `${runner(i)}.qcow2`),
    );
    const now = ids();
    for (const d of Object.keys(before)) assert.equal(now[d], before[d], `${d} kept its domain id`);
    await booted(r, 3);
  });

  it("refuses user-data that is not a cloud-config or a script, or not valid YAML, at check: nothing on the host changes", async () => {
    const before = ids();
    for (const [userData, reason] of [
      ["runcmd: [reboot]\n", /userData must be a cloud-config \(first line exactly "#cloud-config", then YAML\) or a script \(first line a shebang/],
      ["#cloud-config\nruncmd: [reboot\n", /userData is not valid YAML: line 2, column 9: the \[ opened here is never closed/],
    ] as const) {
      config["userData"] = userData;
      const e = await stack()
        .up()
        .then(
          () => assert.fail("the up should have failed"),
          (err: DeploymentError) => err,
        );
      assert.ok(e instanceof DeploymentError, String(e));
      const f = e.failures.filter((x) => x.op === "check");
      assert.ok(f.length > 0, JSON.stringify(e.failures));
      assert.ok(
        f.every((x) => x.type.endsWith("virt:CloudInitDisk") && /^runner-\d-seed$/.test(x.name)),
        JSON.stringify(f),
      );
      assert.match(f[0]!.checkFailures?.find((c) => c.property === "" && c.reason.startsWith("userData"))?.reason ?? "", reason);
      assert.deepEqual(
        e.result.steps.filter((s) => s.op !== "same").map((s) => s.name),
        [],
        "no step ran",
      );
    }
    delete config["userData"];
    assert.deepEqual(ids(), before, "the runners were not touched");
  });

  it("scaling down to 1 removes exactly runner-1 and runner-2 with their clone volumes and seeds", async () => {
    const before = ids();
    config["runners"] = "1";
    const r = await stack().up();
    assert.deepEqual(
      changes(r),
      ["runner-1:delete", "runner-1-disk:delete", "runner-1-seed:delete", "runner-2:delete", "runner-2-disk:delete", "runner-2-seed:delete"].sort(),
    );
    assert.deepEqual(domains(), [runner(0)]);
    assert.deepEqual(clones(), [`${runner(0)}.qcow2`]);
    const vols = virsh(URI, "vol-list", pool);
    for (const i of [1, 2]) assert.doesNotMatch(vols, new RegExp(`${runner(i)}`), vols);
    assert.equal(ids()[runner(0)], before[runner(0)], "runner-0 untouched");
    assert.deepEqual(Object.keys(r.outputs["ips"] as Record<string, string>), [runner(0)]);
  });

  it("destroy leaves nothing on the host", async () => {
    await stack().destroy();
    const left = findLeftovers(URI, prefix);
    assert.ok(isClean(left), describeLeftovers(left));
  });
});
