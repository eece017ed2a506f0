import assert from "node:assert/strict";
import { plan, UNKNOWN } from "../../../../provider/diff";
import { NetworkUpdateCommand as Cmd, NetworkUpdateSection as Sec } from "../../../../provider/libvirt";
import { buildNetworkXml, parseNetworkXml } from "../../../../provider/xml";
import { describeOp, network, networkSpec, readBack, subnetOf, toModel, touchedSections, updateOps, usesNetwork } from "../../../../provider/resources/network";
import { Props, setReporter } from "../../../../provider/resources/provider";
import { fixture } from "../../xml/corpus";
import { setHostBridgeLookup } from "../../../../provider/resources/host-interfaces";

/** No host here: mode "bridge" checks are answered as if the host had the bridge (the real lookup: integration tests). */
const hostHasBridge = () => setHostBridgeLookup(async () => undefined);

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await network.check(olds, news);
  assert.deepEqual(r.failures, []);
  return r.inputs;
}

/** property → "property: reason" as Pulumi shows it (the reason does not repeat the property), for the failures of `news`. */
async function failures(news: Props): Promise<Record<string, string>> {
  const r = await network.check({}, news);
  return Object.fromEntries(r.failures.map((f) => [f.property, `${f.property}: ${f.reason}`]));
}

const lab = {
  name: "lab",
  mode: "isolated",
  ips: [
    {
      address: "10.213.5.1",
      prefix: 24,
      dhcp: {
        ranges: [{ start: "10.213.5.100", end: "10.213.5.199" }],
        hosts: [
          { mac: "52:54:00:00:05:10", name: "web", ip: "10.213.5.10" },
          { mac: "52:54:00:00:05:11", name: "db", ip: "10.213.5.11" },
        ],
      },
    },
  ],
  dnsHosts: [{ ip: "10.213.5.10", hostnames: ["web", "www"] }],
};

describe("virt:Network check", () => {
  before(hostHasBridge);
  after(() => setHostBridgeLookup(undefined));
  it("normalises: defaults filled (nat, autostart, empty DHCP lists), MACs lower-case, IPv6 in libvirt's form", async () => {
    const r = await checked({
      name: "n",
      ips: [
        { address: "10.213.5.1", prefix: 24, dhcp: { hosts: [{ mac: "52:54:00:AA:BB:CC", ip: "10.213.5.9" }] } },
        { address: "FD00:0213:0005:0:0::1", prefix: 64, dhcp: { ranges: [{ start: "fd00:213:5::0100", end: "fd00:213:5:0::1ff" }] } },
      ],
      dnsHosts: [{ ip: "fd00:213:5:0:0:0:0:10", hostnames: ["a"] }],
    });
    assert.equal(r["mode"], "nat");
    assert.equal(r["autostart"], true);
    assert.deepEqual(r["ips"], [
      { address: "10.213.5.1", prefix: 24, dhcp: { ranges: [], hosts: [{ mac: "52:54:00:aa:bb:cc", ip: "10.213.5.9" }] } },
      { address: "fd00:213:5::1", prefix: 64, dhcp: { ranges: [{ start: "fd00:213:5::100", end: "fd00:213:5::1ff" }], hosts: [] } },
    ]);
    assert.deepEqual(r["dnsHosts"], [{ ip: "fd00:213:5::10", hostnames: ["a"] }]);
  });

  it("accepts a well-formed network of every mode", async () => {
    for (const mode of ["nat", "route", "open", "isolated"]) await checked({ ...lab, mode });
    await checked({ name: "br", mode: "bridge", bridge: { name: "br0" } });
    await checked({
      name: "v6",
      ips: [
        {
          address: "fd00::1",
          prefix: 64,
          family: "ipv6",
          dhcp: {
            hosts: [
              { id: "0:3:0:1:52:54:0:a:b:10", ip: "fd00::10" },
              { name: "h", ip: "fd00::11" },
            ],
          },
        },
      ],
    });
  });

  it("mode bridge needs the host bridge's name and takes no addresses, DHCP, DNS, domain, MTU, stp or delay", async () => {
    let by = await failures({ name: "br", mode: "bridge" });
    assert.match(by["bridge.name"]!, /^bridge\.name: is required for mode "bridge": the name of the existing host bridge to hand guests to, e\.g\. "br0"/);
    by = await failures({ ...lab, mode: "bridge", bridge: { name: "br0", stp: true, delay: 2 }, domain: { name: "x.test" }, mtu: 9000 });
    assert.match(
      by["ips"]!,
      /^ips: mode "bridge" hands guests to an existing host bridge, where libvirt runs no DHCP or DNS .*; remove ips, or use mode nat, route, open or isolated/,
    );
    assert.match(by["dnsHosts"]!, /^dnsHosts: mode "bridge" .*remove dnsHosts/);
    assert.match(by["domain"]!, /^domain: mode "bridge" .*remove domain/);
    assert.match(by["mtu"]!, /^mtu: 9000: libvirt sets an MTU only on a bridge it runs/);
    assert.match(by["bridge.stp"]!, /^bridge\.stp: true is not allowed with mode "bridge"/);
    assert.match(by["bridge.delay"]!, /^bridge\.delay: 2 is not allowed with mode "bridge"/);
  });

  it("addresses: valid, of the declared family, prefix in range, unique", async () => {
    const by = await failures({
      name: "n",
      ips: [
        { address: "10.213.5.1", prefix: 33 },
        { address: "10.213.6.1", prefix: 24, family: "ipv6" },
        { address: "fd00::1", prefix: 129 },
        { address: "10.213.7.256", prefix: 24 },
        { address: "fd01::1", prefix: 0 },
      ],
    });
    assert.match(by["ips[2].prefix"]!, /129 is above the maximum 128/);
    assert.match(by["ips[3].address"]!, /"10\.213\.7\.256" is not an IP address/);
    assert.match(by["ips[4].prefix"]!, /0 is below the minimum 1/);
    // Cross-field rules run once the per-property ones pass.
    const by2 = await failures({
      name: "n",
      ips: [
        { address: "10.213.5.1", prefix: 33 },
        { address: "10.213.6.1", prefix: 24, family: "ipv6" },
        { address: "fd00::1", prefix: 64 },
        { address: "fd00:0::1", prefix: 64 },
      ],
    });
    assert.match(by2["ips[0].prefix"]!, /^ips\[0\]\.prefix: 33 is out of range for an IPv4 address; use 1 to 32$/);
    assert.match(by2["ips[1].family"]!, /^ips\[1\]\.family: "ipv6" does not match address "10\.213\.6\.1", an IPv4 address; use "ipv4" or leave family out/);
    assert.match(by2["ips[3].address"]!, /^ips\[3\]\.address: "fd00:0::1" is already used by ips\[2\]\.address; each address must be unique/);
  });

  it("DHCP ranges: inside the subnet, of its family, start ≤ end, not the network or broadcast address", async () => {
    const by = await failures({
      name: "n",
      ips: [
        {
          address: "10.213.5.1",
          prefix: 24,
          dhcp: {
            ranges: [
              { start: "10.213.6.10", end: "10.213.5.20" },
              { start: "10.213.5.200", end: "10.213.5.100" },
              { start: "10.213.5.0", end: "10.213.5.9" },
              { start: "10.213.5.240", end: "10.213.5.255" },
              { start: "fd00::1", end: "10.213.5.30" },
            ],
          },
        },
      ],
    });
    assert.equal(
      by["ips[0].dhcp.ranges[0].start"],
      'ips[0].dhcp.ranges[0].start: "10.213.6.10" is outside ips[0]\'s subnet 10.213.5.0/24; use an address from 10.213.5.0 to 10.213.5.255',
    );
    assert.equal(by["ips[0].dhcp.ranges[1]"], 'ips[0].dhcp.ranges[1]: start "10.213.5.200" is after end "10.213.5.100"; start must not be after end');
    assert.match(
      by["ips[0].dhcp.ranges[2].start"]!,
      /"10\.213\.5\.0" is the network address of 10\.213\.5\.0\/24, which libvirt refuses in a DHCP range; use 10\.213\.5\.1 to 10\.213\.5\.254/,
    );
    assert.match(by["ips[0].dhcp.ranges[3].end"]!, /"10\.213\.5\.255" is the broadcast address of 10\.213\.5\.0\/24/);
    assert.match(
      by["ips[0].dhcp.ranges[4].start"]!,
      /"fd00::1" is an IPv6 address, but ips\[0\] \(10\.213\.5\.1\) is IPv4; use an IPv4 address inside 10\.213\.5\.0\/24/,
    );
    assert.equal(Object.keys(by).length, 5, JSON.stringify(by));
  });

  it("DHCP hosts: ip inside the subnet; IPv4 needs mac or name, IPv6 id or name and no mac; unicast MACs; valid ids and names", async () => {
    const by = await failures({
      name: "n",
      ips: [
        {
          address: "10.213.5.1",
          prefix: 24,
          dhcp: {
            hosts: [
              { mac: "52:54:00:00:00:01", ip: "10.213.5.10" },
              { ip: "10.213.5.11" },
              { mac: "52:54:00:00:00:03", ip: "10.213.9.12" },
              { mac: "01:00:5e:00:00:01", ip: "10.213.5.13" },
              { name: "-bad", ip: "10.213.5.14" },
              { name: "ok", id: "zz", ip: "10.213.5.15" },
            ],
          },
        },
        { address: "fd00:213:5::1", prefix: 64, dhcp: { hosts: [{ mac: "52:54:00:00:00:20", name: "v6", ip: "fd00:213:5::20" }, { ip: "fd00:213:5::21" }] } },
      ],
    });
    assert.equal(by["ips[0].dhcp.hosts[1]"], "ips[0].dhcp.hosts[1]: a host on an IPv4 address needs mac or name, so DHCP knows which guest gets 10.213.5.11");
    assert.equal(
      by["ips[0].dhcp.hosts[2].ip"],
      'ips[0].dhcp.hosts[2].ip: "10.213.9.12" is outside ips[0]\'s subnet 10.213.5.0/24; use an address from 10.213.5.0 to 10.213.5.255',
    );
    assert.match(by["ips[0].dhcp.hosts[3].mac"]!, /"01:00:5e:00:00:01" is a multicast address; a guest NIC has a unicast MAC \(first byte even\)/);
    assert.match(by["ips[0].dhcp.hosts[4].name"]!, /"-bad" is not a host name: start with a letter or digit/);
    assert.match(by["ips[0].dhcp.hosts[5].id"]!, /"zz" is not a DHCP client id: use hex digits and colons/);
    assert.match(
      by["ips[1].dhcp.hosts[0].mac"]!,
      /libvirt takes no MAC for a host on an IPv6 address \(DHCPv6 knows clients by DUID\); give id \(the client's DUID\) or name instead/,
    );
    assert.match(by["ips[1].dhcp.hosts[1]"]!, /a host on an IPv6 address needs id \(the client's DUID, e\.g\. "0:3:0:1:52:54:0:a:b:10"\) or name/);
    assert.equal(Object.keys(by).length, 7, JSON.stringify(by));
  });

  it("no duplicate MACs, host IPs, host names or DNS names in a network; one DHCP address per family", async () => {
    const by = await failures({
      name: "n",
      ips: [
        {
          address: "10.213.5.1",
          prefix: 16,
          dhcp: {
            hosts: [
              { mac: "52:54:00:00:00:01", name: "a", ip: "10.213.5.10" },
              { mac: "52:54:00:00:00:01", name: "A", ip: "10.213.5.11" },
            ],
          },
        },
        { address: "10.213.6.1", prefix: 24, dhcp: { hosts: [{ name: "c", ip: "10.213.6.10" }] } },
        {
          address: "fd00::1",
          prefix: 64,
          dhcp: {
            hosts: [
              { name: "v", ip: "fd00::10" },
              { name: "w", ip: "fd00:0::10" },
            ],
          },
        },
      ],
      dnsHosts: [
        { ip: "10.213.5.10", hostnames: ["web", "www"] },
        { ip: "10.213.5.11", hostnames: ["WEB"] },
        { ip: "10.213.5.12", hostnames: [] },
      ],
    });
    assert.equal(
      by["ips[0].dhcp.hosts[1].mac"],
      'ips[0].dhcp.hosts[1].mac: "52:54:00:00:00:01" is already used by ips[0].dhcp.hosts[0].mac; each DHCP host mac must be unique in the network',
    );
    assert.match(by["ips[0].dhcp.hosts[1].name"]!, /"A" is already used by ips\[0\]\.dhcp\.hosts\[0\]\.name; each DHCP host name must be unique/);
    assert.match(by["ips[1].dhcp"]!, /^ips\[1\]\.dhcp: ips\[0\] already has DHCP; libvirt serves DHCP on only one IPv4 address per network/);
    assert.match(by["ips[2].dhcp.hosts[1].ip"]!, /"fd00:0::10" is already used by ips\[2\]\.dhcp\.hosts\[0\]\.ip; each DHCP host ip must be unique/);
    assert.match(by["dnsHosts[1].hostnames[0]"]!, /"WEB" is already used by dnsHosts\[0\]\.hostnames\[0\]; each DNS host name must be unique/);
    assert.match(by["dnsHosts[2].hostnames"]!, /at least one host name is required for 10\.213\.5\.12/);
    // A plain duplicate key is caught by the spec's keyed-list check first.
    const dup = await failures({
      name: "n",
      dnsHosts: [
        { ip: "10.0.0.1", hostnames: ["a"] },
        { ip: "10.0.0.1", hostnames: ["b"] },
      ],
    });
    assert.match(dup["dnsHosts[1]"]!, /ip "10\.0\.0\.1" is already used by dnsHosts\[0\]/);
  });

  it("domain names, bridge names, MTU and unknown properties", async () => {
    const by = await failures({ name: "n", domain: { name: "bad_domain..x" }, bridge: { name: "a-very-long-bridge-name" }, mtu: 10, colour: "red" });
    assert.match(by["bridge.name"]!, /not a valid bridge name: 1 to 15 letters/);
    assert.match(by["mtu"]!, /10 is below the minimum 68/);
    assert.match(by["colour"]!, /unknown property "colour"/);
    const by2 = await failures({ name: "n", domain: { name: "bad_domain..x" } });
    assert.match(by2["domain.name"]!, /"bad_domain\.\.x" is not a DNS domain/);
  });

  it("lets values unknown during preview through", async () => {
    await checked({ name: UNKNOWN, mode: "isolated", ips: [{ address: UNKNOWN, prefix: 24, dhcp: { hosts: [{ mac: UNKNOWN, ip: UNKNOWN }] } }] });
    await checked({ name: "n", ips: [{ address: "10.213.5.1", prefix: 24, dhcp: { ranges: [{ start: UNKNOWN, end: "10.213.5.20" }] } }], dnsHosts: UNKNOWN });
  });

  it("describes subnets", () => {
    assert.deepEqual(subnetOf("10.213.5.77", 25), { cidr: "10.213.5.0/25", first: "10.213.5.0", last: "10.213.5.127" });
    assert.deepEqual(subnetOf("fd00:213:5::1", 64), { cidr: "fd00:213:5::/64", first: "fd00:213:5::", last: "fd00:213:5:0:ffff:ffff:ffff:ffff" });
  });
});

describe("virt:Network diff", () => {
  const lines: string[] = [];
  before(() => setReporter((l) => lines.push(l)));
  beforeEach(() => (lines.length = 0));

  async function state(news: Props): Promise<Props> {
    return { ...(await checked(news)), uuid: "u", bridgeName: "virbr9", uri: "qemu:///system" };
  }

  it("adding a DHCP host is live, with a plan line naming it", async () => {
    const olds = await state(lab);
    const ip0 = lab.ips[0]!;
    const news = await checked({
      ...lab,
      ips: [{ ...ip0, dhcp: { ...ip0.dhcp, hosts: [...ip0.dhcp.hosts, { mac: "52:54:00:00:05:12", ip: "10.213.5.12" }] } }],
    });
    assert.deepEqual(await network.diff("u", olds, news), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(lines, ["virt:Network lab: ips[10.213.5.1].dhcp.hosts +10.213.5.12 (updated live, network not restarted)"]);
  });

  it("reordering hosts, ranges, addresses or DNS hosts, or spelling an address differently, is no change", async () => {
    const olds = await state({ ...lab, ips: [...lab.ips, { address: "fd00:213:5::1", prefix: 64 }] });
    const ip0 = lab.ips[0]!;
    const news = await checked({
      ...lab,
      ips: [
        { address: "fd00:213:5:0::1", prefix: 64 },
        { ...ip0, dhcp: { ...ip0.dhcp, hosts: [...ip0.dhcp.hosts].reverse().map((h) => ({ ...h, mac: h.mac.toUpperCase() })) } },
      ],
    });
    assert.deepEqual(await network.diff("u", olds, news), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(lines, []);
  });

  it("autostart, DHCP host fields, ranges and DNS hosts are live", async () => {
    const olds = await state(lab);
    const news = await checked({
      ...lab,
      autostart: false,
      ips: [
        {
          address: "10.213.5.1",
          prefix: 24,
          dhcp: {
            ranges: [{ start: "10.213.5.100", end: "10.213.5.150" }],
            hosts: [{ mac: "52:54:00:00:05:10", name: "web2", ip: "10.213.5.10" }, lab.ips[0]!.dhcp.hosts[1]],
          },
        },
      ],
      dnsHosts: [{ ip: "10.213.5.10", hostnames: ["web"] }],
    });
    assert.deepEqual(await network.diff("u", olds, news), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(lines.sort(), [
      "virt:Network lab: autostart true → false (set live)",
      'virt:Network lab: dnsHosts[10.213.5.10].hostnames ["web","www"] → ["web"] (updated live, network not restarted)',
      "virt:Network lab: ips[10.213.5.1].dhcp.hosts[10.213.5.10].name web → web2 (updated live, network not restarted)",
      "virt:Network lab: ips[10.213.5.1].dhcp.ranges[10.213.5.100].end 10.213.5.199 → 10.213.5.150 (updated live; the network keeps running, its DHCP server restarts)",
    ]);
  });

  it("addresses, prefixes, mode, bridge, MTU and domain replace the network (old one deleted first)", () => {
    const base = { ...lab, autostart: true, mode: "isolated" };
    const cases: [Props, string][] = [
      [{ ips: [{ ...lab.ips[0]!, address: "10.213.6.1" }] }, "ips"],
      [{ ips: [{ ...lab.ips[0]!, prefix: 23 }] }, "ips"],
      [{ ips: [...lab.ips, { address: "fd00::1", prefix: 64 }] }, "ips"],
      [{ mode: "nat" }, "mode"],
      [{ bridge: { stp: false } }, "bridge"],
      [{ mtu: 9000 }, "mtu"],
      [{ domain: { name: "lab.test" } }, "domain"],
    ];
    for (const [change, key] of cases) {
      const p = plan(networkSpec.inputs, base, { ...base, ...change });
      assert.deepEqual(p.replaceKeys, [key], JSON.stringify(change));
    }
  });

  it("a replacement's plan says which running domains it disconnects, and says so when it cannot list them", async () => {
    const uri = "qemu+unix:///system?socket=/nonexistent/pvt-no-libvirt.sock";
    const olds = { ...(await state(lab)), uri };
    const news = await checked({ ...lab, ips: [{ ...lab.ips[0]!, prefix: 23 }], connection: { uri } });
    assert.deepEqual(await network.diff("u", olds, news), { changes: true, replaces: ["ips"], deleteBeforeReplace: true });
    assert.equal(lines[0], "virt:Network lab: ips[10.213.5.1].prefix 24 → 23 (replaces it)");
    assert.match(
      lines[1]!,
      /^virt:Network lab: replacing it disconnects the running domains attached to it \(listing them on qemu\+unix:\/\/\/system\?socket=\/nonexistent\/pvt-no-libvirt\.sock failed: /,
    );
  });
});

describe("virt:Network read-back of libvirt's XML (the captured corpus)", () => {
  before(hostHasBridge);
  after(() => setHostBridgeLookup(undefined));
  // What a user would have declared for each captured network; read must show no changes against it.
  const declared: Record<string, Props> = {
    "nat-defined.xml": {
      name: "pvt-xml-nat",
      domain: { name: "lab.local", localOnly: true },
      dnsHosts: [{ ip: "10.213.7.10", hostnames: ["web", "www"] }],
      ips: [
        {
          address: "10.213.7.1",
          prefix: 24,
          dhcp: {
            ranges: [{ start: "10.213.7.100", end: "10.213.7.199" }],
            hosts: [
              { mac: "52:54:00:AA:BB:02", name: "db", ip: "10.213.7.11" },
              { mac: "52:54:00:aa:bb:01", name: "web", ip: "10.213.7.10" },
            ],
          },
        },
      ],
    },
    "ipv6-nat.xml": {
      name: "pvt-xml-v6",
      domain: { name: "v6.test" },
      dnsHosts: [
        { ip: "FD00:213:20::11", hostnames: ["db", "db.v6.test"] },
        { ip: "fd00:213:20:0:0::10", hostnames: ["api"] },
      ],
      ips: [
        {
          address: "fd00:0213:0020::1",
          prefix: 64,
          family: "ipv6",
          dhcp: {
            ranges: [
              { start: "fd00:213:20::300", end: "fd00:213:20::3ff" },
              { start: "fd00:213:20::100", end: "fd00:213:20::1ff" },
            ],
            hosts: [
              { id: "0:3:0:1:52:54:0:a:b:10", ip: "fd00:213:20::10" },
              { name: "db", ip: "fd00:213:20::11" },
            ],
          },
        },
      ],
    },
    "isolated-dualstack.xml": {
      name: "pvt-xml-isolated",
      mode: "isolated",
      bridge: { stp: false },
      mtu: 9000,
      ips: [
        { address: "10.213.8.1", prefix: 24 },
        {
          address: "fd00:213:8::1",
          prefix: 64,
          dhcp: {
            ranges: [{ start: "fd00:213:8::100", end: "fd00:213:8::1ff" }],
            hosts: [{ id: "0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63", name: "h6", ip: "fd00:213:8::10" }],
          },
        },
      ],
    },
    "isolated-netmask.xml": {
      name: "pvt-xml-netmask",
      mode: "isolated",
      ips: [
        { address: "10.213.12.1", prefix: 8 },
        { address: "10.213.11.1", prefix: 25, family: "ipv4" },
      ],
    },
    "open.xml": { name: "pvt-xml-open", mode: "open", bridge: { name: "virbr3" }, ips: [{ address: "10.213.10.1", prefix: 24 }] },
    "route.xml": { name: "pvt-xml-route", mode: "route", bridge: { name: "pvtxml1", stp: true, delay: 2 }, ips: [{ address: "10.213.9.1", prefix: 24 }] },
    "unknown-nodes.xml": {
      name: "pvt-xml-extras",
      mtu: 1450,
      domain: { name: "extras.test", localOnly: false },
      dnsHosts: [{ ip: "10.213.30.5", hostnames: ["gw"] }],
      ips: [
        {
          address: "10.213.30.1",
          prefix: 24,
          dhcp: { ranges: [{ start: "10.213.30.100", end: "10.213.30.200" }], hosts: [{ mac: "52:54:00:00:30:05", name: "gw", ip: "10.213.30.5" }] },
        },
      ],
    },
    "host-bridge.xml": { name: "pvt-xml-bridge", mode: "bridge", bridge: { name: "br0" } },
  };
  declared["nat-active.xml"] = declared["nat-defined.xml"]!;

  for (const [file, decl] of Object.entries(declared)) {
    it(`${file}: parse → the declared shape → no changes`, async () => {
      const inputs = await checked(decl);
      const current = { ...readBack(parseNetworkXml(fixture(`network/${file}`)), inputs), autostart: true };
      assert.deepEqual(plan(networkSpec.inputs, current, inputs).changes, []);
      assert.deepEqual(await network.diff("u", { ...current, uri: "qemu:///system" }, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    });
  }

  it("reports what libvirt fills in only where declared, and libvirt's value where declared", async () => {
    const xml = fixture("network/isolated-dualstack.xml");
    const bare = readBack(parseNetworkXml(xml), await checked({ name: "pvt-xml-isolated", mode: "isolated", ips: [{ address: "10.213.8.1", prefix: 24 }] }));
    assert.equal(bare["bridge"], undefined);
    assert.deepEqual((bare["ips"] as Props[])[1], { address: "10.213.8.1", prefix: 24 });
    const full = readBack(
      parseNetworkXml(xml),
      await checked({
        name: "x",
        mode: "isolated",
        bridge: { name: "virbr7", stp: true, delay: 0 },
        ips: [{ address: "10.213.8.1", prefix: 24, family: "ipv4" }],
      }),
    );
    assert.deepEqual(full["bridge"], { name: "virbr2", stp: false, delay: 0 });
    assert.deepEqual((full["ips"] as Props[])[1], { address: "10.213.8.1", prefix: 24, family: "ipv4" });
  });

  it("shows drift: a DHCP host added behind our back, a DNS host removed", async () => {
    const inputs = await checked(declared["nat-active.xml"]!);
    const xml = fixture("network/nat-active.xml")
      .replace("</dhcp>", "  <host mac='52:54:00:aa:bb:03' name='x' ip='10.213.7.12'/>\n    </dhcp>")
      .replace(/<dns>[\s\S]*<\/dns>/, "");
    const current = { ...readBack(parseNetworkXml(xml), inputs), autostart: true };
    const p = plan(networkSpec.inputs, current, inputs);
    assert.deepEqual(
      p.changes.map((c) => [c.path, c.how, c.added, c.removed]),
      [
        ["ips[10.213.7.1].dhcp.hosts", "live", [], ["10.213.7.12"]],
        ["dnsHosts", "live", ["10.213.7.10"], []],
      ],
    );
  });

  it("builds what it reads: toModel → XML → readBack gives the inputs back", async () => {
    const inputs = await checked({ ...lab, bridge: { name: "pvtbr1", stp: false, delay: 3 }, mtu: 1400, domain: { name: "lab.test", localOnly: true } });
    const xml = buildNetworkXml(toModel(inputs));
    assert.match(xml, /<bridge name='pvtbr1' stp='off' delay='3'\/>/);
    const back = { ...readBack(parseNetworkXml(xml), inputs), autostart: true };
    assert.deepEqual(plan(networkSpec.inputs, back, inputs).changes, []);
    assert.match(
      buildNetworkXml(toModel(await checked({ name: "b", mode: "bridge", bridge: { name: "br0" } }))),
      /<forward mode='bridge'\/>\n {2}<bridge name='br0'\/>/,
    );
  });
});

describe("virt:Network update calls", () => {
  const current = parseNetworkXml(`<network><name>n</name>
  <dns><host ip='10.213.5.10'><hostname>web</hostname><hostname>www</hostname></host><host ip='10.213.5.11'><hostname>db</hostname></host></dns>
  <ip family='ipv6' address='fd00:213:5::1' prefix='64'/>
  <ip address='10.213.5.1' prefix='24'><dhcp>
    <range start='10.213.5.100' end='10.213.5.199'/>
    <host mac='52:54:00:00:05:10' name='web' ip='10.213.5.10'/>
    <host mac='52:54:00:00:05:11' name='db' ip='10.213.5.11'/>
    <host mac='52:54:00:00:05:13' name='old' ip='10.213.5.13'/>
  </dhcp></ip></network>`);
  const want = (dhcp: Props, dnsHosts?: unknown): Props => ({
    name: "n",
    ips: [
      { address: "fd00:213:5::1", prefix: 64 },
      { address: "10.213.5.1", prefix: 24, dhcp: { ranges: [{ start: "10.213.5.100", end: "10.213.5.199" }], hosts: [], ...dhcp } },
    ],
    ...(dnsHosts !== undefined ? { dnsHosts } : {}),
  });
  const web = { mac: "52:54:00:00:05:10", name: "web", ip: "10.213.5.10" };
  const db = { mac: "52:54:00:00:05:11", name: "db", ip: "10.213.5.11" };
  const old = { mac: "52:54:00:00:05:13", name: "old", ip: "10.213.5.13" };

  it("finds the touched sections in the plan's paths", () => {
    assert.deepEqual(touchedSections(["ips[fd00:213:5:0::1].dhcp.hosts", "ips[10.0.0.1].prefix", "ips[10.0.0.2].dhcp", "autostart"]), {
      ips: ["fd00:213:5::1", "10.0.0.2"],
      dns: false,
    });
    assert.deepEqual(touchedSections(["dnsHosts[10.0.0.1].hostnames"]), { ips: [], dns: true });
  });

  it("deletes removed hosts, modifies changed ones, adds new ones last; parentIndex counts every <ip>", () => {
    const ops = updateOps(current, want({ hosts: [{ ...web, name: "web2" }, db, { mac: "52:54:00:00:05:14", ip: "10.213.5.14" }] }), {
      ips: ["10.213.5.1"],
      dns: false,
    });
    assert.deepEqual(ops, [
      { command: Cmd.DELETE, section: Sec.IP_DHCP_HOST, parentIndex: 1, xml: "<host mac='52:54:00:00:05:13' name='old' ip='10.213.5.13'/>" },
      { command: Cmd.MODIFY, section: Sec.IP_DHCP_HOST, parentIndex: 1, xml: "<host mac='52:54:00:00:05:10' name='web2' ip='10.213.5.10'/>" },
      { command: Cmd.ADD_LAST, section: Sec.IP_DHCP_HOST, parentIndex: 1, xml: "<host mac='52:54:00:00:05:14' ip='10.213.5.14'/>" },
    ]);
    assert.equal(describeOp(ops[1]!), "modify ip-dhcp-host (ip 1) <host mac='52:54:00:00:05:10' name='web2' ip='10.213.5.10'/>");
    assert.deepEqual(updateOps(current, want({ hosts: [old, db, web] }), { ips: ["10.213.5.1"], dns: false }), [], "order is no change");
  });

  it("deletes and re-adds a host whose new mac or name another entry still holds (MODIFY could hit that one)", () => {
    // web and db swap names: a MODIFY of web to name "db" would match db's entry first.
    const ops = updateOps(current, want({ hosts: [{ ...web, name: "db" }, { ...db, name: "web" }, old] }), { ips: ["10.213.5.1"], dns: false });
    assert.deepEqual(
      ops.map((o) => [o.command, o.xml]),
      [
        [Cmd.DELETE, "<host mac='52:54:00:00:05:10' name='web' ip='10.213.5.10'/>"],
        [Cmd.MODIFY, "<host mac='52:54:00:00:05:11' name='web' ip='10.213.5.11'/>"],
        [Cmd.ADD_LAST, "<host mac='52:54:00:00:05:10' name='db' ip='10.213.5.10'/>"],
      ],
    );
  });

  it("ranges and DNS hosts cannot be modified: deleted and added again; a DNS host is deleted by its ip alone", () => {
    const ops = updateOps(
      current,
      want({ ranges: [{ start: "10.213.5.100", end: "10.213.5.150" }], hosts: [web, db, old] }, [
        { ip: "10.213.5.10", hostnames: ["web"] },
        { ip: "10.213.5.11", hostnames: ["db"] },
        { ip: "10.213.5.12", hostnames: ["new"] },
      ]),
      {
        ips: ["10.213.5.1"],
        dns: true,
      },
    );
    assert.deepEqual(
      ops.map((o) => [o.command, o.section, o.parentIndex, o.xml]),
      [
        [Cmd.DELETE, Sec.IP_DHCP_RANGE, 1, "<range start='10.213.5.100' end='10.213.5.199'/>"],
        [Cmd.DELETE, Sec.DNS_HOST, -1, "<host ip='10.213.5.10'/>"],
        [Cmd.ADD_LAST, Sec.IP_DHCP_RANGE, 1, "<range start='10.213.5.100' end='10.213.5.150'/>"],
        [Cmd.ADD_LAST, Sec.DNS_HOST, -1, "<host ip='10.213.5.10'><hostname>web</hostname></host>"],
        [Cmd.ADD_LAST, Sec.DNS_HOST, -1, "<host ip='10.213.5.12'><hostname>new</hostname></host>"],
      ],
    );
  });

  it("refuses to touch an address that is not on the network", () => {
    assert.throws(() => updateOps(current, want({}), { ips: ["10.213.9.1"], dns: false }), /address 10\.213\.9\.1 is not on the network/);
  });
});

describe("attached domains", () => {
  it("finds <interface type='network'> on the network by name, in a domain's live XML", () => {
    const dom = (ifaces: string) => `<domain type='kvm' id='3'><name>d</name><devices><emulator>/usr/bin/qemu</emulator>${ifaces}</devices></domain>`;
    assert.ok(
      usesNetwork(
        dom(`<interface type='network'><mac address='52:54:00:00:00:01'/><source network='lab' portid='x' bridge='virbr3'/><target dev='vnet0'/></interface>`),
        "lab",
      ),
    );
    assert.ok(!usesNetwork(dom(`<interface type='network'><source network='lab2'/></interface>`), "lab"));
    assert.ok(!usesNetwork(dom(`<interface type='bridge'><source bridge='lab'/></interface>`), "lab"));
    assert.ok(!usesNetwork(dom(""), "lab"));
  });
});
