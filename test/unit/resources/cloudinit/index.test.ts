import assert from "node:assert/strict";
import { UNKNOWN } from "../../../../provider/diff";
import { cloudInitDisk, cloudInitSpec } from "../../../../provider/resources/cloudinit";
import { buildIso, buildIsoWithLayout, SECTOR } from "../../../../provider/iso9660";
import { dirRecord, packRecords, rootPathTable } from "../../../../provider/iso9660/directory";
import { isoName } from "../../../../provider/iso9660/encoding";
import { buildSeed, deriveInstanceId, metaDataYaml, networkConfigProblem, userDataProblem } from "../../../../provider/resources/cloudinit/seed";
import { parseYaml, YamlError } from "../../../../provider/resources/cloudinit/yaml";
import { plannedInstanceId } from "../../../../provider/resources/cloudinit";
import { Props, setReporter } from "../../../../provider/resources/provider";
import { forwarder } from "../../../../sdk/provider";

// ---------------------------------------------------------------------------------------------------------------
// A reader written from ECMA-119 / SUSP / RRIP, independent of the writer: it checks both-endian fields agree.

function both32(b: Buffer, at: number): number {
  const le = b.readUInt32LE(at);
  assert.equal(b.readUInt32BE(at + 4), le, `both-endian 32-bit field at ${at} disagrees`);
  return le;
}
function both16(b: Buffer, at: number): number {
  const le = b.readUInt16LE(at);
  assert.equal(b.readUInt16BE(at + 2), le, `both-endian 16-bit field at ${at} disagrees`);
  return le;
}
const sector = (img: Buffer, lba: number) => img.subarray(lba * SECTOR, (lba + 1) * SECTOR);
const fromUcs2 = (b: Buffer) => {
  let s = "";
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b.readUInt16BE(i));
  return s;
};

interface Su {
  sig: string;
  body: Buffer;
}
interface Rec {
  lba: number;
  size: number;
  flags: number;
  id: Buffer;
  su: Su[];
  length: number;
}

function suEntries(b: Buffer): Su[] {
  const out: Su[] = [];
  let k = 0;
  while (k + 4 <= b.length && b[k] !== 0) {
    const len = b[k + 2]!;
    assert.ok(len >= 4 && k + len <= b.length, `SUSP entry at ${k} has a bad length ${len}`);
    assert.equal(b[k + 3], 1, "SUSP entry version 1");
    out.push({ sig: b.toString("latin1", k, k + 2), body: b.subarray(k + 4, k + len) });
    k += len;
  }
  return out;
}

function record(b: Buffer, at: number): Rec {
  const length = b[at]!;
  const idLen = b[at + 32]!;
  const suStart = at + 33 + idLen + (idLen % 2 === 0 ? 1 : 0);
  return {
    lba: both32(b, at + 2),
    size: both32(b, at + 10),
    flags: b[at + 25]!,
    id: b.subarray(at + 33, at + 33 + idLen),
    su: suEntries(b.subarray(suStart, at + length)),
    length,
  };
}

/** All records of a directory extent, checking none crosses a sector boundary. */
function directory(img: Buffer, lba: number, size: number): Rec[] {
  const out: Rec[] = [];
  for (let s = 0; s < size / SECTOR; s++) {
    const sec = sector(img, lba + s);
    let at = 0;
    while (at < SECTOR && sec[at] !== 0) {
      const r = record(sec, at);
      assert.ok(at + r.length <= SECTOR, "a directory record crosses a sector boundary");
      assert.equal(r.length % 2, 0, "directory records have an even length");
      out.push(r);
      at += r.length;
    }
  }
  return out;
}

const date = new Date(Date.UTC(2025, 5, 14, 9, 30, 15));
const files = [
  { name: "user-data", data: Buffer.from("#cloud-config\nhostname: web\n") },
  { name: "meta-data", data: Buffer.from("instance-id: iid-1\n") },
  { name: "network-config", data: Buffer.from("version: 2\n") },
];

describe("cloud-init seed: ISO 9660 writer", () => {
  const { image, layout } = buildIsoWithLayout({ volumeId: "cidata", files, date });

  it("writes the primary volume descriptor's fields", () => {
    const pvd = sector(image, 16);
    assert.equal(pvd[0], 1);
    assert.equal(pvd.toString("latin1", 1, 6), "CD001");
    assert.equal(pvd[6], 1);
    assert.equal(pvd.toString("latin1", 8, 40), "LINUX".padEnd(32));
    assert.equal(pvd.toString("latin1", 40, 72), "cidata".padEnd(32));
    assert.equal(both32(pvd, 80), image.length / SECTOR, "volume space size is the image's sectors");
    assert.equal(both16(pvd, 120), 1);
    assert.equal(both16(pvd, 124), 1);
    assert.equal(both16(pvd, 128), 2048);
    assert.equal(both32(pvd, 132), 10, "path table size: the root entry only");
    assert.equal(pvd.readUInt32LE(140), layout.primaryPathTableL);
    assert.equal(pvd.readUInt32BE(148), layout.primaryPathTableM);
    const root = record(pvd, 156);
    assert.equal(root.length, 34);
    assert.deepEqual([root.lba, root.size, root.flags, [...root.id]], [layout.primaryRoot.lba, layout.primaryRoot.sectors * SECTOR, 2, [0]]);
    assert.equal(pvd.toString("latin1", 813, 829), "2025061409301500", "creation date");
    assert.equal(pvd.toString("latin1", 847, 863), "0".repeat(16), "no expiration date");
    assert.equal(pvd[881], 1, "file structure version");
    assert.deepEqual([...pvd.subarray(18 + 156, 25 + 156)], [125, 6, 14, 9, 30, 15, 0], "the root record's 7-byte date");
  });

  it("writes a Joliet supplementary descriptor (UCS-2 level 3) and the terminator", () => {
    const svd = sector(image, 17);
    assert.equal(svd[0], 2);
    assert.equal(svd.toString("latin1", 1, 6), "CD001");
    assert.equal(svd.toString("latin1", 88, 91), "%/E");
    assert.equal(fromUcs2(svd.subarray(40, 72)), "cidata".padEnd(16), "Joliet volume id (what blkid reports)");
    assert.equal(fromUcs2(svd.subarray(8, 40)), "LINUX".padEnd(16));
    assert.equal(both32(svd, 80), image.length / SECTOR);
    assert.equal(svd.readUInt32LE(140), layout.jolietPathTableL);
    assert.equal(svd.readUInt32BE(148), layout.jolietPathTableM);
    assert.equal(record(svd, 156).lba, layout.jolietRoot.lba);
    const term = sector(image, 18);
    assert.equal(term[0], 255);
    assert.equal(term.toString("latin1", 1, 6), "CD001");
    assert.ok(
      image.subarray(0, 16 * SECTOR).every((b) => b === 0),
      "the system area is zeros",
    );
  });

  it("writes L and M path tables holding the root, for both trees", () => {
    for (const [l, m, root] of [
      [layout.primaryPathTableL, layout.primaryPathTableM, layout.primaryRoot.lba],
      [layout.jolietPathTableL, layout.jolietPathTableM, layout.jolietRoot.lba],
    ] as const) {
      const L = sector(image, l);
      const M = sector(image, m);
      assert.deepEqual([L[0], L.readUInt32LE(2), L.readUInt16LE(6), L[8]], [1, root, 1, 0]);
      assert.deepEqual([M[0], M.readUInt32BE(2), M.readUInt16BE(6), M[8]], [1, root, 1, 0]);
    }
    assert.deepEqual([...rootPathTable(0x1234, false)], [1, 0, 0x34, 0x12, 0, 0, 1, 0, 0, 0]);
    assert.deepEqual([...rootPathTable(0x1234, true)], [1, 0, 0, 0, 0x12, 0x34, 0, 1, 0, 0]);
  });

  it("names files 8.3 in the primary tree, sorted, with Rock Ridge NM/PX/TF giving the real names", () => {
    const recs = directory(image, layout.primaryRoot.lba, layout.primaryRoot.sectors * SECTOR);
    assert.deepEqual(
      recs.map((r) => r.id.toString("latin1")),
      ["\0", "\x01", "META_DAT.;1", "NETWORK_.;1", "USER_DAT.;1"],
    );
    const [dot, dotdot, ...fileRecs] = recs;
    // The root's "." starts with SP (SUSP in use), and continues (CE) into an area holding ER (RRIP_1991A).
    assert.deepEqual(
      dot!.su.map((e) => e.sig),
      ["SP", "RR", "PX", "TF", "CE"],
    );
    assert.deepEqual([...dot!.su[0]!.body], [0xbe, 0xef, 0]);
    const ce = dot!.su[4]!.body;
    const [ceLba, ceOff, ceLen] = [both32(ce, 0), both32(ce, 8), both32(ce, 16)];
    assert.equal(ceLba, layout.continuationArea);
    const er = suEntries(sector(image, ceLba).subarray(ceOff, ceOff + ceLen));
    assert.equal(er.length, 1);
    assert.equal(er[0]!.sig, "ER");
    const idLen = er[0]!.body[0]!;
    assert.equal(er[0]!.body.toString("latin1", 4, 4 + idLen), "RRIP_1991A");
    assert.equal(er[0]!.body[3], 1, "extension version");
    assert.deepEqual(
      dotdot!.su.map((e) => e.sig),
      ["RR", "PX", "TF"],
    );
    assert.equal(both32(dot!.su[2]!.body, 0), 0o040555, "the root is a r-x directory");
    assert.equal(both32(dot!.su[2]!.body, 8), 2, "two links");

    for (const r of fileRecs) {
      const bySig = Object.fromEntries(r.su.map((e) => [e.sig, e.body]));
      assert.deepEqual(Object.keys(bySig), ["RR", "NM", "PX", "TF"]);
      assert.equal(bySig["RR"]![0]! & 0x89, 0x89, "RR announces PX, NM and TF (Linux skips names otherwise)");
      const name = bySig["NM"]!.toString("latin1", 1);
      assert.equal(bySig["NM"]![0], 0, "NM flags: a complete name");
      assert.equal(both32(bySig["PX"]!, 0), 0o100444, "r--r--r-- regular file");
      assert.equal(both32(bySig["PX"]!, 8), 1);
      assert.equal(both32(bySig["PX"]!, 16), 0, "uid 0");
      assert.equal(bySig["TF"]![0], 0x0e, "modify, access and attribute times");
      const f = files.find((x) => x.name === name)!;
      assert.ok(f, `NM ${name} is one of the files`);
      assert.equal(r.size, f.data.length);
      assert.equal(r.flags, 0);
      assert.ok(image.subarray(r.lba * SECTOR, r.lba * SECTOR + r.size).equals(f.data), `${name}'s bytes at its extent`);
    }
  });

  it("names files in UCS-2 in the Joliet tree, sorted, pointing at the same extents", () => {
    const recs = directory(image, layout.jolietRoot.lba, layout.jolietRoot.sectors * SECTOR);
    assert.deepEqual(
      recs.slice(2).map((r) => fromUcs2(r.id)),
      ["meta-data", "network-config", "user-data"],
    );
    assert.ok(
      recs.every((r) => r.su.length === 0),
      "no Rock Ridge in the Joliet tree",
    );
    const primary = directory(image, layout.primaryRoot.lba, SECTOR).slice(2);
    for (const r of recs.slice(2)) {
      const p = primary.find((x) => x.su.some((e) => e.sig === "NM" && e.body.toString("latin1", 1) === fromUcs2(r.id)))!;
      assert.deepEqual([r.lba, r.size], [p.lba, p.size]);
    }
    assert.equal(recs[0]!.lba, layout.jolietRoot.lba);
    assert.equal(recs[1]!.lba, layout.jolietRoot.lba, "the root's parent is itself");
  });

  it("is deterministic for a fixed date and ends right after the last file", () => {
    assert.ok(buildIso({ volumeId: "cidata", files, date }).equals(image));
    const last = layout.files.reduce((a, b) => (a.lba > b.lba ? a : b));
    assert.equal(layout.totalSectors, last.lba + Math.ceil(last.size / SECTOR));
    assert.equal(image.length, layout.totalSectors * SECTOR);
  });

  it("spreads a directory over several sectors without splitting a record", () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ name: `file-number-${String(i).padStart(3, "0")}.txt`, data: Buffer.from(`file ${i}\n`) }));
    const r = buildIsoWithLayout({ volumeId: "cidata", files: many, date });
    assert.ok(r.layout.primaryRoot.sectors > 1, `${r.layout.primaryRoot.sectors} sectors`);
    const recs = directory(r.image, r.layout.primaryRoot.lba, r.layout.primaryRoot.sectors * SECTOR);
    assert.equal(recs.length, 62);
    const names = recs.slice(2).map((x) => x.su.find((e) => e.sig === "NM")!.body.toString("latin1", 1));
    assert.deepEqual(names.sort(), many.map((f) => f.name).sort());
    const ids = recs.slice(2).map((x) => x.id.toString("latin1"));
    assert.equal(new Set(ids).size, 60, "8.3 clashes are resolved");
    const joliet = directory(r.image, r.layout.jolietRoot.lba, r.layout.jolietRoot.sectors * SECTOR);
    assert.equal(joliet.length, 62);
  });

  it("maps names to ISO 9660 level 1 and resolves clashes", () => {
    assert.equal(isoName("user-data"), "USER_DAT.;1");
    assert.equal(isoName("network-config"), "NETWORK_.;1");
    assert.equal(isoName("seed.tar.gz"), "SEED_TAR.GZ;1");
    const taken = new Set<string>();
    assert.deepEqual(
      ["user-data1", "user-data2", "user-data3"].map((n) => isoName(n, taken)),
      ["USER_DAT.;1", "USER_DA1.;1", "USER_DA2.;1"],
    );
  });

  it("packs records per sector and pads each record to an even length", () => {
    const rec = dirRecord({ lba: 5, size: 7, date, directory: false, id: Buffer.from("AB.;1") });
    assert.equal(rec.length, 38);
    assert.equal(rec.length % 2, 0);
    const packed = packRecords(Array.from({ length: 60 }, () => rec));
    assert.equal(packed.length, 2 * SECTOR, "53 records of 38 bytes fit in a sector, the rest go to the next");
    assert.equal(packed[53 * 38], 0, "the rest of the first sector is zeros");
    assert.equal(packed[SECTOR], 38);
  });

  it("refuses what it cannot write", () => {
    assert.throws(() => buildIso({ volumeId: "much-too-long-label-x", files }), /volume id/);
    assert.throws(() => buildIso({ volumeId: "cidata", files: [{ name: "a/b", data: Buffer.alloc(1) }] }), /file name "a\/b"/);
    assert.throws(() => buildIso({ volumeId: "cidata", files: [files[0]!, files[0]!] }), /given twice/);
    assert.throws(() => buildIso({ volumeId: "cidata", files: [{ name: "big", data: Buffer.alloc(9 * 1024 * 1024) }] }), /over the 8388608-byte limit/);
  });

  it("builds a seed with user-data, meta-data and network-config", () => {
    const seed = buildSeed({ userData: "#cloud-config\n", metaData: { localHostname: "web" }, networkConfig: "version: 2\n" }, date);
    const root = record(sector(seed, 16), 156);
    const names = directory(seed, root.lba, root.size)
      .slice(2)
      .map((r) => r.su.find((e) => e.sig === "NM")!.body.toString("latin1", 1));
    assert.deepEqual(names, ["meta-data", "network-config", "user-data"]);
    const noNet = buildSeed({ userData: "#cloud-config\n" }, date);
    assert.equal(directory(noNet, record(sector(noNet, 16), 156).lba, SECTOR).length, 4, "no network-config unless given");
  });
});

// ---------------------------------------------------------------------------------------------------------------

function yamlError(text: string): { line: number; column: number; problem: string } {
  try {
    parseYaml(text);
  } catch (e) {
    if (e instanceof YamlError) return { line: e.line, column: e.column, problem: e.problem };
    throw e;
  }
  assert.fail(`expected a YAML error for:\n${text}`);
}

const goodCloudConfig = `#cloud-config
# a comment
hostname: web
fqdn: web.example.internal
users:
  - default
  - name: ops
    groups: [sudo, adm]
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKey ops@laptop
packages:
- nginx
- 'curl'
package_update: true
write_files:
  - path: /etc/nginx/conf.d/app.conf
    permissions: '0644'
    content: |
      server {
        listen 80;   # not a YAML comment: inside a block scalar
        location / { return 200 "ok\\n"; }
      }
  - path: /etc/motd
    content: >-
      folded
      into one line
runcmd:
  - [systemctl, enable, --now, nginx]
  - 'echo "done: yes" > /var/tmp/ready'
  - echo "done: yes"
  - |
    if [ -f /etc/x ]; then
    \techo tab inside a block scalar is fine
    fi
chpasswd: { expire: false }
bootcmd:
  - &first echo first
  - *first
final_message: "Up after $UPTIME seconds \\u2713"
`;

describe("cloud-init seed: YAML check", () => {
  it("accepts a realistic cloud-config and parses it", () => {
    const doc = parseYaml(goodCloudConfig) as Record<string, unknown>;
    assert.equal(doc["hostname"], "web");
    assert.deepEqual((doc["users"] as unknown[])[1], {
      name: "ops",
      groups: ["sudo", "adm"],
      shell: "/bin/bash",
      sudo: "ALL=(ALL) NOPASSWD:ALL",
      ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKey ops@laptop"],
    });
    assert.deepEqual(doc["packages"], ["nginx", "curl"]);
    assert.equal(doc["package_update"], true);
    const wf = doc["write_files"] as Record<string, unknown>[];
    assert.equal(wf[0]!["content"], 'server {\n  listen 80;   # not a YAML comment: inside a block scalar\n  location / { return 200 "ok\\n"; }\n}\n');
    assert.equal(wf[1]!["content"], "folded into one line");
    const runcmd = doc["runcmd"] as unknown[];
    assert.deepEqual(runcmd[0], ["systemctl", "enable", "--now", "nginx"]);
    assert.equal(runcmd[1], 'echo "done: yes" > /var/tmp/ready');
    // Quotes inside a plain value are ordinary characters: ": " makes this item a mapping, as PyYAML reads it.
    assert.deepEqual(runcmd[2], { 'echo "done': 'yes"' });
    assert.match(runcmd[3] as string, /^if \[ -f \/etc\/x \]; then\n\techo tab/);
    assert.deepEqual(doc["chpasswd"], { expire: false });
    assert.deepEqual(doc["bootcmd"], ["echo first", "echo first"]);
    assert.equal(doc["final_message"], "Up after $UPTIME seconds \u2713");
    assert.equal(userDataProblem(goodCloudConfig), undefined);
  });

  it("accepts scripts unparsed, an empty cloud-config, and a --- document start", () => {
    assert.equal(userDataProblem("#!/bin/sh\necho 'unbalanced\n\tindented: [\n"), undefined);
    assert.equal(userDataProblem("#cloud-config\n"), undefined);
    assert.equal(userDataProblem("#cloud-config\r\nhostname: web\r\n"), undefined);
    assert.equal(userDataProblem("#cloud-config\n---\nhostname: web\n...\n"), undefined);
    assert.equal(userDataProblem("#cloud-config\nruncmd:\n- a\n- b\nhostname: x\n"), undefined, "a list at its key's indentation");
  });

  it("parses quoting, multi-line scalars and flow collections as PyYAML does", () => {
    assert.deepEqual(parseYaml("a: 'it''s'\nb: \"tab\\there\"\nc: plain # comment\nd: 'x #not comment'\n"), {
      a: "it's",
      b: "tab\there",
      c: "plain",
      d: "x #not comment",
    });
    assert.deepEqual(parseYaml('a: one\n  two\n\n  three\nb: "x\n  y"\n'), { a: "one two\nthree", b: "x y" });
    assert.deepEqual(parseYaml("a: [1, [2, 3], {k: v}]\nb: {x: [a, b],\n  y: 'z'}\nc: ~\nd: 0.5\ne: off\n"), {
      a: [1, [2, 3], { k: "v" }],
      b: { x: ["a", "b"], y: "z" },
      c: null,
      d: 0.5,
      e: false,
    });
    assert.deepEqual(parseYaml("- - a\n  - b\n- k: v\n  k2: v2\n"), [["a", "b"], { k: "v", k2: "v2" }]);
    assert.deepEqual(parseYaml("a: |+\n  keep\n\nb: |-\n  strip\nc: |2\n    two extra\n"), { a: "keep\n\n", b: "strip", c: "  two extra\n" });
    assert.deepEqual(parseYaml("url: http://example.com:8080/x\nwin: C:\\dir\n"), { url: "http://example.com:8080/x", win: "C:\\dir" });
    // PyYAML's leniencies that configs rely on: a closing bracket back at the key's column, tabs in quotes,
    // block scalars and comments, YAML 1.1 numbers, !!str.
    assert.deepEqual(parseYaml("a: [\n  1,\n  2,\n]\nb: {\n  k: v\n}\n"), { a: [1, 2], b: { k: "v" } });
    assert.deepEqual(parseYaml("a: 'x\ty' #\tc\nb: |\n  \tindented by tab\n"), { a: "x\ty", b: "\tindented by tab\n" });
    assert.deepEqual(parseYaml("a: 010\nb: 0x1f\nc: 1:30\nd: !!str 2\ne: !!str yes\nf: y\n"), { a: 8, b: 31, c: 90, d: "2", e: "yes", f: "y" });
  });

  const bad: [string, string, number, number, RegExp][] = [
    ["a tab used for indentation", "#cloud-config\nusers:\n\t- name: ops\n", 3, 1, /tab character is used for indentation/],
    ["a tab after spaces", "#cloud-config\nusers:\n  \t- name: ops\n", 3, 3, /tab character/],
    ["an unclosed double quote", '#cloud-config\nhostname: "web\npackages: [a]\n', 2, 11, /double-quoted string starting here is never closed/],
    [
      "an unclosed single quote",
      "#cloud-config\nruncmd:\n  - 'echo hi\n",
      3,
      5,
      /single-quoted string starting here is never closed \(before the end of the text\)/,
    ],
    ["an unclosed bracket", "#cloud-config\npackages: [nginx, curl\nhostname: web\n", 2, 11, /the \[ opened here is never closed/],
    ["a mismatched bracket", "#cloud-config\npackages: [nginx, curl}\n", 2, 23, /} does not match the \[ opened on line 2, column 11/],
    ["a stray closing bracket", "#cloud-config\nruncmd:\n  - ]\n", 3, 5, /"\]" cannot start a plain value/],
    [
      "a key indented under a value",
      "#cloud-config\nhostname: web\n  fqdn: web.example\n",
      3,
      3,
      /bad indentation: this key is indented deeper \(column 3\) than the entry on line 2/,
    ],
    [
      "a dedent to no level",
      "#cloud-config\nusers:\n    - name: a\n  - name: b\n",
      4,
      3,
      /bad indentation: this line is indented to column 3, but the mapping it follows has its keys at column 1/,
    ],
    ["a value with ': ' inside", "#cloud-config\nruncmd: echo a: b\n", 2, 15, /mapping values are not allowed here/],
    ["a list on its key's line", "#cloud-config\npackages: - nginx\n", 2, 11, /a list cannot start on the same line as its key/],
    ["a duplicate key", "#cloud-config\nruncmd: [a]\nhostname: x\nruncmd: [b]\n", 4, 1, /duplicate key "runcmd" \(first on line 2\)/],
    ["a missing space after a colon", "#cloud-config\nhostname:web\nfqdn: x\n", 3, 1, /a key needs a space after its colon/],
    [
      "a block scalar line under-indented",
      "#cloud-config\nwrite_files:\n  - content: |\n        line one\n      line two\n    path: /x\n",
      5,
      7,
      /block scalar \(\| on line 3\) is indented less than its first line \(column 9\)/,
    ],
    ["text after a block scalar header", "#cloud-config\nkey: | text\n", 2, 8, /unexpected text after the block scalar indicator/],
    ["text after a closing quote", '#cloud-config\nkey: "a" b\n', 2, 10, /unexpected text after the closing quote/],
    ["a bad escape", '#cloud-config\nkey: "C:\\dir"\n', 2, 9, /unknown escape \\d/],
    ["an unknown alias", "#cloud-config\na: *nope\n", 2, 4, /alias \*nope refers to no anchor/],
    ["a second document", "#cloud-config\na: 1\n---\nb: 2\n", 3, 1, /a second YAML document/],
    ["a reserved indicator", "#cloud-config\na: @home\n", 2, 4, /"@" is reserved/],
    [
      "a tab inside a plain value (PyYAML refuses it)",
      "#cloud-config\nruncmd:\n  - echo\tdone\n",
      3,
      9,
      /a tab character here: cloud-init's YAML parser \(PyYAML\) takes tabs only inside quoted strings/,
    ],
    ["a tab after a colon", "#cloud-config\nhostname:\tweb\n", 2, 10, /a tab character here/],
    ["a tab-only line", "#cloud-config\na: 1\n\t\nb: 2\n", 3, 1, /a tab character here/],
    ["an unknown tag", "#cloud-config\na: !python/object x\n", 2, 4, /the tag !python\/object is not one cloud-init's YAML loader/],
    [
      "a bracket left open before the next key",
      "#cloud-config\nruncmd:\n  - [sh, -c, 'echo'\n  - [reboot]\n",
      3,
      5,
      /the \[ opened here is never closed \(before line 4, which is back at the indentation of the enclosing block\); close it with \]/,
    ],
    ["a line less indented than the first", "#cloud-config\n   a: 1\nb: 2\n", 3, 1, /indented less than the document's first line \(column 4, line 2\)/],
    ["a key among list items", "#cloud-config\n- a\nb:: 1\n", 3, 1, /expected a list item \("- "\) here, in the list starting on line 2/],
    [
      "a list item among keys",
      "#cloud-config\nb: 1\n- a\n",
      3,
      1,
      /a list item \("- "\) where a key was expected: the mapping starting on line 2 has its keys at column 1/,
    ],
    ["a colon with no key", "#cloud-config\na\n:\n", 3, 1, /a key is missing before this colon/],
    [
      "a key with no space after its colon",
      "#cloud-config\na: 1\nb:*x\n",
      3,
      1,
      /expected "key: value" here, in the mapping starting on line 2 \(a key needs a space after its colon\)/,
    ],
    ["a tag with no value at the end", "#cloud-config\na: 1\n!", 3, 1, /expected "key: value" here, in the mapping starting on line 2/],
    ["a missing comma inside [ ]", "#cloud-config\na: [x[, y]]\n", 2, 6, /expected , or \] in the list opened on line 2, column 4/],
    ["a - inside [ ]", "#cloud-config\na: [- b]\n", 2, 5, /"-" cannot start a plain value inside \[ \] or \{ \}/],
    ["an alias after a block scalar header", "#cloud-config\nkey: | *x\n", 2, 8, /unexpected text after the block scalar indicator/],
    ["a value a !!int does not read as", "#cloud-config\na: !!int 1.5\n", 2, 4, /the value of this !!int does not read as one/],
    ["a !!bool that is not one", "#cloud-config\na: !!bool maybe\n", 2, 4, /the value of this !!bool does not read as one/],
    ["a scalar tag on a list", "#cloud-config\na: !!str [1]\n", 2, 4, /the tag !!str does not fit a list/],
    ["a mapping tag on a single value", "#cloud-config\na: !!map x\n", 2, 4, /the tag !!map does not fit a single value/],
  ];
  for (const [what, text, line, column, problem] of bad) {
    it(`refuses ${what}, naming line ${line} and column ${column}`, () => {
      const e = yamlError(text);
      assert.match(e.problem, problem);
      assert.deepEqual([e.line, e.column], [line, column], e.problem);
    });
  }

  it("refuses user data that is neither a cloud-config nor a script, saying what is allowed", () => {
    assert.match(
      userDataProblem("hostname: web\n")!,
      /userData must be a cloud-config \(first line exactly "#cloud-config", then YAML\) or a script \(first line a shebang such as "#!\/bin\/sh"\); it does not start with a # header/,
    );
    assert.match(userDataProblem("#cloud-config-archive\n- type: text/x-shellscript\n")!, /another cloud-init format/);
    assert.match(userDataProblem("#include\nhttp://x\n")!, /a different # header/);
    assert.match(userDataProblem("#cloud-config\n- a\n- b\n")!, /a cloud-config must be a YAML mapping .* but this one is a list/);
    assert.match(userDataProblem("#cloud-config\nhostname: web\n\tfqdn: x\n")!, /^userData is not valid YAML: line 3, column 1: a tab character/);
  });

  it("never quotes the user data in a failure (it is a secret)", () => {
    const secret = "s3cr3t-Passw0rd";
    for (const text of [`#cloud-config\npassword: "${secret}\n`, `#cloud-config\npassword: ${secret}: x\n`, `${secret}\n`, `#cloud-config\n- ${secret}\n`]) {
      const p = userDataProblem(text)!;
      assert.ok(p, text);
      assert.ok(!p.includes(secret), p);
    }
  });

  it("checks network-config: version 2, bare or under network:", () => {
    assert.equal(networkConfigProblem("version: 2\nethernets:\n  id0:\n    match: {macaddress: '52:54:00:12:34:56'}\n    dhcp4: true\n"), undefined);
    assert.equal(
      networkConfigProblem(
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.5/24]\n      routes:\n        - to: default\n          via: 10.0.0.1\n",
      ),
      undefined,
    );
    assert.match(networkConfigProblem("version: 1\nconfig:\n  - type: physical\n    name: eth0\n")!, /version 1; write version 2/);
    assert.match(networkConfigProblem("ethernets:\n  eth0:\n    dhcp4: true\n")!, /needs "version: 2"/);
    assert.match(networkConfigProblem("version: '2'\n")!, /has version "2"; only version 2/);
    assert.match(networkConfigProblem("- a\n")!, /must be a YAML mapping .* but it is a list/);
    assert.match(
      networkConfigProblem("version: 2\nethernets:\n  eth0:\n     dhcp4: true\n    dhcp6: true\n")!,
      /^networkConfig is not valid YAML: line 5, column 5: bad indentation/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("cloud-init seed: instance-id and meta-data", () => {
  const c = { userData: "#cloud-config\nhostname: web\n", metaData: { localHostname: "web" } };

  it("derives the instance-id from the content", () => {
    const id = deriveInstanceId(c);
    assert.match(id, /^iid-[0-9a-f]{16}$/);
    assert.equal(deriveInstanceId({ ...c }), id, "the same content gives the same id");
    assert.notEqual(deriveInstanceId({ ...c, userData: c.userData + "# more\n" }), id);
    assert.notEqual(deriveInstanceId({ ...c, metaData: { localHostname: "web2" } }), id);
    assert.notEqual(deriveInstanceId({ ...c, networkConfig: "version: 2\n" }), id);
    assert.notEqual(
      deriveInstanceId({ userData: "ab", networkConfig: "c" }),
      deriveInstanceId({ userData: "a", networkConfig: "bc" }),
      "fields are not just concatenated",
    );
  });

  it("writes meta-data with the given or derived instance-id and the host name", () => {
    assert.equal(metaDataYaml(c), `instance-id: ${deriveInstanceId(c)}\nlocal-hostname: web\n`);
    assert.equal(metaDataYaml({ userData: "#!/bin/sh\n", metaData: { instanceId: "vm-01" } }), "instance-id: vm-01\n");
    assert.equal(metaDataYaml({ userData: "#!/bin/sh\n", metaData: { instanceId: "1234" } }), 'instance-id: "1234"\n', "quoted so YAML reads a string");
    assert.equal(metaDataYaml({ userData: "#!/bin/sh\n", metaData: { instanceId: "yes" } }), 'instance-id: "yes"\n');
    const parsed = parseYaml(metaDataYaml({ userData: "x", metaData: { instanceId: "a:b", localHostname: "h.example" } }));
    assert.deepEqual(parsed, { "instance-id": "a:b", "local-hostname": "h.example" });
  });
});

describe("virt:CloudInitDisk check and diff", () => {
  const lines: string[] = [];
  before(() => setReporter((l) => lines.push(l)));
  beforeEach(() => (lines.length = 0));
  const base = { name: "web-seed.iso", pool: "default", userData: "#cloud-config\nhostname: web\n", metaData: { localHostname: "web" } };

  async function failures(news: Props): Promise<Record<string, string>> {
    const r = await cloudInitDisk.check({}, news);
    // As Pulumi shows them: the property, then a reason that does not repeat it.
    // A failure on a secret (userData) has no property: its reason names the path itself.
    return Object.fromEntries(r.failures.map((f) => [f.property, f.property === "" ? f.reason : `${f.property}: ${f.reason}`]));
  }

  it("is reached by the SDK's forwarder (module cloudinit, export cloudInitDisk)", async () => {
    const r = await forwarder("cloudinit", "cloudInitDisk").check!({}, { name: "s.iso", pool: "p", userData: "not a cloud-config" });
    assert.match((r.failures ?? [])[0]!.reason, /userData must be a cloud-config/);
  });

  it("has the token, class name and a secret userData", () => {
    assert.equal(cloudInitSpec.token, "virt:CloudInitDisk");
    assert.equal(cloudInitSpec.className, "CloudInitDisk");
    assert.equal(cloudInitSpec.inputs["userData"]!.secret, true);
    for (const [k, p] of Object.entries(cloudInitSpec.inputs)) assert.equal(p.update, "replace", `${k} replaces`);
    assert.deepEqual(Object.keys(cloudInitSpec.outputs), ["key", "path", "instanceId", "size", "uri"]);
  });

  it("accepts a good seed and passes unknown values", async () => {
    assert.deepEqual(await failures(base), {});
    assert.deepEqual(await failures({ ...base, userData: UNKNOWN, networkConfig: UNKNOWN, metaData: { instanceId: UNKNOWN } }), {});
  });

  it("names the property and the reason for each problem", async () => {
    const f = await failures({
      name: "bad name",
      pool: "default",
      userData: "#cloud-config\na: [1\n",
      networkConfig: "version: 1\n",
      metaData: { instanceId: "a/b", localHostname: "-web" },
    });
    assert.match(f["name"]!, /"bad name" is not a valid name/);
    // userData is a secret: its failure names no property, since the engine prints a named property's value
    // with the failure ("property userData value {…} has a problem"); the reason names it instead.
    assert.match(f[""]!, /^userData is not valid YAML: line 2, column 4: the \[ opened here is never closed/);
    assert.equal(f["userData"], undefined);
    assert.match(f["networkConfig"]!, /version 1/);
    assert.match(f["metaData.instanceId"]!, /must be 1 to 128 letters/);
    assert.match(f["metaData.localHostname"]!, /is not a host name/);
    assert.match((await failures({ name: "s.iso", pool: "p" }))[""]!, /userData is required/);
  });

  it("replaces the seed on a content change and says which instance-id cloud-init will see", async () => {
    const olds = { ...base, instanceId: plannedInstanceId(base), key: "/p/web-seed.iso", path: "/p/web-seed.iso", size: 53248 };
    const news = { ...base, userData: "#cloud-config\nhostname: web2\n" };
    const d = await cloudInitDisk.diff("/p/web-seed.iso", olds, news);
    assert.deepEqual(d, { changes: true, replaces: ["userData"], deleteBeforeReplace: true });
    assert.ok(lines.includes("virt:CloudInitDisk web-seed.iso: userData [secret] → [secret] (replaces it)"), lines.join("\n"));
    const id = deriveInstanceId({ userData: news.userData, metaData: { localHostname: "web" } });
    assert.ok(
      lines.includes(`virt:CloudInitDisk web-seed.iso: the seed is replaced; cloud-init acts on it only with a new instance-id (now ${id})`),
      lines.join("\n"),
    );
    assert.ok(!lines.join("\n").includes("hostname: web2"), "the secret is not printed");

    lines.length = 0;
    assert.deepEqual(await cloudInitDisk.diff("k", olds, { ...base }), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.equal(lines.length, 0);

    await cloudInitDisk.diff("k", olds, { ...base, networkConfig: "version: 2\n" });
    assert.ok(
      lines.some((l) => /networkConfig \(none\) → "version: 2…" \(2 lines, 11 bytes\) \(replaces it\)/.test(l)),
      lines.join("\n"),
    );
    assert.ok(lines.some((l) => l.includes("the seed is replaced; cloud-init acts on it only with a new instance-id (now iid-")));

    lines.length = 0;
    await cloudInitDisk.diff("k", olds, { ...base, name: "other.iso" });
    assert.ok(!lines.some((l) => l.includes("instance-id")), "a rename alone does not change what cloud-init sees");
  });

  it("warns when a pinned instance-id stays the same, and waits for unknown content", async () => {
    const pinned = { ...base, metaData: { instanceId: "vm-1" } };
    await cloudInitDisk.diff("k", { ...pinned, instanceId: "vm-1" }, { ...pinned, userData: "#cloud-config\nhostname: x\n" });
    assert.ok(
      lines.some((l) => l.includes("(now vm-1) — the same as before, so per-instance modules will not run again")),
      lines.join("\n"),
    );
    lines.length = 0;
    await cloudInitDisk.diff("k", { ...base, instanceId: "iid-0" }, { ...base, userData: UNKNOWN });
    assert.ok(
      lines.some((l) => l.endsWith("(now known after apply)")),
      lines.join("\n"),
    );
  });
});
