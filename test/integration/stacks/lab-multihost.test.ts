import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DeploymentError, OperationResult, Stack } from "../../../tools/harness";
import { ensureGuest, makeBaseImage, waitForSerial } from "../../../tools/guest/guest";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { ensureHosts, hostsScript, TestHost } from "../../../tools/support/hosts";
import { describeLeftovers, isClean, removeLeftovers } from "../../../tools/support/leftovers";

// examples/lab-multihost through the engine harness on two hosts of the test bed (scripts/hosts.sh): one reached
// over qemu+tcp, one over qemu+tls. Each host is judged with virsh over its own unix socket. Booted test guests
// (TCG) take leases from their own host's network and report on their serial consoles, read from the host's
// log folder.
const root = join(__dirname, "..", "..", "..", "..");

describe("examples/lab-multihost through the engine harness (two hosts, one stack)", function () {
  this.timeout(900000);
  const prefix = uniqueName("mh-lab");
  const dir = tempDir("mh-lab");
  let hosts: TestHost[] = [];
  const config: Record<string, string> = { prefix, machines: "2", type: "qemu", subnet: "77" };
  const stack = (continueOnError = false) =>
    new Stack({
      programDir: join(root, "examples", "lab-multihost"),
      entry: join(root, "dist", "examples", "lab-multihost", "index.js"),
      stateDir: join(dir.path, "state"),
      config: { ...config },
      continueOnError,
    });
  const ops = (r: OperationResult) => Object.fromEntries(r.steps.filter((s) => s.type !== "pulumi:pulumi:Stack").map((s) => [s.name, s.op]));
  const plan = (r: OperationResult) => r.diagnostics.map((d) => d.text).join("\n");
  const name = (i: number) => `${prefix}-${i}`;
  const serial = (h: TestHost, i: number) => join(h.dir, "log", "qemu", `${name(i)}.serial.log`);
  const domains = (h: TestHost) =>
    virsh(h.sock, "list", "--all", "--name")
      .split("\n")
      .filter((n) => n.startsWith(prefix))
      .sort();

  before(() => {
    hosts = ensureHosts();
    const g = ensureGuest();
    Object.assign(config, {
      hosts: JSON.stringify([hosts[0]!.tcp, hosts[1]!.tls]),
      // The hosts' own daemons migrate peer-to-peer over qemu+tcp (they hold no TLS client certificate).
      peerUris: JSON.stringify([hosts[0]!.tcp, hosts[1]!.tcp]),
      kernel: g.kernel,
      initrd: g.initrd,
      baseImage: makeBaseImage(join(dir.path, "base.qcow2"), g),
    });
  });

  after(() =>
    cleanupAll([
      () => hostsScript("up", "3"), // a test that stopped a host left it down
      () =>
        stack()
          .destroy()
          .catch(() => undefined),
      () => {
        const left = hosts
          .slice(0, 2)
          .map((h) => [h.name, removeLeftovers(h.sock, prefix)] as const)
          .filter(([, l]) => !isClean(l));
        if (left.length > 0) throw new Error(`left on the hosts:\n${left.map(([n, l]) => `${n}:\n${describeLeftovers(l)}`).join("\n")}`);
      },
      () => dir.remove(),
    ]),
  );

  it("creates each host's pool, network, boot files and base, and its machines, on both hosts at once", async () => {
    const r = await stack().up();
    assert.ok(
      Object.values(ops(r)).every((op) => op === "create"),
      JSON.stringify(ops(r)),
    );
    assert.equal(Object.keys(ops(r)).length, 2 * 5 + 2 * 3, "per host: pool, network, kernel, initrd, base; per machine: disk, seed, domain");
    // Machine 0 on host 1, machine 1 on host 2, each only there.
    assert.deepEqual(domains(hosts[0]!), [name(0)]);
    assert.deepEqual(domains(hosts[1]!), [name(1)]);
    for (const [i, h] of [hosts[0]!, hosts[1]!].entries()) {
      assert.equal(virsh(h.sock, "domstate", name(i)), "running");
      assert.match(virsh(h.sock, "pool-list", "--name"), new RegExp(`^${prefix}-images$`, "m"));
      // Its own lease from its own host's network, reported by the guest itself.
      const ip = (r.outputs["machines"] as unknown as { ip: string }[])[i]!.ip;
      assert.match(virsh(h.sock, "net-dhcp-leases", `${prefix}-net`), new RegExp(`\\s${ip.replace(/\./g, "\\.")}/24\\s+${name(i)}\\b`));
      await waitForSerial(serial(h, i), new RegExp(`^GUEST: lease ${ip.replace(/\./g, "\\.")} eth0$`), 300000);
    }
    assert.deepEqual(r.outputs["byHost"], { [hosts[0]!.tcp]: [name(0)], [hosts[1]!.tls]: [name(1)] });
    // In parallel: the two domains' creates (each waits for its guest's lease) overlap.
    const span = (n: string) => {
      const s = r.steps.find((x) => x.name === n)!;
      return [s.startedAt, s.startedAt + s.durationMs] as const;
    };
    const [a0, a1] = span("vm-0");
    const [b0, b1] = span("vm-1");
    assert.ok(a0 < b1 && b0 < a1, `vm-0 ${a0}–${a1} and vm-1 ${b0}–${b1} were created one after the other`);
  });

  it("a second up changes nothing on either host", async () => {
    const r = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(r))), new Set(["same"]), plan(r));
  });

  it("a placement change moves machine 0 live to host 2 with its disk (same UUID, no reboot); host 1 keeps nothing of it", async () => {
    const [h1, h2] = [hosts[0]!, hosts[1]!];
    const uuid = virsh(h1.sock, "domuuid", name(0));
    config["placement"] = JSON.stringify({ 0: 1 });
    const r = await stack().up();
    const changed = Object.entries(ops(r))
      .filter(([, op]) => op !== "same")
      .map(([n, op]) => `${n}:${op}`)
      .sort();
    assert.ok(changed.includes("vm-0:update") && changed.includes("disk-0:delete-replaced"), plan(r));
    assert.match(plan(r), new RegExp(`virt:Domain ${name(0)}: migrated live from ${h1.tcp.replace(/[+.]/g, "\\$&")} to ${h2.tls.replace(/[+.?]/g, "\\$&")}`));
    assert.deepEqual(domains(h2), [name(0), name(1)]);
    assert.deepEqual(domains(h1), []);
    assert.equal(virsh(h2.sock, "domuuid", name(0)), uuid);
    assert.equal(virsh(h2.sock, "domstate", name(0)), "running");
    assert.ok(!virsh(h1.sock, "vol-list", `${prefix}-images`).includes(`${name(0)}.qcow2`), "its disk left host 1");
    assert.ok(!readFileSync(serial(h2, 0), "latin1").includes("GUEST: boot"), "no boot on host 2: the same running guest");
    const again = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(again))), new Set(["same"]), plan(again));
  });

  it("a host that is down fails its own resources with an error naming it; the other host's are done (continue-on-error)", async () => {
    const h2 = hosts[1]!;
    const domid = virsh(h2.sock, "domid", name(1));
    hostsScript("stop", "2");
    assert.equal(virshMaybe(h2.tcp, "version"), null, "host 2 does not answer");
    config["machines"] = "4"; // machine 2 on host 1, machine 3 on host 2
    const err = await stack(true)
      .up()
      .then(
        () => assert.fail("up succeeded with a host down"),
        (e: unknown) => e as DeploymentError,
      );
    assert.ok(err instanceof DeploymentError, String(err));
    const o = ops(err.result);
    assert.equal(o["vm-2"], "create", JSON.stringify(o));
    assert.equal(virsh(hosts[0]!.sock, "domstate", name(2)), "running");
    const failed = err.failures.map((f) => f.name).sort();
    assert.deepEqual(failed, ["disk-3", "seed-3"], JSON.stringify(err.failures));
    for (const f of err.failures) assert.match(f.message, new RegExp(h2.addr.replace(/\./g, "\\.")), f.message);
    assert.equal(o["vm-3"], undefined, "the domain on the down host is not tried (its disks failed)");
    // Nothing on host 2 was touched: its running machine is the same one once it is back.
    hostsScript("up", "3");
    assert.equal(virsh(h2.sock, "domid", name(1)), domid);
    assert.deepEqual(domains(h2), [name(0), name(1)]);

    const r = await stack().up();
    const changed = Object.entries(ops(r))
      .filter(([, op]) => op !== "same")
      .map(([n, op]) => `${n}:${op}`)
      .sort();
    assert.deepEqual(changed, ["disk-3:create", "seed-3:create", "vm-3:create"], plan(r));
    assert.deepEqual(domains(h2), [name(0), name(1), name(3)]);
    assert.deepEqual(domains(hosts[0]!), [name(2)]);
  });

  it("destroy leaves nothing with the prefix on either host", async () => {
    await stack().destroy();
    for (const h of hosts.slice(0, 2)) {
      const left = removeLeftovers(h.sock, prefix);
      assert.ok(isClean(left), `${h.name}:\n${describeLeftovers(left)}`);
    }
  });
});
