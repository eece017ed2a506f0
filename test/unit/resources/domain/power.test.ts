import assert from "node:assert/strict";
import { describePlan, plan } from "../../../../provider/diff";
import { planDomainOps } from "../../../../provider/resources/domain/ops";
import { domain } from "../../../../provider/resources/domain";
import { normalisePower, powerStateOf, powerTarget } from "../../../../provider/resources/domain/power";
import { domainSpec } from "../../../../provider/resources/domain/spec";
import { shapeStats } from "../../../../provider/resources/domain/stats";
import { DomainState, TypedParam } from "../../../../provider/libvirt";

const MiB = 1024 * 1024;
const base = { name: "web", type: "qemu", memory: 256 * MiB, currentMemory: 128 * MiB, vcpus: 1, running: true, powerState: "running", autostart: false };
const ops = (olds: Record<string, unknown>, news: Record<string, unknown>) => planDomainOps(plan(domainSpec.inputs, olds, news), news);
const says = (olds: Record<string, unknown>, news: Record<string, unknown>) =>
  describePlan("virt:Domain", "web", domainSpec.inputs, plan(domainSpec.inputs, olds, news));

describe("virt:Domain power state, reboot and reset (pure)", () => {
  it("check fills powerState from running and running from powerState; both declared must agree", () => {
    const a: Record<string, unknown> = { running: false };
    assert.deepEqual(normalisePower(a, "virt:Domain web"), []);
    assert.deepEqual(a, { running: false, powerState: "shutoff" });
    const b: Record<string, unknown> = { powerState: "paused" };
    assert.deepEqual(normalisePower(b, "virt:Domain web"), []);
    assert.deepEqual(b, { running: true, powerState: "paused" });
    const c: Record<string, unknown> = {};
    normalisePower(c, "virt:Domain web");
    assert.deepEqual(c, { running: true, powerState: "running" });
    for (const [running, powerState] of [
      [true, "shutoff"],
      [false, "running"],
      [false, "paused"],
    ] as const) {
      const f = normalisePower({ running, powerState }, "virt:Domain web");
      assert.equal(f.length, 1);
      assert.match(f[0]!.reason, new RegExp(`^virt:Domain web: powerState "${powerState}" contradicts running: ${running}; declare one of them`));
    }
  });

  it("check through the resource: a contradiction fails before anything else, naming the property", async () => {
    const r = await domain.check({}, { name: "web", type: "qemu", memory: "64MiB", running: false, powerState: "running" });
    assert.ok(
      r.failures.some((f) => f.property === "powerState" && /contradicts running: false/.test(f.reason)),
      JSON.stringify(r.failures),
    );
  });

  it("maps libvirt's states to the input's words", () => {
    assert.equal(powerStateOf(DomainState.RUNNING), "running");
    assert.equal(powerStateOf(DomainState.BLOCKED), "running");
    assert.equal(powerStateOf(DomainState.PAUSED), "paused");
    assert.equal(powerStateOf(DomainState.SHUTOFF), "shutoff");
    assert.equal(powerStateOf(DomainState.CRASHED), "shutoff");
    assert.equal(powerTarget({ running: false }), "shutoff");
    assert.equal(powerTarget({}), "running");
  });

  it("a powerState change is a live power op, never a redefinition; the plan says how it is applied", () => {
    assert.deepEqual(ops(base, { ...base, powerState: "paused" }), { redefine: false, live: [], pending: [], power: "paused" });
    assert.deepEqual(says(base, { ...base, powerState: "paused" }), [
      "virt:Domain web: powerState running → paused (applied live: start, pause, resume or graceful shutdown)",
    ]);
  });

  it("a trigger change asks for a reboot or a reset (reset wins), and the plan says so in words; nothing else does", () => {
    assert.deepEqual(ops(base, { ...base, rebootTrigger: "1" }), { redefine: false, live: [], pending: [], reboot: "graceful" });
    assert.deepEqual(ops(base, { ...base, resetTrigger: "1" }), { redefine: false, live: [], pending: [], reboot: "reset" });
    assert.equal(ops(base, { ...base, rebootTrigger: "1", resetTrigger: "1" }).reboot, "reset");
    assert.match(
      says(base, { ...base, rebootTrigger: "1" })[0]!,
      /rebootTrigger .*\(rebooted gracefully: ACPI shutdown, forced off after shutdownTimeout, then started\)$/,
    );
    assert.match(says(base, { ...base, resetTrigger: "1" })[0]!, /resetTrigger .*\(reset: the guest restarts at once, unwritten data in the guest is lost\)$/);
    // Same trigger value, other changes: no reboot.
    const withTrigger = { ...base, rebootTrigger: "1", resetTrigger: "x" };
    assert.equal(ops(withTrigger, { ...withTrigger, currentMemory: 96 * MiB, memory: 512 * MiB }).reboot, undefined);
  });

  it("an old state without powerState (written before it existed) plans no change for an unchanged program", async () => {
    const { powerState: _, ...old } = base;
    const d = await domain.diff("", { ...old, resolvedType: "qemu" }, base);
    assert.equal(d.changes, false);
  });
});

describe("getDomainStats: the record shaped (pure)", () => {
  const p = (field: string, type: 2 | 4 | 7, value: number | string): TypedParam =>
    ({ field, value: { type, value: type === 4 ? BigInt(value) : value } }) as TypedParam;
  it("turns libvirt's flat fields into counters per disk and NIC and keeps every raw field", () => {
    const s = shapeStats("web", "qemu:///system", [
      p("state.state", 2, 1),
      p("state.reason", 2, 1),
      p("cpu.time", 4, 123456789),
      p("balloon.current", 4, 262144),
      p("balloon.maximum", 4, 262144),
      p("vcpu.current", 2, 1),
      p("vcpu.maximum", 2, 2),
      p("net.count", 2, 1),
      p("net.0.name", 7, "vnet3"),
      p("net.0.rx.bytes", 4, 1000),
      p("net.0.tx.bytes", 4, 2000),
      p("block.count", 2, 1),
      p("block.0.name", 7, "vda"),
      p("block.0.path", 7, "/var/lib/libvirt/images/a.qcow2"),
      p("block.0.rd.bytes", 4, 4096),
    ]);
    assert.equal(s.powerState, "running");
    assert.equal(s.cpuTimeNs, 123456789);
    assert.equal(s.balloonCurrentKiB, 262144);
    assert.equal(s.vcpusMaximum, 2);
    assert.deepEqual(s.nics, [{ name: "vnet3", rxBytes: 1000, txBytes: 2000 }]);
    assert.deepEqual(s.blocks, [{ name: "vda", path: "/var/lib/libvirt/images/a.qcow2", readBytes: 4096 }]);
    assert.equal(s.raw["net.0.name"], "vnet3");
    assert.equal(Object.keys(s.raw).length, 15);
  });
});
