import assert from "node:assert/strict";
import { XmlError, parseXml } from "../../../provider/xml/document";
import {
  applyNetworkXml,
  buildNetworkXml,
  dhcpHostXml,
  dhcpRangeXml,
  dnsHostXml,
  Network,
  parseNetworkXml,
  RoutedNetwork,
} from "../../../provider/xml/network";
import { canonicalIp, netmaskToPrefix } from "../../../provider/xml/network-ip";
import { changedPaths, fixture } from "./corpus";

const lab: RoutedNetwork = {
  name: "lab",
  mode: "nat",
  bridge: { name: "virbr50", stp: true, delay: 0 },
  mtu: 1500,
  domain: { name: "lab.test", localOnly: true },
  dnsHosts: [{ ip: "10.213.5.10", hostnames: ["web", "www"] }],
  ips: [
    {
      family: "ipv4",
      address: "10.213.5.1",
      prefix: 24,
      dhcp: { ranges: [{ start: "10.213.5.100", end: "10.213.5.199" }], hosts: [{ mac: "52:54:00:00:05:10", name: "web", ip: "10.213.5.10" }] },
    },
    { family: "ipv6", address: "fd00:213:5::1", prefix: 64 },
  ],
};

describe("xml network model", () => {
  it("builds every section in libvirt's order", () => {
    assert.equal(
      buildNetworkXml(lab),
      `<network>
  <name>lab</name>
  <forward mode='nat'/>
  <bridge name='virbr50' stp='on' delay='0'/>
  <mtu size='1500'/>
  <domain name='lab.test' localOnly='yes'/>
  <dns>
    <host ip='10.213.5.10'>
      <hostname>web</hostname>
      <hostname>www</hostname>
    </host>
  </dns>
  <ip address='10.213.5.1' prefix='24'>
    <dhcp>
      <range start='10.213.5.100' end='10.213.5.199'/>
      <host mac='52:54:00:00:05:10' name='web' ip='10.213.5.10'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:213:5::1' prefix='64'/>
</network>
`,
    );
  });

  it("isolated means no <forward>; host bridge mode names the bridge only", () => {
    assert.equal(buildNetworkXml({ name: "iso", mode: "isolated" }), `<network>\n  <name>iso</name>\n</network>\n`);
    assert.equal(
      buildNetworkXml({ name: "br", mode: "bridge", bridge: { name: "br0" } }),
      `<network>\n  <name>br</name>\n  <forward mode='bridge'/>\n  <bridge name='br0'/>\n</network>\n`,
    );
  });

  it("renders the single elements virNetworkUpdate takes", () => {
    assert.equal(dhcpHostXml({ mac: "52:54:00:00:00:01", name: "a", ip: "10.0.0.2" }), `<host mac='52:54:00:00:00:01' name='a' ip='10.0.0.2'/>`);
    assert.equal(dhcpHostXml({ id: "0:3:0:1:52:54:0:a:b:10", name: "v6", ip: "fd00::10" }), `<host id='0:3:0:1:52:54:0:a:b:10' name='v6' ip='fd00::10'/>`);
    assert.equal(dhcpRangeXml({ start: "10.0.0.100", end: "10.0.0.200" }), `<range start='10.0.0.100' end='10.0.0.200'/>`);
    assert.equal(dnsHostXml({ ip: "10.0.0.2", hostnames: ["a", "b&c"] }), `<host ip='10.0.0.2'><hostname>a</hostname><hostname>b&amp;c</hostname></host>`);
  });

  it("reads normalised: MACs lowercased, netmask → prefix, missing prefix → classful, <forward/> → nat", () => {
    const n = parseNetworkXml(fixture("network/nat-active.xml"));
    assert.equal(n.ips?.[0].prefix, 24);
    assert.deepEqual(
      n.ips?.[0].dhcp?.hosts.map((h) => h.mac),
      ["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"],
    );
    assert.deepEqual(
      parseNetworkXml(fixture("network/isolated-netmask.xml")).ips?.map((i) => i.prefix),
      [25, 8],
    );
    assert.equal(parseNetworkXml("<network><name>n</name><forward/></network>").mode, "nat");
    assert.equal(parseNetworkXml("<network><name>n</name><ip family='ipv6' address='fd00::1'/></network>").ips?.[0].prefix, 64);
  });

  it("rejects what it cannot read", () => {
    assert.throws(() => parseNetworkXml("<pool/>"), /expected <network>/);
    assert.throws(() => parseNetworkXml("<network><name>n</name><forward mode='hostdev'/></network>"), /unsupported forward mode 'hostdev'/);
    assert.throws(() => parseNetworkXml("<network><name>n</name><forward mode='bridge'><interface dev='eth0'/></forward></network>"), /macvtap/);
    assert.throws(
      () => parseNetworkXml("<network><name>n</name><ip address='10.0.0.1' netmask='255.0.255.0'/></network>"),
      (e: unknown) => e instanceof XmlError && /contiguous/.test(e.message),
    );
  });

  it("netmask and address arithmetic", () => {
    assert.deepEqual(["255.255.255.0", "255.255.255.128", "0.0.0.0", "255.255.255.255", "255.128.0.0"].map(netmaskToPrefix), [24, 25, 0, 32, 9]);
    assert.throws(() => netmaskToPrefix("255.255.0.255"), XmlError);
    assert.throws(() => netmaskToPrefix("256.0.0.0"), XmlError);
    assert.equal(canonicalIp("FD00:0213:000B:0:0::1"), "fd00:213:b::1");
    assert.equal(canonicalIp("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    assert.equal(canonicalIp("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
    assert.equal(canonicalIp("::"), "::");
    assert.equal(canonicalIp("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
    assert.equal(canonicalIp("10.0.0.1"), "10.0.0.1");
    assert.equal(canonicalIp("not:an:address::x"), "not:an:address::x");
  });

  describe("apply from real libvirt XML keeps what it does not manage", () => {
    const current = fixture("network/nat-active.xml");
    const base = parseNetworkXml(current);
    const diff = (spec: Network) => changedPaths(parseXml(current), parseXml(applyNetworkXml(current, spec)));
    const ip0 = base.ips![0];

    it("adding a DHCP host changes only <dhcp> (uuid, mac, bridge, <nat><port> kept)", () => {
      const spec: Network = {
        ...base,
        ips: [{ ...ip0, dhcp: { ranges: ip0.dhcp!.ranges, hosts: [...ip0.dhcp!.hosts, { mac: "52:54:00:AA:BB:03", name: "cache", ip: "10.213.7.12" }] } }],
      };
      assert.deepEqual(diff(spec), ["/network/ip/dhcp"]);
      const out = applyNetworkXml(current, spec);
      assert.match(
        out,
        /<host mac='52:54:00:AA:BB:01' name='web' ip='10.213.7.10'\/>\n\s+<host mac='52:54:00:aa:bb:02' name='db' ip='10.213.7.11'\/>\n\s+<host mac='52:54:00:AA:BB:03' name='cache' ip='10.213.7.12'\/>/,
      );
      assert.match(out, /<ip address='10.213.7.1' netmask='255.255.255.0'>/);
    });

    it("changing DNS hosts edits only the <host> entries", () => {
      assert.deepEqual(diff({ ...base, dnsHosts: [{ ip: "10.213.7.10", hostnames: ["web"] }] }), ["/network/dns/host"]);
      assert.deepEqual(diff({ ...base, dnsHosts: [...base.dnsHosts!, { ip: "10.213.7.11", hostnames: ["db"] }] }), ["/network/dns"]);
      assert.doesNotMatch(applyNetworkXml(current, { ...base, dnsHosts: [] }), /<dns/);
    });

    it("a new prefix replaces netmask=; dropping DHCP and domain removes them", () => {
      const out = applyNetworkXml(current, { ...base, domain: undefined, ips: [{ family: "ipv4", address: "10.213.7.1", prefix: 25 }] });
      assert.match(out, /<ip address='10.213.7.1' prefix='25'\/>/);
      assert.doesNotMatch(out, /<domain|<dhcp/);
      assert.match(out, /<uuid>b1c978ef-3a68-4d3a-91fa-b1a59a827d4b<\/uuid>/);
    });

    it("unset bridge keeps libvirt's name/stp/delay; a set stp edits only <bridge>", () => {
      const { bridge: _b, ...noBridge } = base as RoutedNetwork;
      assert.deepEqual(diff({ ...noBridge, mode: "nat" }), []);
      assert.deepEqual(diff({ ...noBridge, mode: "nat", bridge: { stp: false } }), ["/network/bridge"]);
    });

    it("a new forward mode starts <forward> afresh; isolated removes it", () => {
      const routed = applyNetworkXml(current, { ...(base as RoutedNetwork), mode: "route" });
      assert.match(routed, /<forward mode='route'\/>/);
      assert.doesNotMatch(routed, /<nat>/);
      assert.doesNotMatch(applyNetworkXml(current, { ...(base as RoutedNetwork), mode: "isolated" }), /<forward/);
      const bridged = applyNetworkXml(current, { ...base, mode: "bridge", bridge: { name: "br0" } });
      assert.match(bridged, /<forward mode='bridge'\/>\n  <bridge name='br0'\/>/);
    });
  });

  it("apply carries metadata, comments, namespaces, portgroups, routes, tftp, bootp and leases through", () => {
    const current = fixture("network/unknown-nodes.xml");
    const base = parseNetworkXml(current);
    const ip = base.ips![0];
    const out = applyNetworkXml(current, {
      ...base,
      mtu: 9000,
      dnsHosts: [{ ip: "10.213.30.5", hostnames: ["gw", "gateway"] }],
      ips: [{ ...ip, dhcp: { ranges: ip.dhcp!.ranges, hosts: [{ mac: "52:54:00:00:30:05", name: "gw", ip: "10.213.30.6" }] } }],
    });
    assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/network/mtu", "/network/dns/host", "/network/ip/dhcp/host"]);
    for (const kept of [
      "<!-- lab address plan: .2-.99 static -->",
      `<app:owner xmlns:app='http://example.com/pvt'>team &amp; &lt;infra&gt;</app:owner>`,
      "<dnsmasq:option value='dhcp-authoritative'/>",
      "<lease expiry='30' unit='minutes'/>",
      "<tftp root='/srv/tftp'/>",
      "<bootp file='pxelinux.0'/>",
      "<route address='10.213.31.0' prefix='24' gateway='10.213.30.2'/>",
      "<txt name='info' value='pvt &quot;lab&quot;'/>",
      "connections='2' ipv6='yes'",
    ]) {
      assert.ok(out.includes(kept), `kept: ${kept}`);
    }
  });

  it("IPv6: DHCP hosts matched by DUID, ranges, addresses and DNS hosts by canonical address", () => {
    const current = fixture("network/ipv6-nat.xml");
    const base = parseNetworkXml(current);
    const ip = base.ips![0];
    const spec: Network = {
      ...base,
      dnsHosts: base.dnsHosts!.map((h) => ({ ...h, ip: h.ip.toUpperCase() })),
      ips: [
        {
          ...ip,
          address: "FD00:213:20:0::1",
          dhcp: { ranges: [{ start: "FD00:213:20::100", end: "fd00:213:20::1ff" }], hosts: [{ id: "0:3:0:1:52:54:0:a:b:10", ip: "fd00:213:20::12" }] },
        },
      ],
    };
    const out = applyNetworkXml(current, spec);
    assert.deepEqual(changedPaths(parseXml(current), parseXml(out)), ["/network/ip/dhcp"]);
    assert.match(out, /<ip family='ipv6' address='fd00:213:20::1' prefix='64'>/);
    assert.match(out, /<range start='fd00:213:20::100' end='fd00:213:20::1ff'\/>\n\s+<host id='0:3:0:1:52:54:0:a:b:10' ip='fd00:213:20::12'\/>\n\s+<\/dhcp>/);
  });
});
