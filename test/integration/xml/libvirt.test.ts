import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyNetworkXml, buildNetworkXml, dhcpHostXml, dhcpRangeXml, dnsHostXml, parseNetworkXml, RoutedNetwork } from "../../../provider/xml/network";
import { applyPoolXml, buildPoolXml, DirPool, parsePoolXml } from "../../../provider/xml/pool";
import { buildVolumeXml, parseVolumeXml } from "../../../provider/xml/volume";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// What we build, libvirt accepts; what libvirt returns, we read back as what we declared, plus the
// values libvirt fills in (listed in each test). Only defined objects, a pool in a temporary directory,
// and networks that are never started.
const URI = "qemu:///system";
const run = (...args: string[]) => virsh(URI, ...args);

describe("xml models against libvirt (qemu:///system)", function () {
  this.timeout(60000);
  const files = tempDir("xml-files");
  after(() => files.remove());
  let n = 0;
  const file = (xml: string) => {
    const f = join(files.path, `${n++}.xml`);
    writeFileSync(f, xml);
    return f;
  };

  describe("a dir pool with volumes", () => {
    const dir = tempDir("xml-pool");
    const name = uniqueName("xml-pool");
    const pool: DirPool = { type: "dir", name, target: { path: join(dir.path, "images"), permissions: { mode: "0751", owner: 0, group: 0 } } };
    after(() => cleanupAll([() => virshMaybe(URI, "pool-destroy", name), () => virshMaybe(URI, "pool-undefine", name), () => dir.remove()]));

    it("defines, builds and starts from buildPoolXml; reads back the declaration plus uuid and sizes", () => {
      run("pool-define", file(buildPoolXml(pool)));
      run("pool-build", name);
      run("pool-start", name);
      const got = parsePoolXml(run("pool-dumpxml", name));
      const { uuid, capacity, allocation, available, ...declared } = got;
      assert.deepEqual(declared, pool);
      assert.match(uuid ?? "", /^[0-9a-f-]{36}$/);
      assert.ok(capacity !== undefined && capacity > 0 && allocation !== undefined && available !== undefined);
    });

    it("creates volumes from buildVolumeXml and reads them back", () => {
      run("vol-create", name, file(buildVolumeXml({ name: "base.qcow2", capacity: 64 * 2 ** 20, format: "qcow2" })));
      const base = parseVolumeXml(run("vol-dumpxml", "--pool", name, "base.qcow2"));
      assert.equal(base.capacity, 64 * 2 ** 20);
      assert.equal(base.format, "qcow2");
      assert.equal(base.path, join(pool.target.path, "base.qcow2"));
      assert.deepEqual(base.permissions, { mode: "0600", owner: 0, group: 0 }); // libvirt's default when unset

      const spec = {
        name: "child.qcow2",
        capacity: 128 * 2 ** 20,
        format: "qcow2",
        permissions: { mode: "0640", owner: 107, group: 107 },
        backingStore: { path: base.path!, format: "qcow2" },
      };
      run("vol-create", name, file(buildVolumeXml(spec)));
      const child = parseVolumeXml(run("vol-dumpxml", "--pool", name, "child.qcow2"));
      assert.deepEqual(
        { name: child.name, capacity: child.capacity, format: child.format, permissions: child.permissions, backingStore: child.backingStore },
        spec,
      );

      run("vol-create", name, file(buildVolumeXml({ name: "sparse.raw", capacity: 2 ** 30, allocation: 0, format: "raw" })));
      const sparse = parseVolumeXml(run("vol-dumpxml", "--pool", name, "sparse.raw"));
      assert.equal(sparse.allocation, 0);
      assert.equal(sparse.physical, 2 ** 30);
      for (const v of ["child.qcow2", "base.qcow2", "sparse.raw"]) run("vol-delete", "--pool", name, v);
    });

    it("redefines from applyPoolXml: uuid kept, new permissions in the inactive config", () => {
      const current = run("pool-dumpxml", "--inactive", name);
      const edited = applyPoolXml(current, { ...pool, target: { ...pool.target, permissions: { mode: "0755", owner: 0, group: 0 } } });
      run("pool-define", file(edited));
      const got = parsePoolXml(run("pool-dumpxml", "--inactive", name));
      assert.equal(got.uuid, parsePoolXml(current).uuid);
      assert.equal(got.target.permissions?.mode, "0755");
    });
  });

  describe("networks (defined, never started)", () => {
    const nat = uniqueName("xml-nat");
    const iso = uniqueName("xml-iso");
    after(() => cleanupAll([() => virshMaybe(URI, "net-undefine", nat), () => virshMaybe(URI, "net-undefine", iso)]));

    const natSpec: RoutedNetwork = {
      name: nat,
      mode: "nat",
      domain: { name: "pvt.test", localOnly: true },
      dnsHosts: [{ ip: "10.213.60.10", hostnames: ["web"] }],
      ips: [
        {
          family: "ipv4",
          address: "10.213.60.1",
          prefix: 24,
          dhcp: { ranges: [{ start: "10.213.60.100", end: "10.213.60.199" }], hosts: [{ mac: "52:54:00:60:00:10", name: "web", ip: "10.213.60.10" }] },
        },
        {
          family: "ipv6",
          address: "fd00:213:60::1",
          prefix: 64,
          dhcp: {
            ranges: [{ start: "fd00:213:60::100", end: "fd00:213:60::1ff" }],
            hosts: [{ id: "0:3:0:1:52:54:0:60:0:10", name: "web6", ip: "fd00:213:60::10" }],
          },
        },
      ],
    };

    it("defines from buildNetworkXml; reads back the declaration plus uuid, mac and bridge defaults", () => {
      run("net-define", file(buildNetworkXml(natSpec)));
      const got = parseNetworkXml(run("net-dumpxml", nat));
      assert.ok(got.mode !== "bridge");
      const { uuid, mac, bridge, ...declared } = got as RoutedNetwork & { uuid?: string; mac?: string };
      const { bridge: _unset, ...expected } = natSpec;
      assert.deepEqual(declared, expected);
      assert.match(uuid ?? "", /^[0-9a-f-]{36}$/);
      assert.match(mac ?? "", /^52:54:00(:[0-9a-f]{2}){3}$/);
      assert.equal(bridge?.stp, true);
      assert.equal(bridge?.delay, 0);
      assert.match(bridge?.name ?? "", /^virbr\d+$/);
    });

    it("virNetworkUpdate accepts our dhcp-host, dhcp-range and dns-host snippets", () => {
      run("net-update", nat, "add", "ip-dhcp-host", dhcpHostXml({ mac: "52:54:00:60:00:11", name: "db", ip: "10.213.60.11" }), "--config");
      run("net-update", nat, "add", "ip-dhcp-range", dhcpRangeXml({ start: "10.213.60.200", end: "10.213.60.220" }), "--config");
      run("net-update", nat, "add", "dns-host", dnsHostXml({ ip: "10.213.60.11", hostnames: ["db", "db.pvt.test"] }), "--config");
      run("net-update", nat, "delete", "ip-dhcp-host", dhcpHostXml({ mac: "52:54:00:60:00:10", name: "web", ip: "10.213.60.10" }), "--config");
      const got = parseNetworkXml(run("net-dumpxml", "--inactive", nat));
      assert.deepEqual(got.ips?.[0].dhcp, {
        ranges: [
          { start: "10.213.60.100", end: "10.213.60.199" },
          { start: "10.213.60.200", end: "10.213.60.220" },
        ],
        hosts: [{ mac: "52:54:00:60:00:11", name: "db", ip: "10.213.60.11" }],
      });
      assert.deepEqual(got.dnsHosts, [
        { ip: "10.213.60.10", hostnames: ["web"] },
        { ip: "10.213.60.11", hostnames: ["db", "db.pvt.test"] },
      ]);
    });

    it("redefines from applyNetworkXml with uuid, mac and bridge name kept", () => {
      const current = run("net-dumpxml", "--inactive", nat);
      const before = parseNetworkXml(current);
      run("net-define", file(applyNetworkXml(current, { ...natSpec, mtu: 1400, dnsHosts: [] })));
      const after = parseNetworkXml(run("net-dumpxml", "--inactive", nat));
      assert.equal(after.uuid, before.uuid);
      assert.equal(after.mac, before.mac);
      assert.equal(after.bridge?.name, before.bridge?.name);
      assert.equal(after.mtu, 1400);
      assert.equal(after.dnsHosts, undefined);
    });

    it("an isolated network: no <forward>, IPv6 address read back in canonical form", () => {
      run(
        "net-define",
        file(buildNetworkXml({ name: iso, mode: "isolated", bridge: { stp: false }, ips: [{ family: "ipv6", address: "FD00:213:61:0::1", prefix: 64 }] })),
      );
      const current = run("net-dumpxml", iso);
      assert.doesNotMatch(current, /<forward/);
      const got = parseNetworkXml(current);
      assert.equal(got.mode, "isolated");
      assert.deepEqual(got.ips, [{ family: "ipv6", address: "fd00:213:61::1", prefix: 64 }]);
      assert.equal(got.bridge?.stp, false);
    });
  });
});
