import assert from "node:assert/strict";
import { join } from "node:path";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { domainStats } from "../../../provider/resources/domain/stats";
import { Props, setReporter } from "../../../provider/resources/provider";
import { readSerialLog, waitForSerial } from "../../../tools/guest/guest";
import { guestDomain, guestFiles } from "../../support/guest-domain";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// Power state (running / paused / shutoff), reboot and reset on request, and live statistics, on the booted test
// guest (TCG). The guest prints "GUEST: tick N" every second (kernel argument pvt.tick): a pause and a resume keep
// counting where it stopped; a reset starts a new boot in the same QEMU process; virsh is the judge.
const URI = "qemu:///system";

describe("virt:Domain power state, reboot, reset and stats (booted guest, type qemu)", function () {
  this.timeout(900000);
  const dir = tempDir("dom-power");
  const net = uniqueName("pw-net");
  const name = uniqueName("pw-vm");
  const serial = join(dir.path, "serial.log");
  const lines: string[] = [];
  let lv: Libvirt;
  let id = "";
  let state: Props = {};

  before(async () => {
    setReporter((l) => lines.push(l));
    guestFiles(dir.path);
    lv = await Libvirt.connect(URI);
    await lv.networks.create(await lv.networks.defineXML(`<network><name>${net}</name></network>`));
  });
  after(async () => {
    await cleanupAll([
      () => {
        virshMaybe(URI, "destroy", name);
        virshMaybe(URI, "undefine", name, "--nvram");
      },
      () => {
        virshMaybe(URI, "net-destroy", net);
        virshMaybe(URI, "net-undefine", net);
      },
      () => lv.close(),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  const spec = (extra: Record<string, unknown> = {}) =>
    guestDomain(URI, name, dir.path, serial, "pvt.tick", { networkInterfaces: [{ network: net, mac: "52:54:00:5e:01:01" }], shutdownTimeout: 60, ...extra });
  const checked = async (news: Record<string, unknown>, olds: Props = {}) => {
    const r = await domain.check(olds, news);
    assert.deepEqual(r.failures, []);
    return r.inputs;
  };
  /** check, diff, update from the state: what the engine does on up. Returns the lines the provider said. */
  const up = async (extra: Record<string, unknown>) => {
    const news = await checked(spec(extra), state);
    const d = await domain.diff(id, state, news);
    assert.equal(d.changes, true, "the plan has a change");
    lines.length = 0;
    const { outs } = await domain.update(id, state, news);
    state = { ...news, ...outs };
    return [...lines];
  };
  const domid = () => virsh(URI, "domid", name);
  const boots = () => readSerialLog(serial).filter((l) => /GUEST: boot /.test(l)).length;
  const lastTick = () =>
    Number(
      /GUEST: tick (\d+)/.exec(
        readSerialLog(serial)
          .filter((l) => /GUEST: tick /.test(l))
          .pop() ?? "",
      )?.[1] ?? 0,
    );

  it("refuses contradicting running and powerState at check, naming both", async () => {
    const r = await domain.check({}, spec({ running: false, powerState: "paused" }));
    assert.equal(r.failures.length, 1, JSON.stringify(r.failures));
    assert.equal(r.failures[0]!.property, "powerState");
    assert.match(r.failures[0]!.reason, /powerState "paused" contradicts running: false; declare one of them/);
    assert.equal(virshMaybe(URI, "domstate", name), null, "nothing defined");
  });

  it("creates it running; pauses it live (same domain id, the guest's ticks stop) and resumes it (ticks go on, no new boot)", async () => {
    const inputs = await checked(spec({ powerState: "running" }));
    const made = await domain.create(inputs);
    id = made.id;
    state = { ...inputs, ...made.outs };
    assert.equal(state["powerState"], "running");
    await waitForSerial(serial, /GUEST: tick 3 /, 240000);
    const idBefore = domid();

    await up({ powerState: "paused" });
    assert.equal(virsh(URI, "domstate", name), "paused");
    assert.equal(domid(), idBefore, "same domain id");
    assert.equal(state["powerState"], "paused");
    const frozenAt = lastTick();
    // While paused the vCPUs do not run: the guest prints nothing. Checked by the count it resumes with.

    await up({ powerState: "running" });
    assert.equal(virsh(URI, "domstate", name), "running");
    assert.equal(domid(), idBefore, "resumed, not restarted");
    const next = await waitForSerial(serial, new RegExp(`GUEST: tick ${frozenAt + 2} `), 120000);
    assert.ok(next, "the tick count goes on from where it stopped");
    assert.equal(boots(), 1, "no second boot");
  });

  it("a pause behind the stack is drift: read reports it, the next up resumes it (same domain id)", async () => {
    const idBefore = domid();
    virsh(URI, "suspend", name);
    lines.length = 0;
    const read = await domain.read(id, state);
    assert.equal(read.props["powerState"], "paused");
    assert.deepEqual(lines, [`virt:Domain ${name}: is paused but declared running: up brings it back to running`]);
    state = { ...state, ...read.props };
    await up({ powerState: "running" });
    assert.equal(virsh(URI, "domstate", name), "running");
    assert.equal(domid(), idBefore);
  });

  it("resetTrigger: a change resets the guest (a new boot in the same QEMU process, same domain id); the plan says reset", async () => {
    const idBefore = domid();
    const news = await checked(spec({ powerState: "running", resetTrigger: "r1" }), state);
    const d = await domain.diff(id, state, news);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
    const said = await up({ powerState: "running", resetTrigger: "r1" });
    assert.deepEqual(
      said.filter((l) => /reset/.test(l)),
      [`virt:Domain ${name}: reset (resetTrigger changed)`],
    );
    assert.equal(domid(), idBefore, "same process");
    await waitForSerial(serial, /GUEST: boot /, 240000, readSerialLog(serial).findIndex((l) => /GUEST: ready/.test(l)) + 1);
    assert.equal(boots(), 2, "the guest booted a second time in the same log");
    // Any other change never resets: a balloon change leaves the boot count alone.
    await up({ powerState: "running", resetTrigger: "r1", currentMemory: "224MiB" });
    assert.equal(boots(), 2);
  });

  it("rebootTrigger: a change reboots gracefully (ACPI shutdown answered, then a start: a new domain id)", async () => {
    await waitForSerial(
      serial,
      /GUEST: ready /,
      240000,
      readSerialLog(serial)
        .map((l) => /GUEST: boot /.test(l))
        .lastIndexOf(true),
    );
    const idBefore = domid();
    const said = await up({ powerState: "running", resetTrigger: "r1", currentMemory: "224MiB", rebootTrigger: "b1" });
    assert.ok(
      said.some((l) => l === `virt:Domain ${name}: rebooting (rebootTrigger changed): graceful shutdown, up to 60 s, then start`),
      said.join("\n"),
    );
    assert.equal(virsh(URI, "domstate", name), "running");
    assert.notEqual(domid(), idBefore, "a new QEMU process");
    await waitForSerial(serial, /GUEST: ready /, 240000);
    assert.equal(state["powerState"], "running");
  });

  it("getDomainStats reads what virsh domstats reads (balloon equal, counters present and not going back)", async () => {
    const a = await domainStats(name, { uri: URI });
    const v = virsh(URI, "domstats", name);
    const field = (k: string) => Number(new RegExp(`^\\s*${k.replace(/\./g, "\\.")}=(\\d+)$`, "m").exec(v)?.[1]);
    assert.equal(a.powerState, "running");
    assert.equal(a.balloonCurrentKiB, field("balloon.current"));
    assert.equal(a.balloonMaximumKiB, field("balloon.maximum"));
    assert.equal(a.vcpusCurrent, field("vcpu.current"));
    assert.equal(a.nics.length, field("net.count"));
    assert.equal(a.blocks.length, field("block.count"));
    assert.ok((a.cpuTimeNs ?? 0) > 0, "cpu.time");
    assert.ok((a.cpuTimeNs ?? 0) <= field("cpu.time"), "virsh read later: its cpu.time is not smaller");
    assert.equal(a.nics[0]!.name, field("net.count") > 0 ? /net\.0\.name=(\S+)/.exec(v)![1] : undefined);
    const b = await domainStats(name, { uri: URI });
    assert.ok((b.cpuTimeNs ?? 0) >= (a.cpuTimeNs ?? 0));
    assert.ok((b.nics[0]!.txBytes ?? 0) >= (a.nics[0]!.txBytes ?? 0));
    await assert.rejects(domainStats(`${name}-nope`, { uri: URI }), new RegExp(`getDomainStats: no domain named "${name}-nope" on qemu:///system`));
  });

  it("shutoff shuts it down gracefully; paused from shut off starts it paused; delete resumes it and shuts it down", async () => {
    await up({ powerState: "shutoff" });
    assert.equal(virsh(URI, "domstate", name), "shut off");
    assert.equal(state["running"], false);
    assert.equal(state["domainId"], -1);
    await up({ powerState: "paused" });
    assert.equal(virsh(URI, "domstate", name), "paused");
    assert.equal(state["powerState"], "paused");
    await domain.delete(id, state);
    assert.equal(virshMaybe(URI, "domstate", name), null);
  });
});
