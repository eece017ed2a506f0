import { domainFixture } from "../../support/domain-fixture";
import assert from "node:assert/strict";
import { domain } from "../../../provider/resources/domain";
import { ACCEL } from "../../../tools/support/accel";
import { uniqueName, virsh } from "../../../tools/support/host";

// Tuning rows mapped by the spec table alone (PropSpec.xml + PropSpec.tune): memtune limits, changed live with
// virDomainSetMemoryParameters on a running domain (no guest OS needed) and in its config. virsh judges.
const URI = "qemu:///system";

/** `virsh memtune` as field → KiB ("unlimited" stays a string). */
function memtune(name: string, where: "--live" | "--config"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of virsh(URI, "memtune", name, where).split("\n")) {
    const m = /^(\w+)\s*:\s*(\S+)/.exec(line.trim());
    if (m !== null) out[m[1]!] = m[2]!;
  }
  return out;
}

describe("virt:Domain tuning rows (memtune) on qemu:///system", function () {
  this.timeout(180000);
  const { names, lines } = domainFixture(URI);

  const checked = async (news: Record<string, unknown>) => {
    const r = await domain.check({}, { connection: { uri: URI }, type: ACCEL(), memory: "128MiB", shutdownTimeout: 0, ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  };

  it("creates with a limit, adds and changes one live (same domain id), lifts one, reports drift and puts it back", async () => {
    // Created with soft_limit only: at start QEMU's locked-memory rlimit is raised to hard_limit, which this
    // sandbox's libvirtd may not do (no CAP_SYS_RESOURCE: "cannot limit locked memory ... Operation not
    // permitted"); setting hard_limit on the running domain works everywhere.
    const name = uniqueName("tune");
    names.push(name);
    const inputs = await checked({ name, memtune: { softLimit: "512MiB" } });
    const { id, outs } = await domain.create(inputs);
    assert.equal(outs["state"], "running");
    for (const where of ["--live", "--config"] as const) assert.equal(memtune(name, where)["soft_limit"], "524288", where);
    const read = await domain.read(id, outs);
    assert.deepEqual(read?.props["memtune"], { softLimit: 536870912 }, "read back in bytes");
    assert.deepEqual(await domain.diff(id, read!.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });

    // Live changes: the plan says so, nothing is redefined, the domain keeps its id.
    const domId = virsh(URI, "domid", name).trim();
    const added = await checked({ name, memtune: { hardLimit: "1GiB", softLimit: "512MiB" } });
    const { outs: o1 } = await domain.update(id, outs, added);
    for (const where of ["--live", "--config"] as const)
      assert.deepEqual([memtune(name, where)["hard_limit"], memtune(name, where)["soft_limit"]], ["1048576", "524288"], where);
    const changed = await checked({ name, memtune: { hardLimit: "2GiB", softLimit: "512MiB" } });
    lines.length = 0;
    const d = await domain.diff(id, o1, changed);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
    assert.ok(
      lines.some((l) => /memtune\.hardLimit.*1 ?GiB.*2 ?GiB.*set live/.test(l)),
      lines.join("\n"),
    );
    const { outs: after } = await domain.update(id, o1, changed);
    assert.equal(virsh(URI, "domid", name).trim(), domId, "same running domain");
    for (const where of ["--live", "--config"] as const) assert.equal(memtune(name, where)["hard_limit"], "2097152", where);
    assert.deepEqual(after["pendingRestart"], []);

    // A limit removed is lifted, live and in the config.
    const lifted = await checked({ name, memtune: { hardLimit: "2GiB" } });
    const { outs: after2 } = await domain.update(id, after, lifted);
    for (const where of ["--live", "--config"] as const) assert.equal(memtune(name, where)["soft_limit"], "unlimited", where);

    // Drift behind the stack: refresh reports it, up puts the declared value back.
    virsh(URI, "memtune", name, "--hard-limit", "3145728", "--live", "--config");
    const drifted = await domain.read(id, after2);
    assert.deepEqual(drifted?.props["memtune"], { hardLimit: 3221225472 });
    assert.equal((await domain.diff(id, drifted!.props, lifted)).changes, true);
    await domain.update(id, drifted!.props, lifted);
    for (const where of ["--live", "--config"] as const) assert.equal(memtune(name, where)["hard_limit"], "2097152", where);
    assert.equal(virsh(URI, "domid", name).trim(), domId, "still the same running domain");
  });

  it("cputune.shares: a row and nothing else (xml path + scheduler parameter), changed live", async () => {
    const name = uniqueName("tune");
    names.push(name);
    const shares = () => /cpu_shares\s*:\s*(\d+)/.exec(virsh(URI, "schedinfo", name, "--live"))?.[1];
    const inputs = await checked({ name, cputune: { shares: 512 } });
    const { id, outs } = await domain.create(inputs);
    assert.equal(shares(), "512");
    const domId = virsh(URI, "domid", name).trim();
    const changed = await checked({ name, cputune: { shares: 2048 } });
    const { outs: after } = await domain.update(id, outs, changed);
    assert.equal(shares(), "2048", "live");
    assert.match(virsh(URI, "dumpxml", "--inactive", name), /<cputune>\s*<shares>2048<\/shares>/, "and in the config");
    assert.equal(virsh(URI, "domid", name).trim(), domId, "same running domain");
    assert.deepEqual((await domain.read(id, after))?.props["cputune"], { shares: 2048 });
  });

  it("a stopped domain gets the change in its config only", async () => {
    const name = uniqueName("tune");
    names.push(name);
    const inputs = await checked({ name, running: false, memtune: { hardLimit: "1GiB" } });
    const { id, outs } = await domain.create(inputs);
    assert.equal(memtune(name, "--config")["hard_limit"], "1048576");
    const changed = await checked({ name, running: false, memtune: { hardLimit: "1536MiB" } });
    await domain.update(id, outs, changed);
    assert.equal(memtune(name, "--config")["hard_limit"], "1572864");
    assert.equal(virsh(URI, "domstate", name).trim(), "shut off");
  });
});
