import assert from "node:assert/strict";
import { XmlError, parseXml } from "../../../provider/xml/document";
import { normalizeMode } from "../../../provider/xml/common";
import { applyPoolXml, buildPoolXml, parsePoolXml, StoragePool } from "../../../provider/xml/pool";
import { changedPaths, fixture } from "./corpus";

describe("xml pool model", () => {
  it("builds a dir pool with permissions", () => {
    assert.equal(
      buildPoolXml({ type: "dir", name: "p1", target: { path: "/var/lib/pvt", permissions: { mode: "0750", owner: 107, group: 0, label: "virt_image_t" } } }),
      `<pool type='dir'>
  <name>p1</name>
  <target>
    <path>/var/lib/pvt</path>
    <permissions>
      <mode>0750</mode>
      <owner>107</owner>
      <group>0</group>
      <label>virt_image_t</label>
    </permissions>
  </target>
</pool>
`,
    );
  });

  it("builds each source variant in libvirt's element order", () => {
    const src = (spec: StoragePool) =>
      buildPoolXml(spec)
        .replace(/\n\s*/g, "")
        .replace(/.*<source>|<\/source>.*/g, "");
    const target = { path: "/t" };
    assert.equal(src({ type: "fs", name: "a", target, source: { device: "/dev/vdb1", format: "ext4" } }), `<device path='/dev/vdb1'/><format type='ext4'/>`);
    assert.equal(
      src({ type: "netfs", name: "a", target, source: { host: "nfs", dir: "/e", format: "nfs" } }),
      `<host name='nfs'/><dir path='/e'/><format type='nfs'/>`,
    );
    assert.equal(
      src({ type: "logical", name: "a", target, source: { name: "vg", devices: ["/dev/sdb", "/dev/sdc"] } }),
      `<device path='/dev/sdb'/><device path='/dev/sdc'/><name>vg</name>`,
    );
    assert.equal(src({ type: "disk", name: "a", target, source: { device: "/dev/sdd" } }), `<device path='/dev/sdd'/>`);
    assert.equal(
      src({ type: "iscsi", name: "a", target, source: { host: "h", port: 3260, device: "iqn.x:y" } }),
      `<host name='h' port='3260'/><device path='iqn.x:y'/>`,
    );
    assert.equal(src({ type: "iscsi", name: "a", target, source: { host: "h", device: "iqn.x:y" } }), `<host name='h'/><device path='iqn.x:y'/>`);
  });

  it("escapes names and paths", () => {
    const xml = buildPoolXml({ type: "dir", name: `a&b<'">`, target: { path: "/x y/&" } });
    assert.match(xml, /<name>a&amp;b&lt;&apos;&quot;&gt;<\/name>/);
    assert.equal(parsePoolXml(xml).name, `a&b<'">`);
  });

  it("normalises modes the way libvirt writes them", () => {
    assert.equal(normalizeMode("755"), "0755");
    assert.equal(normalizeMode("0o750"), "0750");
    assert.equal(normalizeMode("00700"), "0700");
    assert.equal(normalizeMode("1777"), "1777");
    assert.equal(normalizeMode("rwx"), "rwx");
  });

  it("reads owner/group -1 left out by libvirt as absent", () => {
    const p = parsePoolXml(fixture("pool/netfs-defined.xml"));
    assert.deepEqual(p.target.permissions, { mode: "0755" });
  });

  describe("rejects what it cannot read", () => {
    const cases: [string, string, RegExp][] = [
      ["another document", "<volume><name>x</name></volume>", /expected <pool>, got <volume>/],
      ["a pool type we do not manage", "<pool type='rbd'><name>x</name></pool>", /unsupported pool type 'rbd'/],
      ["no name", "<pool type='dir'><target><path>/x</path></target></pool>", /no <name>/],
      ["no target path", "<pool type='dir'><name>x</name></pool>", /no <target><path>/],
      ["netfs without dir", "<pool type='netfs'><name>x</name><source><host name='h'/></source><target><path>/x</path></target></pool>", /no <source><dir>/],
      [
        "a bad size",
        "<pool type='dir'><name>x</name><capacity unit='bytes'>-1</capacity><target><path>/x</path></target></pool>",
        /capacity.*not a non-negative integer/,
      ],
      [
        "an owner that is not a number",
        "<pool type='dir'><name>x</name><target><path>/x</path><permissions><owner>root</owner></permissions></target></pool>",
        /owner.*not an integer/,
      ],
    ];
    for (const [what, xml, re] of cases)
      it(what, () =>
        assert.throws(
          () => parsePoolXml(xml),
          (e: unknown) => e instanceof XmlError && re.test(e.message),
        ),
      );
  });

  describe("apply keeps what it does not manage", () => {
    it("a permission change on a started dir pool edits only <mode>", () => {
      const current = fixture("pool/dir-active.xml");
      const spec = parsePoolXml(current);
      const out = applyPoolXml(current, { ...spec, target: { ...spec.target, permissions: { ...spec.target.permissions, mode: "755" } } });
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/pool/target/permissions/mode"]);
      assert.equal(parsePoolXml(out).target.permissions?.mode, "0755");
    });

    it("unset permissions are kept (libvirt fills them in); an unset label is removed", () => {
      const current = fixture("pool/dir-defined.xml");
      const spec = parsePoolXml(current);
      assert.equal(applyPoolXml(current, { type: "dir", name: spec.name, target: { path: spec.target.path } }), applyPoolXml(current, spec));
      const out = applyPoolXml(current, { type: "dir", name: spec.name, target: { path: spec.target.path, permissions: { mode: "0750" } } });
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/pool/target/permissions"]);
      assert.deepEqual(parsePoolXml(out).target.permissions, { mode: "0750", owner: 107, group: 107 });
    });

    it("an iSCSI host change keeps initiator and CHAP auth", () => {
      const current = fixture("pool/iscsi-chap.xml");
      const out = applyPoolXml(current, {
        type: "iscsi",
        name: "pvt-xml-iscsi-chap",
        target: { path: "/dev/disk/by-path" },
        source: { host: "192.0.2.21", port: 3261, device: "iqn.2024-01.com.example:storage.lun1" },
      });
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/pool/source/host"]);
      assert.match(out, /<host name='192.0.2.21' port='3261'\/>/);
      assert.match(out, /<auth type='chap' username='pvt'>\n\s+<secret usage='libvirtiscsi'\/>/);
    });

    it("logical devices are synced in order, the VG name and format kept", () => {
      const current = fixture("pool/logical-defined.xml");
      const out = applyPoolXml(current, {
        type: "logical",
        name: "pvt-xml-logical",
        target: { path: "/dev/vg_pvt_xml" },
        source: { name: "vg_pvt_xml", devices: ["/dev/sdc", "/dev/sde"] },
      });
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/pool/source/device", "/pool/source/device"]);
      const p = parsePoolXml(out);
      assert.equal(p.type, "logical");
      if (p.type === "logical") assert.deepEqual(p.source, { name: "vg_pvt_xml", devices: ["/dev/sdc", "/dev/sde"], format: "lvm2" });
    });

    it("a new type replaces <source> and keeps uuid and target", () => {
      const current = fixture("pool/dir-active.xml");
      const out = applyPoolXml(current, {
        type: "netfs",
        name: "pvt-xml-dir",
        target: { path: "/tmp/pvt-xml-fixture-pool" },
        source: { host: "nfs", dir: "/e" },
      });
      const p = parsePoolXml(out);
      assert.equal(p.type, "netfs");
      assert.equal(p.uuid, "a4e9aadb-7bac-4990-9438-8917ce9ec981");
      assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/pool"]); // type= changed on the root
      assert.match(out, /<source>\n    <host name='nfs'\/>\n    <dir path='\/e'\/>\n  <\/source>/);
    });

    it("refuses to apply to another document", () => {
      assert.throws(() => applyPoolXml("<volume/>", { type: "dir", name: "x", target: { path: "/x" } }), XmlError);
    });
  });
});
