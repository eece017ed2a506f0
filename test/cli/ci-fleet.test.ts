import assert from "node:assert/strict";
import { join } from "node:path";
import { guestFacts, waitForSerial } from "../../tools/guest/guest";
import { guestFixture } from "../support/guest-stack";
import { cleanupAll, virsh } from "../../tools/support/host";
import { describeLeftovers, findLeftovers, isClean } from "../../tools/support/leftovers";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../../tools/support/pulumi-cli";

// examples/ci-fleet under the real `pulumi` CLI with the real test guest (type qemu: TCG). Scaling must touch
// only the runners past the new end — judged with virsh, as test/integration/stacks/ci-fleet.test.ts does.
const URI = "qemu:///system";

describe("examples/ci-fleet under the real pulumi CLI (scaling runners)", function () {
  this.timeout(900000);
  const g = guestFixture(URI, "clifleet");
  const { prefix, config } = g;
  const pool = `${prefix}-images`;
  const runner = (i: number) => `${prefix}-runner-${i}`;
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
  const changes = (ops: Record<string, string>) =>
    Object.entries(ops)
      .filter(([, op]) => op !== "same")
      .map(([n, op]) => `${n}:${op}`)
      .sort();
  let p: CliProject;

  before(async function () {
    const cli = cliOrSkip(this);
    g.prepare();
    config["runners"] = "2";
    p = await CliWorkspace.get(cli).project("ci-fleet", join(REPO, "examples", "ci-fleet", "index.ts"), join(REPO, "examples", "ci-fleet", "Pulumi.yaml"));
    Object.assign(p.config, config);
  });
  after(() => cleanupAll([() => p?.cleanup(), () => g.removeLeftovers()]));

  it("pulumi up brings up 2 runners, each booted with its own seed and a lease", async () => {
    const r = await p.up();
    assert.ok(
      Object.values(r.ops).every((op) => op === "create"),
      r.text,
    );
    assert.deepEqual(domains(), [runner(0), runner(1)]);
    assert.deepEqual(clones(), [`${runner(0)}.qcow2`, `${runner(1)}.qcow2`]);
    const ips = (await p.outputs())["ips"] as Record<string, string>;
    assert.deepEqual(Object.keys(ips).sort(), [runner(0), runner(1)]);
    const leases = virsh(URI, "net-dhcp-leases", `${prefix}-net`);
    for (const [name, ip] of Object.entries(ips)) {
      assert.match(leases, new RegExp(`${ip.replace(/\./g, "\\.")}/24\\s+${name}\\b`), leases);
      const log = join(g.dir, `${name}.serial.log`);
      await waitForSerial(log, /^GUEST: lease /, 300000);
      assert.ok(
        guestFacts(log).some((f) => f.startsWith("cidata instance-id=") && f.includes(` hostname=${name} `)),
        guestFacts(log).join("\n"),
      );
    }
  });

  it("pulumi up again changes nothing", async () => {
    const r = await p.up();
    assert.deepEqual(new Set(Object.values(r.ops)), new Set(["same"]), r.text);
  });

  it("a bad user-data is refused at check with the reason, and nothing on the host changes", async () => {
    const ids = domains().map((d) => virsh(URI, "domid", d));
    p.config["userData"] = "runcmd: [reboot]\n";
    const e = await p.up().then(
      () => assert.fail("the up should have failed"),
      (err: Error) => err,
    );
    delete p.config["userData"];
    assert.match(
      e.message,
      /resource 'runner-\d-seed' has a problem: userData must be a cloud-config \(first line exactly "#cloud-config", then YAML\) or a script/,
      e.message,
    );
    // userData is a secret: the engine prints the value of a property a check failure names, so ours name none.
    assert.doesNotMatch(e.message, /runcmd: \[reboot\]/, e.message);
    assert.deepEqual(
      domains().map((d) => virsh(URI, "domid", d)),
      ids,
      "the runners were not touched",
    );
  });

  it("pulumi preview of scaling down to 1 lists exactly runner-1's three deletes; up removes them", async () => {
    const id0 = virsh(URI, "domid", runner(0));
    p.config["runners"] = "1";
    const pre = await p.preview();
    assert.deepEqual(changes(pre.ops), ["runner-1-disk:delete", "runner-1-seed:delete", "runner-1:delete"].sort(), pre.text);
    assert.match(pre.text, /- 3 to delete/, pre.text);
    const r = await p.up();
    assert.deepEqual(changes(r.ops), ["runner-1-disk:delete", "runner-1-seed:delete", "runner-1:delete"].sort(), r.text);
    assert.deepEqual(domains(), [runner(0)]);
    assert.deepEqual(clones(), [`${runner(0)}.qcow2`]);
    assert.equal(virsh(URI, "domid", runner(0)), id0, "runner-0 untouched");
  });

  it("pulumi refresh finds the network's autostart turned off with virsh; up turns it back on", async () => {
    virsh(URI, "net-autostart", "--disable", `${prefix}-net`);
    const r = await p.refresh();
    assert.equal(r.steps.find((s) => s.name === "fleet")?.op, "refresh", r.text);
    const fixed = await p.up();
    assert.deepEqual(changes(fixed.ops), ["fleet:update"], fixed.text);
    assert.match(virsh(URI, "net-info", `${prefix}-net`), /Autostart:\s+yes/);
  });

  it("pulumi destroy leaves nothing on the host", async () => {
    await p.destroy();
    const left = findLeftovers(URI, prefix);
    assert.ok(isClean(left), describeLeftovers(left));
  });
});
