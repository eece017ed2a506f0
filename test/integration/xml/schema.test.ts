import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyNetworkXml, buildNetworkXml, Network, NetworkIp, parseNetworkXml } from "../../../provider/xml/network";
import { applyPoolXml, buildPoolXml, StoragePool } from "../../../provider/xml/pool";
import { applyVolumeXml, buildVolumeXml, parseVolumeXml, Volume } from "../../../provider/xml/volume";
import { fixture } from "../../unit/xml/corpus";

// Every document our builders (and apply) write must pass libvirt's own RelaxNG schemas, checked by
// virt-xml-validate (libvirt-clients), which runs xmllint (Debian package libxml2-utils).

const perms = { mode: "0750", owner: 107, group: 107, label: "system_u:object_r:virt_image_t:s0" };
const pools: [string, StoragePool][] = [
  ["dir", { type: "dir", name: "pvt-s-dir", target: { path: "/var/lib/pvt/dir", permissions: perms } }],
  ["dir, no permissions", { type: "dir", name: "pvt-s-dir2", target: { path: "/var/lib/pvt/dir2" } }],
  ["fs", { type: "fs", name: "pvt-s-fs", target: { path: "/mnt/pvt" }, source: { device: "/dev/vdb1", format: "ext4" } }],
  ["fs, no format", { type: "fs", name: "pvt-s-fs2", target: { path: "/mnt/pvt2" }, source: { device: "/dev/vdb2" } }],
  [
    "netfs nfs",
    {
      type: "netfs",
      name: "pvt-s-nfs",
      target: { path: "/mnt/nfs", permissions: { mode: "0755" } },
      source: { host: "nfs.example.com", dir: "/exports/vm", format: "nfs" },
    },
  ],
  ["netfs cifs", { type: "netfs", name: "pvt-s-cifs", target: { path: "/mnt/cifs" }, source: { host: "smb.example.com", dir: "share", format: "cifs" } }],
  ["netfs glusterfs", { type: "netfs", name: "pvt-s-gl", target: { path: "/mnt/gl" }, source: { host: "gl.example.com", dir: "/vol", format: "glusterfs" } }],
  [
    "logical with devices",
    { type: "logical", name: "pvt-s-lv", target: { path: "/dev/vg_pvt" }, source: { name: "vg_pvt", devices: ["/dev/sdb", "/dev/sdc"] } },
  ],
  ["logical, existing VG", { type: "logical", name: "pvt-s-lv2", target: { path: "/dev/vg_old" }, source: { name: "vg_old", format: "lvm2" } }],
  ["disk gpt", { type: "disk", name: "pvt-s-disk", target: { path: "/dev" }, source: { device: "/dev/sdd", format: "gpt" } }],
  ["disk dos", { type: "disk", name: "pvt-s-dos", target: { path: "/dev" }, source: { device: "/dev/sde", format: "dos" } }],
  [
    "iscsi with port",
    {
      type: "iscsi",
      name: "pvt-s-iscsi",
      target: { path: "/dev/disk/by-path" },
      source: { host: "iscsi.example.com", port: 3260, device: "iqn.2013-06.com.example:pool" },
    },
  ],
  [
    "iscsi, no port",
    { type: "iscsi", name: "pvt-s-iscsi2", target: { path: "/dev/disk/by-path" }, source: { host: "192.0.2.20", device: "iqn.2013-06.com.example:pool2" } },
  ],
];
const volumes: [string, Volume][] = [
  ["raw, minimal", { name: "a.raw", capacity: 1 << 30 }],
  ["raw sparse with permissions", { name: "b.raw", capacity: 10 * 2 ** 30, allocation: 0, format: "raw", permissions: { mode: "0600", owner: 0, group: 0 } }],
  ["qcow2", { name: "c.qcow2", capacity: 20 * 2 ** 30, format: "qcow2" }],
  [
    "qcow2 with backing store",
    { name: "d.qcow2", capacity: 20 * 2 ** 30, format: "qcow2", backingStore: { path: "/var/lib/libvirt/images/base.qcow2", format: "qcow2" } },
  ],
  ["backing store without format", { name: "e.qcow2", capacity: 1024, format: "qcow2", backingStore: { path: "/images/base.raw" } }],
  ["petabytes", { name: "f.raw", capacity: 4 * 2 ** 50, allocation: 0 }],
];
const v4: NetworkIp = {
  family: "ipv4",
  address: "10.213.40.1",
  prefix: 24,
  dhcp: {
    ranges: [{ start: "10.213.40.100", end: "10.213.40.199" }],
    hosts: [
      { mac: "52:54:00:00:40:10", name: "web", ip: "10.213.40.10" },
      { mac: "52:54:00:00:40:11", ip: "10.213.40.11" },
    ],
  },
};
const v6: NetworkIp = {
  family: "ipv6",
  address: "fd00:213:40::1",
  prefix: 64,
  dhcp: {
    ranges: [{ start: "fd00:213:40::100", end: "fd00:213:40::1ff" }],
    hosts: [
      { id: "0:3:0:1:52:54:0:0:40:10", name: "web6", ip: "fd00:213:40::10" },
      { name: "db6", ip: "fd00:213:40::11" },
    ],
  },
};
const rich = {
  domain: { name: "lab.test", localOnly: true },
  dnsHosts: [
    { ip: "10.213.40.10", hostnames: ["web", "www"] },
    { ip: "fd00:213:40::10", hostnames: ["web6"] },
  ],
  mtu: 9000,
};
const networks: [string, Network][] = [
  ["nat, IPv4 + IPv6, DHCP, DNS, domain", { name: "pvt-s-nat", mode: "nat", bridge: { name: "virbr40", stp: true, delay: 0 }, ...rich, ips: [v4, v6] }],
  ["route", { name: "pvt-s-route", mode: "route", ips: [{ ...v4, dhcp: undefined }] }],
  ["open", { name: "pvt-s-open", mode: "open", bridge: { stp: false }, ips: [v4] }],
  ["isolated IPv6 only", { name: "pvt-s-iso6", mode: "isolated", ...rich, ips: [v6] }],
  ["isolated, bare", { name: "pvt-s-iso", mode: "isolated" }],
  ["host bridge", { name: "pvt-s-br", mode: "bridge", bridge: { name: "br0" } }],
  ["domain without localOnly", { name: "pvt-s-dom", mode: "nat", domain: { name: "x.test" }, ips: [{ family: "ipv4", address: "10.213.41.1", prefix: 24 }] }],
];

describe("xml builders pass libvirt's RelaxNG schemas (virt-xml-validate)", function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    const probe = spawnSync("sh", ["-c", "command -v virt-xml-validate && command -v xmllint"], { encoding: "utf8" });
    assert.equal(probe.status, 0, "virt-xml-validate (libvirt-clients) and xmllint (libxml2-utils) must be installed");
    dir = mkdtempSync(join(tmpdir(), "pvt-xml-schema-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  function validate(xml: string, schema: string): void {
    const file = join(dir, `${n++}.xml`);
    writeFileSync(file, xml);
    const r = spawnSync("virt-xml-validate", [file, schema], { encoding: "utf8" });
    assert.equal(r.status, 0, `${schema} validation failed:\n${r.stdout}${r.stderr}\n--- document ---\n${xml}`);
  }

  for (const [what, spec] of pools) it(`pool: ${what}`, () => validate(buildPoolXml(spec), "storagepool"));
  for (const [what, spec] of volumes) it(`volume: ${what}`, () => validate(buildVolumeXml(spec), "storagevol"));
  for (const [what, spec] of networks) it(`network: ${what}`, () => validate(buildNetworkXml(spec), "network"));

  it("apply output: every pool, volume and network variant applied over captured XML", () => {
    const dirPool = fixture("pool/dir-active.xml");
    for (const [, spec] of pools) validate(applyPoolXml(dirPool, spec), "storagepool");
    const backed = fixture("volume/qcow2-backed.xml");
    validate(applyVolumeXml(backed, { ...parseVolumeXml(backed), capacity: 3 * 2 ** 30, allocation: 0 }), "storagevol");
    for (const [, spec] of volumes) validate(applyVolumeXml(backed, spec), "storagevol");
    for (const f of ["network/nat-active.xml", "network/unknown-nodes.xml", "network/isolated-netmask.xml"]) {
      const current = fixture(f);
      validate(applyNetworkXml(current, parseNetworkXml(current)), "network");
      for (const [, spec] of networks) validate(applyNetworkXml(current, spec), "network");
    }
  });

  it("the validator does reject a broken document (the check is real)", () => {
    const file = join(dir, "bad.xml");
    writeFileSync(file, "<pool type='dir'><name>x</name><bogus/></pool>");
    assert.throws(() => execFileSync("virt-xml-validate", [file, "storagepool"], { stdio: "pipe" }));
  });
});
