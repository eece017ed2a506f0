import assert from "node:assert/strict";
import { describePlan, formatSize, parseSize, plan, PropSpec, UNKNOWN } from "../../../provider/diff";

const spec: Record<string, PropSpec> = {
  name: { type: { kind: "string", format: "name" }, doc: "Name.", required: true, update: "replace" },
  capacity: { type: { kind: "size" }, doc: "Size.", required: true, update: "live", verb: "grown in place" },
  format: { type: { kind: "string", enum: ["raw", "qcow2"] }, doc: "Format.", default: "qcow2", update: "replace" },
  allowShrink: { type: { kind: "boolean" }, doc: "Allow shrinking.", update: "live", control: true },
  memoryMax: { type: { kind: "size" }, doc: "Max.", update: "config" },
  password: { type: { kind: "string" }, doc: "Secret.", update: "live", secret: true },
  hosts: {
    type: {
      kind: "array",
      key: "mac",
      items: {
        kind: "object",
        properties: {
          mac: { type: { kind: "string", format: "mac" }, doc: "MAC.", required: true, update: "live" },
          ip: { type: { kind: "string", format: "ipv4" }, doc: "IP.", required: true, update: "live" },
          name: { type: { kind: "string" }, doc: "Host name.", update: "live" },
        },
      },
    },
    doc: "Hosts.",
    update: "live",
    verb: "updated live",
  },
};

describe("sizes", () => {
  it("parses bytes and libvirt's units (K = KiB, KB = 1000)", () => {
    assert.deepEqual(parseSize(1024), { bytes: 1024 });
    assert.deepEqual(parseSize("10GiB"), { bytes: 10 * 1024 ** 3 });
    assert.deepEqual(parseSize("10G"), { bytes: 10 * 1024 ** 3 });
    assert.deepEqual(parseSize("1GB"), { bytes: 1e9 });
    assert.deepEqual(parseSize("1.5KiB"), { bytes: 1536 });
    assert.deepEqual(parseSize(" 512 MiB "), { bytes: 512 * 1024 ** 2 });
  });
  it("refuses what is not a size, saying what is allowed", () => {
    assert.match((parseSize("10XB") as { error: string }).error, /unknown unit "XB"/);
    assert.match((parseSize("ten") as { error: string }).error, /not a size/);
    assert.match((parseSize(-1) as { error: string }).error, /whole number of bytes/);
    assert.match((parseSize("0.5B") as { error: string }).error, /whole number/);
  });
  it("formats with the largest exact binary unit", () => {
    assert.equal(formatSize(20 * 1024 ** 3), "20GiB");
    assert.equal(formatSize(1536 * 1024 ** 2), "1536MiB");
    assert.equal(formatSize(1000), "1000B");
  });
});

describe("plan", () => {
  const old = { name: "data", capacity: 10 * 1024 ** 3, format: "qcow2", hosts: [{ mac: "52:54:00:00:00:01", ip: "10.0.0.2" }] };

  it("finds no change when nothing changed (absent equals undefined)", () => {
    const p = plan(spec, { ...old, memoryMax: undefined }, { ...old });
    assert.deepEqual(p.changes, []);
    assert.deepEqual(p.replaceKeys, []);
  });

  it("classifies each change by the spec's update class", () => {
    const p = plan(spec, old, { ...old, capacity: 20 * 1024 ** 3, format: "raw", memoryMax: 1024 });
    assert.deepEqual(
      p.changes.map((c) => [c.path, c.how]),
      [
        ["capacity", "live"],
        ["format", "replace"],
        ["memoryMax", "config"],
      ],
    );
    assert.deepEqual(p.replaceKeys, ["format"]);
    assert.equal(p.pending, true);
  });

  it("ignores control properties", () => {
    assert.deepEqual(plan(spec, old, { ...old, allowShrink: true }).changes, []);
  });

  it("matches keyed list items by key: reordering is no change, additions and removals are named", () => {
    const two = [
      { mac: "52:54:00:00:00:01", ip: "10.0.0.2" },
      { mac: "52:54:00:00:00:02", ip: "10.0.0.3" },
    ];
    const a = plan(spec, { ...old, hosts: two }, { ...old, hosts: [...two].reverse() });
    assert.deepEqual(a.changes, []);
    const b = plan(spec, { ...old, hosts: two }, { ...old, hosts: [two[1]!, { mac: "52:54:00:00:00:09", ip: "10.0.0.9" }] });
    assert.equal(b.changes.length, 1);
    assert.deepEqual(b.changes[0]!.added, ["52:54:00:00:00:09"]);
    assert.deepEqual(b.changes[0]!.removed, ["52:54:00:00:00:01"]);
    const c = plan(spec, { ...old, hosts: two }, { ...old, hosts: [two[0]!, { ...two[1]!, ip: "10.0.0.4" }] });
    assert.deepEqual(
      c.changes.map((x) => x.path),
      ["hosts[52:54:00:00:00:02].ip"],
    );
  });

  it("marks unknown values (preview) as changes that may happen", () => {
    const p = plan(spec, old, { ...old, format: UNKNOWN });
    assert.equal(p.changes[0]!.unknown, true);
    assert.deepEqual(p.replaceKeys, ["format"]);
  });

  it("words the plan for people, hiding secrets", () => {
    const p = plan(spec, { ...old, password: "old-secret" }, { ...old, capacity: 20 * 1024 ** 3, password: "new-secret" });
    const lines = describePlan("virt:Volume", "data", spec, p);
    assert.deepEqual(lines, ["virt:Volume data: capacity 10GiB → 20GiB (grown in place)", "virt:Volume data: password [secret] → [secret] (changed in place)"]);
    assert.deepEqual(describePlan("virt:Volume", "data", spec, plan(spec, old, old)), ["virt:Volume data: no changes"]);
    const u = describePlan("virt:Volume", "data", spec, plan(spec, old, { ...old, format: UNKNOWN }));
    assert.match(u[0]!, /format → \(known after apply\) \(replaces it if it changes\)/);
  });
});

describe("plan: per-item update rules", () => {
  const disks: Record<string, PropSpec> = {
    disks: {
      type: {
        kind: "array",
        key: "target",
        items: {
          kind: "object",
          properties: {
            target: { type: { kind: "string" }, doc: "Target.", update: "live" },
            device: { type: { kind: "string" }, doc: "Kind.", update: "config" },
            source: {
              type: { kind: "string" },
              doc: "Source.",
              update: "config",
              updateWhen: [{ field: "device", equals: "cdrom", update: "live", verb: "media changed live" }],
            },
          },
        },
      },
      doc: "Disks.",
      update: "live",
    },
  };
  it("take the class from a sibling's value (a CD-ROM's media is live, a disk's source is config)", () => {
    const old = {
      disks: [
        { target: "vda", device: "disk", source: "/a.qcow2" },
        { target: "sda", device: "cdrom", source: "/x.iso" },
      ],
    };
    const neu = {
      disks: [
        { target: "vda", device: "disk", source: "/b.qcow2" },
        { target: "sda", device: "cdrom", source: "/y.iso" },
      ],
    };
    const p = plan(disks, old, neu);
    assert.deepEqual(
      p.changes.map((c) => [c.path, c.how, c.verb]),
      [
        ["disks[vda].source", "config", undefined],
        ["disks[sda].source", "live", "media changed live"],
      ],
    );
  });
});

describe("plan wording of long values", () => {
  it("summarises multi-line strings to one line", () => {
    const s: Record<string, PropSpec> = { cfg: { type: { kind: "string" }, doc: "Config.", update: "replace" } };
    const lines = describePlan("virt:X", "x", s, plan(s, { cfg: "version: 2\nethernets: {}\n" }, { cfg: "version: 2\nethernets:\n  eth0: {}\n" }));
    assert.equal(lines[0], 'virt:X x: cfg "version: 2…" (3 lines, 25 bytes) → "version: 2…" (4 lines, 33 bytes) (replaces it)');
  });
});
