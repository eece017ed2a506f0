import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { OperationResult } from "../../../tools/harness";
import { guestFacts, waitForSerial } from "../../../tools/guest/guest";
import { guestStack } from "../../support/guest-stack";
import { virsh } from "../../../tools/support/host";
import { describeLeftovers, findLeftovers, isClean } from "../../../tools/support/leftovers";

// examples/lab through the engine harness with the real test guest (type qemu: TCG; see tools/guest/README.md):
// the guests boot from the kernel and initrd uploaded into the pool, read their cidata seeds, take DHCP leases
// and report on their serial consoles, which this test reads. Checked on the host with virsh, not our client.
const URI = "qemu:///system";
const MACHINES = 2; // each TCG boot costs ~12 s of a quiet 2-core host: keep the lab small
const qemuPid = (name: string) => readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();

interface MachineOut {
  name: string;
  hostname: string;
  ip: string;
  mac: string;
  domainId: number;
  type: string;
  instanceId: string;
  serialLog: string;
}

describe("examples/lab through the engine harness (booted guests, cloud-init, DHCP)", function () {
  this.timeout(600000);
  const g = guestStack("lab", URI, "lab");
  const { prefix, config, stack } = g;
  config["machines"] = String(MACHINES);
  const subnet = config["subnet"];
  const net = `${prefix}-net`;
  const pool = `${prefix}-images`;
  const name = (i: number) => `${prefix}-${i}`;
  const serial = (i: number) => join(g.dir, `${name(i)}.serial.log`);
  const ops = (r: OperationResult) => Object.fromEntries(r.steps.filter((s) => s.name !== "lab-dev").map((s) => [s.name, s.op]));
  const plan = (r: OperationResult) =>
    r.diagnostics
      .filter((d) => d.source === "plugin")
      .map((d) => d.text)
      .join("\n");
  const machines = (r: OperationResult) => r.outputs["machines"] as unknown as MachineOut[];
  /** Domain id and QEMU process: both unchanged means nothing restarted. */
  const identity = (i: number) => [virsh(URI, "domid", name(i)), qemuPid(name(i))];

  before(() => g.prepare());
  after(() => g.cleanup());

  let first: MachineOut[] = [];

  it("brings up the network, pool, boot files, base, and machines that each read their own hostname and took a lease", async () => {
    const r = await stack().up();
    const created = Object.values(ops(r));
    assert.ok(
      created.every((op) => op === "create"),
      JSON.stringify(ops(r)),
    );
    assert.equal(created.length, 5 + 3 * MACHINES, "pool, network, kernel, initrd, base + per machine: disk, seed, domain");
    first = machines(r);
    assert.equal(first.length, MACHINES);

    const leases = virsh(URI, "net-dhcp-leases", net);
    for (const [i, m] of first.entries()) {
      assert.equal(m.name, name(i));
      assert.equal(m.hostname, name(i));
      assert.equal(m.type, "qemu");
      assert.equal(virsh(URI, "domstate", m.name), "running");
      assert.equal(String(m.domainId), virsh(URI, "domid", m.name));
      // The lease dnsmasq gave this MAC, with the host name the guest sent: the IP output is that lease.
      assert.match(m.ip, new RegExp(`^10\\.213\\.${subnet}\\.\\d+$`));
      assert.match(leases, new RegExp(`${m.mac}\\s+ipv4\\s+${m.ip.replace(/\./g, "\\.")}/24\\s+${m.hostname}\\b`), leases);
      assert.equal((r.outputs["ips"] as Record<string, string>)[m.name], m.ip);
      // The guest's own account, from its serial console: its seed, its hostname, its clone disk, its lease.
      await waitForSerial(serial(i), new RegExp(`^GUEST: lease ${m.ip.replace(/\./g, "\\.")} eth0$`), 300000);
      const facts = guestFacts(serial(i));
      assert.ok(facts.includes(`cidata instance-id=${m.instanceId} hostname=${m.hostname} device=sr0`), facts.join("\n"));
      assert.ok(facts.includes("disks vda"), facts.join("\n"));
      // Its disk is a copy-on-write clone over the base volume; it boots the kernel uploaded into the pool.
      assert.match(
        virsh(URI, "vol-dumpxml", "--pool", pool, `${m.name}.qcow2`),
        new RegExp(`<backingStore>\\s*<path>${g.dir}/images/${prefix}-base\\.qcow2</path>`),
      );
      assert.match(virsh(URI, "dumpxml", m.name), new RegExp(`<kernel>${g.dir}/images/${prefix}-vmlinuz</kernel>`));
    }
    assert.equal(new Set(first.map((m) => m.ip)).size, MACHINES, "one address each");
    assert.match(virsh(URI, "vol-dumpxml", "--pool", pool, `${prefix}-base.qcow2`), /<format type='qcow2'\/>/, "the uploaded base image");
  });

  it("a second up changes nothing", async () => {
    const r = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(r))), new Set(["same"]), plan(r));
  });

  it("grows one machine's balloon live: same domain id and QEMU process, and the guest sees the memory", async () => {
    const before = identity(1);
    const seen = guestFacts(serial(1)).filter((f) => f.startsWith("memory "));
    const memBefore = Number(seen[seen.length - 1]!.split(" ")[1]);
    const fromLine = readFileSync(serial(1), "latin1").split("\n").length - 1;

    config["grow"] = "1";
    const r = await stack().up();
    const changed = Object.entries(ops(r)).filter(([, op]) => op !== "same");
    assert.deepEqual(changed, [["vm-1", "update"]], plan(r));
    assert.match(plan(r), new RegExp(`virt:Domain ${name(1)}: currentMemory 192MiB → 256MiB \\(ballooned live\\)`));
    assert.deepEqual(identity(1), before, "nothing restarted");
    assert.match(virsh(URI, "dumpxml", "--inactive", name(1)), /<currentMemory unit='KiB'>262144<\/currentMemory>/, "saved for the next boot too");
    const m = await waitForSerial(serial(1), /^GUEST: memory (\d+)$/, 120000, fromLine);
    assert.ok(Number(m[1]) > memBefore + 40000, `the guest's MemTotal grew by the ~64 MiB given back: ${memBefore} → ${m[1]} kB`);
    assert.match(virsh(URI, "dommemstat", name(1)), /^actual 262144$/m);

    const again = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(again))), new Set(["same"]), plan(again));
  });

  it("a new hostname for one machine replaces its seed and swaps the media live; after a reset the guest reads it", async () => {
    const before = identity(0);
    const oldSeed = `${g.dir}/images/${name(0)}-seed.iso`;
    config["hostnames"] = JSON.stringify({ 0: "web" });
    const r = await stack().up();
    const steps = r.steps.filter((s) => s.op !== "same").map((s) => `${s.name}:${s.op}`);
    assert.deepEqual(steps, ["seed-0:delete-replaced", "seed-0:replace", "vm-0:update"], plan(r));
    assert.match(plan(r), new RegExp(`virt:Domain ${name(0)}: disks\\[sda\\]\\.revision iid-\\w+ → iid-\\w+ \\(media changed live\\)`));
    assert.deepEqual(identity(0), before, "the same running domain");
    const out = machines(r)[0]!;
    assert.equal(out.hostname, "web");
    assert.notEqual(out.instanceId, first[0]!.instanceId);
    // The seed's file was replaced under the same path. QEMU holds what it opened: after a real media change that
    // is the new file; had the change been skipped it would still hold the deleted one.
    const fds = readdirSync(`/proc/${before[1]}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${before[1]}/fd/${fd}`);
      } catch {
        return "";
      }
    });
    assert.ok(fds.includes(oldSeed), `QEMU has the new seed open: ${fds.filter((f) => f.includes("seed")).join(", ")}`);
    assert.ok(!fds.includes(`${oldSeed} (deleted)`), "and not the replaced one");
    assert.match(execFileSync("isoinfo", ["-R", "-x", "/meta-data", "-i", oldSeed], { encoding: "utf8" }), /^local-hostname: web$/m);

    // The guest reads its seed at boot: a reset (same QEMU process, same domain id) shows it gets the new one.
    const fromLine = readFileSync(serial(0), "latin1").split("\n").length - 1;
    virsh(URI, "reset", name(0));
    const seen = await waitForSerial(serial(0), /^GUEST: cidata .*$/, 300000, fromLine);
    assert.equal(seen[0], `GUEST: cidata instance-id=${out.instanceId} hostname=web device=sr0`);
    assert.deepEqual(identity(0), before, "a reset keeps the domain and its process");
    assert.equal(virsh(URI, "domstate", name(1)), "running", "the other machine still runs");
  });

  it("destroy leaves nothing on the host", async () => {
    await stack().destroy();
    const left = findLeftovers(URI, prefix);
    assert.ok(isClean(left), describeLeftovers(left));
    assert.deepEqual(
      readdirSync(g.dir).filter((f) => f === "images"),
      [],
      "the pool's directory is gone with the pool",
    );
  });
});
