import assert from "node:assert/strict";
import { XmlError, parseXml } from "../../../provider/xml/document";
import { toBytes } from "../../../provider/xml/common";
import { applyVolumeXml, buildVolumeXml, parseVolumeXml } from "../../../provider/xml/volume";
import { changedPaths, fixture } from "./corpus";

describe("xml volume model", () => {
  it("builds a minimal volume with capacity in bytes", () => {
    assert.equal(
      buildVolumeXml({ name: "v.raw", capacity: 1073741824 }),
      `<volume>\n  <name>v.raw</name>\n  <capacity unit='bytes'>1073741824</capacity>\n  <target/>\n</volume>\n`,
    );
  });

  it("builds a sparse qcow2 with a backing store and permissions", () => {
    assert.equal(
      buildVolumeXml({
        name: "child.qcow2",
        capacity: 10 * 2 ** 30,
        allocation: 0,
        format: "qcow2",
        permissions: { mode: "0640", owner: 107, group: 107 },
        backingStore: { path: "/var/lib/libvirt/images/base.qcow2", format: "qcow2" },
      }),
      `<volume>
  <name>child.qcow2</name>
  <capacity unit='bytes'>10737418240</capacity>
  <allocation unit='bytes'>0</allocation>
  <target>
    <format type='qcow2'/>
    <permissions>
      <mode>0640</mode>
      <owner>107</owner>
      <group>107</group>
    </permissions>
  </target>
  <backingStore>
    <path>/var/lib/libvirt/images/base.qcow2</path>
    <format type='qcow2'/>
  </backingStore>
</volume>
`,
    );
  });

  it("refuses byte counts that cannot be written exactly", () => {
    for (const bad of [1.5, -1, NaN, Infinity, 2 ** 53]) {
      assert.throws(() => buildVolumeXml({ name: "v", capacity: bad }), XmlError, String(bad));
    }
    assert.throws(() => buildVolumeXml({ name: "v", capacity: 1, allocation: 0.5 }), /allocation/);
  });

  it("reads every unit libvirt accepts into bytes", () => {
    const table: [string, string | undefined, number][] = [
      ["7", undefined, 7],
      ["7", "bytes", 7],
      ["7", "B", 7],
      ["7", "byte", 7],
      ["2", "K", 2048],
      ["2", "KiB", 2048],
      ["2", "kib", 2048],
      ["2", "KB", 2000],
      ["3", "M", 3 * 2 ** 20],
      ["3", "MiB", 3 * 2 ** 20],
      ["3", "MB", 3e6],
      ["5", "G", 5 * 2 ** 30],
      ["5", "GiB", 5 * 2 ** 30],
      ["5", "GB", 5e9],
      ["2", "T", 2 * 2 ** 40],
      ["2", "TiB", 2 * 2 ** 40],
      ["2", "TB", 2e12],
      ["7", "PiB", 7 * 2 ** 50],
      ["9", "PB", 9e15],
    ];
    for (const [v, unit, bytes] of table) assert.equal(toBytes(v, unit, "t"), bytes, `${v} ${unit}`);
  });

  it("is exact up to 2^53 - 1 bytes and throws beyond, rather than round", () => {
    assert.equal(toBytes("9007199254740991", "bytes", "t"), 2 ** 53 - 1);
    assert.throws(() => toBytes("9007199254740992", "bytes", "t"), /too large/);
    assert.throws(() => toBytes("8", "PiB", "t"), /too large/);
    assert.throws(() => toBytes("1", "EiB", "t"), /too large/);
    assert.throws(() => toBytes("1", "parsecs", "t"), /unknown unit 'parsecs'/);
    assert.throws(() => toBytes("1.5", "G", "t"), /not a non-negative integer/);
    assert.equal(parseVolumeXml(fixture("volume/petabyte-luks.xml")).capacity, 4 * 2 ** 50);
  });

  it("reads key, path, type and physical; no backing store when there is none", () => {
    const v = parseVolumeXml(fixture("volume/qcow2-base.xml"));
    assert.equal(v.key, "/tmp/pvt-xml-fixture-pool/base.qcow2");
    assert.equal(v.path, v.key);
    assert.equal(v.type, "file");
    assert.equal(v.physical, 196616);
    assert.equal(v.backingStore, undefined);
  });

  it("rejects what it cannot read", () => {
    assert.throws(() => parseVolumeXml("<pool/>"), /expected <volume>, got <pool>/);
    assert.throws(() => parseVolumeXml("<volume><name>v</name></volume>"), /volume 'v': no <capacity>/);
    assert.throws(() => parseVolumeXml("<volume><capacity>1</capacity></volume>"), /no <name>/);
  });

  describe("apply keeps what it does not manage", () => {
    it("a capacity change edits only <capacity> (key, timestamps, backing store untouched)", () => {
      const current = fixture("volume/qcow2-backed.xml");
      const spec = parseVolumeXml(current);
      const out = applyVolumeXml(current, { ...spec, capacity: 2 * 2 ** 30 });
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/volume/capacity"]);
      assert.match(out, /<capacity unit='bytes'>2147483648<\/capacity>/);
    });

    it("the same size in another unit is left as written; a new size is rewritten in bytes", () => {
      const current = fixture("volume/units.xml");
      const spec = parseVolumeXml(current);
      assert.deepEqual(changedPaths(parseXml(current), parseXml(applyVolumeXml(current, spec))), []);
      const out = applyVolumeXml(current, { ...spec, capacity: spec.capacity + 1 });
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/volume/capacity"]);
      assert.match(out, /<capacity unit='bytes'>21474836481<\/capacity>/);
      assert.match(out, /<compat>1.1<\/compat>\n\s+<features>\n\s+<lazy_refcounts\/>/);
    });

    it("unset allocation, format, permissions and backing store keep libvirt's values", () => {
      const current = fixture("volume/qcow2-backed.xml");
      assert.deepEqual(changedPaths(parseXml(current), parseXml(applyVolumeXml(current, { name: "child.qcow2", capacity: 134217728 }))), []);
    });

    it("a new backing path drops what libvirt read about the old backing file", () => {
      const current = fixture("volume/qcow2-backed.xml");
      const out = applyVolumeXml(current, { name: "child.qcow2", capacity: 134217728, backingStore: { path: "/images/other.raw", format: "raw" } });
      assert.match(out, /<backingStore>\n    <path>\/images\/other.raw<\/path>\n    <format type='raw'\/>\n  <\/backingStore>/);
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/volume/backingStore"]);
    });

    it("permissions: a same mode in another spelling is no change; a new owner edits <owner>", () => {
      const current = fixture("volume/petabyte-luks.xml");
      const spec = parseVolumeXml(current);
      assert.deepEqual(changedPaths(parseXml(current), parseXml(applyVolumeXml(current, { ...spec, permissions: { mode: "600" } }))), []);
      const out = applyVolumeXml(current, { ...spec, permissions: { owner: 0 } });
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/volume/target/permissions/owner"]);
    });
  });
});
