import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { guestFacts, waitForSerial } from "../../tools/guest/guest";
import { guestFixture } from "../support/guest-stack";
import { cleanupAll, virsh } from "../../tools/support/host";
import { describeLeftovers, findLeftovers, isClean } from "../../tools/support/leftovers";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../../tools/support/pulumi-cli";

// examples/lab under the real `pulumi` CLI with the real test guest (type qemu: TCG): the machines boot, read
// their cloud-init seeds and take DHCP leases, judged with virsh and the guests' serial consoles as
// test/integration/stacks/lab.test.ts judges the harness run. Also: the seeds' user-data is a secret in the state.
const URI = "qemu:///system";
const MACHINES = 2;
const qemuPid = (name: string) => readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();

describe("examples/lab under the real pulumi CLI (booted guests, cloud-init, DHCP)", function () {
  this.timeout(900000);
  const g = guestFixture(URI, "clilab");
  const { prefix, config } = g;
  const net = `${prefix}-net`;
  const name = (i: number) => `${prefix}-${i}`;
  const serial = (i: number) => join(g.dir, `${name(i)}.serial.log`);
  const identity = (i: number) => [virsh(URI, "domid", name(i)), qemuPid(name(i))];
  let p: CliProject;

  before(async function () {
    const cli = cliOrSkip(this);
    g.prepare();
    config["machines"] = String(MACHINES);
    p = await CliWorkspace.get(cli).project("lab", join(REPO, "examples", "lab", "index.ts"), join(REPO, "examples", "lab", "Pulumi.yaml"));
    Object.assign(p.config, config);
  });
  after(() => cleanupAll([() => p?.cleanup(), () => g.removeLeftovers()]));

  it("pulumi up brings up the lab; each machine boots, reads its own hostname and takes a lease", async () => {
    const r = await p.up();
    const created = Object.values(r.ops);
    assert.ok(
      created.every((op) => op === "create"),
      r.text,
    );
    assert.equal(created.length, 5 + 3 * MACHINES, r.text);
    const ips = (await p.outputs())["ips"] as Record<string, string>;
    const leases = virsh(URI, "net-dhcp-leases", net);
    for (let i = 0; i < MACHINES; i++) {
      const ip = ips[name(i)]!;
      assert.equal(virsh(URI, "domstate", name(i)), "running");
      assert.match(ip, new RegExp(`^10\\.213\\.${config["subnet"]}\\.\\d+$`));
      assert.match(leases, new RegExp(`${ip.replace(/\./g, "\\.")}/24\\s+${name(i)}\\b`), leases);
      await waitForSerial(serial(i), new RegExp(`^GUEST: lease ${ip.replace(/\./g, "\\.")} eth0$`), 300000);
      assert.ok(
        guestFacts(serial(i)).some((f) => f.startsWith("cidata instance-id=") && f.includes(` hostname=${name(i)} `)),
        guestFacts(serial(i)).join("\n"),
      );
    }
  });

  it("pulumi up again changes nothing", async () => {
    const r = await p.up();
    assert.deepEqual(new Set(Object.values(r.ops)), new Set(["same"]), r.text);
  });

  it("the seeds' user-data is ciphertext in `pulumi stack export` and never printed in plain", async () => {
    const { text, resources } = await p.exportState();
    const plain = `#cloud-config\\nhostname: ${name(0)}`; // as JSON would write it
    assert.ok(!text.includes(plain) && !text.includes(`hostname: ${name(0)}\n`), "no plain user-data anywhere in the checkpoint");
    const seed = resources.find((r) => r.urn.endsWith("::seed-0"))!;
    for (const bag of [seed.inputs!, seed.outputs!]) {
      const v = bag["userData"] as { [k: string]: unknown };
      assert.equal(v["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "a secret value");
      assert.equal(typeof v["ciphertext"], "string");
    }
    const preview = await p.preview("--diff");
    assert.ok(!preview.text.includes("#cloud-config"), preview.text);
  });

  it("pulumi preview shows one machine's balloon grown live; up does it without restarting anything", async () => {
    const before = identity(1);
    config["grow"] = "1";
    Object.assign(p.config, config);
    const pre = await p.preview();
    assert.deepEqual(
      Object.entries(pre.ops).filter(([, op]) => op !== "same"),
      [["vm-1", "update"]],
      pre.text,
    );
    assert.match(pre.text, new RegExp(`virt:Domain ${name(1)}: currentMemory 192MiB → 256MiB \\(ballooned live\\)`), pre.text);
    const r = await p.up();
    assert.deepEqual(
      Object.entries(r.ops).filter(([, op]) => op !== "same"),
      [["vm-1", "update"]],
      r.text,
    );
    assert.deepEqual(identity(1), before, "nothing restarted");
    assert.match(virsh(URI, "dommemstat", name(1)), /^actual 262144$/m);
  });

  it("pulumi refresh after a machine was shut down with virsh shows it; up starts it again", async () => {
    virsh(URI, "destroy", name(0));
    const r = await p.refresh();
    assert.equal(r.steps.find((s) => s.name === "vm-0")?.op, "refresh", r.text);
    assert.match(r.text, /vm-0/, r.text);
    const fixed = await p.up();
    assert.equal(fixed.ops["vm-0"], "update", fixed.text);
    assert.equal(virsh(URI, "domstate", name(0)), "running");
  });

  it("pulumi destroy leaves nothing on the host", async () => {
    await p.destroy();
    const left = findLeftovers(URI, prefix);
    assert.ok(isClean(left), describeLeftovers(left));
  });
});
