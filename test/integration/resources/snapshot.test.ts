import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { Props, setReporter } from "../../../provider/resources/provider";
import { domainSnapshot } from "../../../provider/resources/snapshot";
import { readSerialLog, waitForSerial } from "../../../tools/guest/guest";
import { guestDomain, guestFiles } from "../../support/guest-domain";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// DomainSnapshot and the Domain's one-shot revert on the booted test guest (TCG). The guest prints "GUEST: tick N"
// every second and writes "tick N" into the first sector of its disk (kernel arguments pvt.tick pvt.disk=vda):
// after a revert to a memory snapshot its count goes back; after a revert to a disk snapshot the disk's bytes are
// those of the snapshot. virsh (snapshot-list, snapshot-info, domblklist) and qemu-img are the judges.
const URI = "qemu:///system";

describe("virt:DomainSnapshot and Domain revert (booted guest, type qemu)", function () {
  this.timeout(900000);
  const dir = tempDir("snap");
  const name = uniqueName("sn-vm");
  const rawDom = uniqueName("sn-raw");
  const other = uniqueName("sn-other");
  const serial = join(dir.path, "serial.log");
  const image = join(dir.path, "disk.qcow2");
  const lines: string[] = [];
  let id = "";
  let state: Props = {};
  const snaps: { id: string; outs: Props }[] = [];

  before(() => {
    setReporter((l) => lines.push(l));
    guestFiles(dir.path);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
    execFileSync("qemu-img", ["create", "-q", "-f", "raw", join(dir.path, "raw.img"), "8M"]);
  });
  after(async () => {
    await cleanupAll([
      ...[name, rawDom, other].map((n) => () => {
        virshMaybe(URI, "destroy", n);
        for (const s of (virshMaybe(URI, "snapshot-list", n, "--name") ?? "").split("\n").filter(Boolean))
          virshMaybe(URI, "snapshot-delete", n, s, "--metadata");
        virshMaybe(URI, "undefine", n, "--snapshots-metadata");
      }),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  const spec = (extra: Record<string, unknown> = {}) =>
    guestDomain(URI, name, dir.path, serial, "pvt.tick pvt.disk=vda", {
      disks: [{ file: image, format: "qcow2", target: "vda" }],
      shutdownTimeout: 60,
      ...extra,
    });
  const checked = async (impl: typeof domain, news: Record<string, unknown>, olds: Props = {}) => {
    const r = await impl.check(olds, news);
    assert.deepEqual(r.failures, []);
    return r.inputs;
  };
  const up = async (extra: Record<string, unknown>) => {
    const news = await checked(domain, spec(extra), state);
    await domain.diff(id, state, news);
    const { outs } = await domain.update(id, state, news);
    state = { ...news, ...outs };
  };
  const snapshot = async (args: Record<string, unknown>) => {
    const inputs = await checked(domainSnapshot, { connection: { uri: URI }, domain: name, ...args });
    const made = await domainSnapshot.create(inputs);
    snaps.push(made);
    return made;
  };
  const ticks = () => readSerialLog(serial).flatMap((l, i) => (/GUEST: tick (\d+) /.exec(l) ? [{ n: Number(/GUEST: tick (\d+) /.exec(l)![1]), line: i }] : []));
  const sector = () => {
    const out = join(dir.path, "sector.raw");
    rmSync(out, { force: true });
    execFileSync("qemu-img", ["dd", "-f", "qcow2", "-O", "raw", `if=${image}`, `of=${out}`, "bs=512", "count=1"]);
    return readFileSync(out, "latin1");
  };

  it("refuses at preview an internal snapshot of a domain with a raw disk, naming the disk and what to do", async () => {
    const xml = join(dir.path, "raw.xml");
    writeFileSync(
      xml,
      `<domain type='qemu'><name>${rawDom}</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os><devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${join(dir.path, "raw.img")}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
    );
    virsh(URI, "define", xml);
    const r = await domainSnapshot.check({}, { connection: { uri: URI }, domain: rawDom, name: "s" });
    assert.equal(r.failures.length, 1, JSON.stringify(r.failures));
    assert.match(
      r.failures[0]!.reason,
      new RegExp(`virt:DomainSnapshot ${rawDom}/s: kind "internal" needs every writable disk in qcow2 .* vda is raw: use kind "external"`),
    );
    assert.equal(virsh(URI, "snapshot-list", rawDom, "--name"), "", "nothing taken");
  });

  it("a memory snapshot of the running guest; a revert brings its tick count back (same boot), the plan saying what is discarded", async () => {
    const inputs = await checked(domain, spec());
    const made = await domain.create(inputs);
    id = made.id;
    state = { ...inputs, ...made.outs };
    await waitForSerial(serial, /GUEST: tick 3 /, 240000);
    const before = ticks().pop()!.n;
    const s1 = await snapshot({ name: "s1", description: "before the risky change" });
    const after = ticks().pop()!.n;
    assert.equal(s1.outs["state"], "running");
    assert.equal(s1.outs["current"], true);
    assert.deepEqual(s1.outs["files"], []);
    assert.match(virsh(URI, "snapshot-info", name, "s1"), /State:\s+running/);
    await waitForSerial(serial, new RegExp(`GUEST: tick ${after + 5} `), 120000);

    // Preview of a revert to a snapshot that does not exist: refused, nothing reverted.
    const bad = await checked(domain, spec({ revert: { snapshot: "nope", trigger: "1" } }), state);
    await assert.rejects(domain.diff(id, state, bad), /revert\.snapshot: the domain has no snapshot named "nope" \(it has "s1"\)/);

    lines.length = 0;
    const news = await checked(domain, spec({ revert: { snapshot: "s1", trigger: "1" } }), state);
    const d = await domain.diff(id, state, news);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
    assert.ok(
      lines.some((l) => /will be REVERTED to snapshot "s1": everything the domain wrote since .* is discarded/.test(l)),
      lines.join("\n"),
    );
    const revertAt = readSerialLog(serial).length;
    const highest = ticks().pop()!.n;
    const { outs } = await domain.update(id, state, news);
    state = { ...news, ...outs };
    // libvirt may restart QEMU to load the snapshot (a new process truncates the serial file): then the lines after
    // the revert start at the top of the file, which no longer has the boot line.
    await waitForSerial(serial, /GUEST: tick (\d+) /, 120000, 0);
    const truncated = !readSerialLog(serial).some((l) => /GUEST: boot /.test(l));
    const from = truncated ? 0 : revertAt;
    const next = await waitForSerial(serial, /GUEST: tick (\d+) /, 120000, from);
    assert.ok(
      Number(next[1]) <= after + 1 && Number(next[1]) >= before,
      `after the revert the guest counts from the snapshot (${before}..${after}), not from ${highest}: it printed tick ${next[1]}`,
    );
    assert.ok(
      !readSerialLog(serial)
        .slice(from)
        .some((l) => /GUEST: boot /.test(l)),
      "no boot after the revert: the memory state was restored, not rebooted",
    );
    // The same trigger again: no second revert.
    const again = await checked(domain, spec({ revert: { snapshot: "s1", trigger: "1" } }), state);
    assert.equal((await domain.diff(id, state, again)).changes, false);
  });

  it("a disk snapshot of the shut-off domain; a revert puts the disk's bytes back", async () => {
    await up({ powerState: "shutoff", revert: { snapshot: "s1", trigger: "1" } });
    const atSnapshot = sector();
    assert.match(atSnapshot, /^tick \d+/);
    const s2 = await snapshot({ name: "s2" });
    assert.equal(s2.outs["state"], "shutoff");
    assert.equal(s2.outs["parent"], "s1");
    // Boot again: the guest counts from 1 and writes over the sector.
    await up({ powerState: "running", revert: { snapshot: "s1", trigger: "1" } });
    const bootAt = readSerialLog(serial)
      .map((l) => /GUEST: boot /.test(l))
      .lastIndexOf(true);
    await waitForSerial(serial, /GUEST: tick 3 /, 240000, Math.max(0, bootAt));
    await up({ powerState: "shutoff", revert: { snapshot: "s1", trigger: "1" } });
    assert.notEqual(sector(), atSnapshot, "the guest wrote over it");
    await up({ powerState: "shutoff", revert: { snapshot: "s2", trigger: "2" } });
    assert.equal(sector(), atSnapshot, "the disk's first sector is the snapshot's again, byte for byte");
    assert.equal(virsh(URI, "domstate", name), "shut off", "the declared power state");
  });

  it("an external disk-only snapshot on top of internal ones: the guest runs on the overlay; libvirt will not merge it, and delete says so", async () => {
    await up({ powerState: "running", revert: { snapshot: "s2", trigger: "2" } });
    const overlay = join(dir.path, "disk.s3.qcow2");
    const s3 = await snapshot({ name: "s3", kind: "external", overlays: [{ target: "vda", file: overlay }] });
    assert.deepEqual(s3.outs["files"], [overlay]);
    assert.equal(s3.outs["state"], "disk-snapshot");
    assert.equal(s3.outs["parent"], "s2");
    assert.match(virsh(URI, "domblklist", name), new RegExp(`vda\\s+${overlay.replace(/\./g, "\\.")}`));
    await assert.rejects(domainSnapshot.delete(s3.id, { ...s3.outs, domain: name, name: "s3" }), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(
          `^virt:DomainSnapshot ${name}/s3: libvirt would not delete the snapshot: .*external snapshot that has internal snapshot as parent.*Nothing was removed; the snapshot stays in the state`,
        ),
      );
      return true;
    });
    assert.match(virsh(URI, "snapshot-list", name, "--name"), /s3/, "still there");
    assert.ok(existsSync(overlay), "the overlay is kept: it holds what the guest wrote since");
  });

  it("refresh reads a snapshot (parent, current); deleting the domain works with its snapshots left, which then read as gone", async () => {
    const s2 = snaps.find((s) => s.id.endsWith("/s2"))!;
    const read = await domainSnapshot.read(s2.id, { ...s2.outs, domain: name, name: "s2", connection: { uri: URI } });
    assert.equal(read.props["parent"], "s1");
    assert.equal(read.props["current"], false, "s3, taken after, is the current one");
    await domain.delete(id, state);
    assert.equal(virshMaybe(URI, "domstate", name), null);
    const gone = await domainSnapshot.read(s2.id, { ...read.props });
    assert.deepEqual(gone, { id: "", props: {} });
  });

  it("on a domain of its own: an internal snapshot deleted (data and metadata), then an external one merged back on delete", async () => {
    const img = join(dir.path, "other.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", img, "16M"]);
    const inputs = await checked(domain, {
      connection: { uri: URI },
      name: other,
      type: "qemu",
      memory: "64MiB",
      disks: [{ file: img, format: "qcow2", target: "vda" }],
      shutdownTimeout: 0,
    });
    const made = await domain.create(inputs);
    const mk = async (args: Record<string, unknown>) =>
      domainSnapshot.create(await checked(domainSnapshot, { connection: { uri: URI }, domain: other, ...args }));
    const i1 = await mk({ name: "i1" });
    assert.equal(i1.outs["state"], "running");
    assert.match(execFileSync("qemu-img", ["snapshot", "-U", "-l", img]).toString(), /i1/, "the data is inside the image");
    await domainSnapshot.delete(i1.id, { ...i1.outs, domain: other, name: "i1" });
    assert.equal(virsh(URI, "snapshot-list", other, "--name"), "");
    assert.doesNotMatch(execFileSync("qemu-img", ["snapshot", "-U", "-l", img]).toString(), /i1/, "and its data is gone from the image");
    const overlay = join(dir.path, "other.e1.qcow2");
    const e1 = await mk({ name: "e1", kind: "external", overlays: [{ target: "vda", file: overlay }] });
    assert.match(virsh(URI, "domblklist", other), new RegExp(`vda\\s+${overlay.replace(/\./g, "\\.")}`));
    await domainSnapshot.delete(e1.id, { ...e1.outs, domain: other, name: "e1" });
    assert.match(virsh(URI, "domblklist", other), new RegExp(`vda\\s+${img.replace(/\./g, "\\.")}`), "back on its image: the overlay was merged");
    assert.equal(existsSync(overlay), false, "and removed");
    assert.equal(virsh(URI, "snapshot-list", other, "--name"), "");
    // Deleting the domain with snapshotsOnDelete "delete": its snapshots' data goes first (the default keeps it).
    await mk({ name: "i2" });
    await mk({ name: "i3" });
    assert.match(execFileSync("qemu-img", ["snapshot", "-U", "-l", img]).toString(), /i2[\s\S]*i3/);
    lines.length = 0;
    await domain.delete(made.id, { ...inputs, ...made.outs, snapshotsOnDelete: "delete" });
    assert.ok(
      lines.includes(`virt:Domain ${other}: deleting snapshot "i2" and those taken on top of it, with their data (snapshotsOnDelete: delete)`),
      lines.join("\n"),
    );
    assert.equal(virshMaybe(URI, "domstate", other), null);
    assert.doesNotMatch(execFileSync("qemu-img", ["snapshot", "-l", img]).toString(), /i2|i3/, "no snapshot data left in the image");
  });
});
