/**
 * virt:Network's cross-field checks (after the spec-driven ones): what each mode allows, addresses of the right
 * family inside their subnet, DHCP host identities as libvirt requires them, and no duplicates. Pure.
 */
import { isUnknown } from "../../diff";
import { canonicalIp } from "../../xml";
import { CheckFailure, Props } from "../provider";
import { compareIp, inSubnet, ipVersion, parseIPv4, parseIPv6 } from "../ip";
import type { DhcpHostInput, DhcpRangeInput, NetworkBridgeInput, NetworkDnsHostInput, NetworkIpInput } from "../shapes";

/** Letters, digits, `- . _`, starting with a letter or digit (libvirt refuses other first characters). */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;
const DOMAIN_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const DUID = /^[0-9A-Fa-f:]+$/;

const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** The subnet of `address/prefix` in words: its CIDR and first and last address. */
export function subnetOf(address: string, prefix: number): { cidr: string; first: string; last: string } {
  if (ipVersion(address) === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const first = (parseIPv4(address)! & mask) >>> 0;
    const last = (first | (~mask >>> 0)) >>> 0;
    const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
    return { cidr: `${dotted(first)}/${prefix}`, first: dotted(first), last: dotted(last) };
  }
  const all = (1n << 128n) - 1n;
  const host = (1n << BigInt(128 - prefix)) - 1n;
  const first = parseIPv6(address)! & (all ^ host);
  const text = (n: bigint) => canonicalIp(Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":"));
  return { cidr: `${text(first)}/${prefix}`, first: text(first), last: text(first | host) };
}

/** Collects failures, each naming its property path; `unique` refuses a value a path before it already has. */
class Failures {
  readonly list: CheckFailure[] = [];
  fail(property: string, reason: string): void {
    this.list.push({ property, reason: `${property}: ${reason}` });
  }
  /** Records `key` at `at`, or fails `at` when an earlier path of the map has it. */
  unique(map: Map<string, string>, key: string, at: string, value: string, what: string): void {
    const first = map.get(key);
    if (first === undefined) map.set(key, at);
    else this.fail(at, `"${value}" is already used by ${first}; each ${what} must be unique in the network`);
  }
}

/** Identities that must be unique across the whole network: value → the path that has it first. */
interface Seen {
  address: Map<string, string>;
  mac: Map<string, string>;
  hostIp: Map<string, string>;
  name: Map<string, string>;
  id: Map<string, string>;
}

/** One address of the network as the DHCP checks need it: where it is, its family and subnet. */
interface IpContext {
  at: string;
  ip: NetworkIpInput;
  v: 4 | 6;
  subnet: { cidr: string; first: string; last: string } | undefined;
  /** Why `addr` cannot be used inside this ip's subnet, or undefined. */
  outside(addr: string): string | undefined;
}

/** Every failure at once, each naming the property path, the bad value and what is allowed. */
export function validateNetwork(inputs: Props): CheckFailure[] {
  const f = new Failures();
  const ips = list<NetworkIpInput>(inputs["ips"]);
  const dnsHosts = list<NetworkDnsHostInput>(inputs["dnsHosts"]);
  if (inputs["mode"] === "bridge") {
    bridgeModeProblems(inputs, ips, dnsHosts, f);
    return f.list;
  }
  const domainName = isRecord(inputs["domain"]) ? inputs["domain"]["name"] : undefined;
  if (known(domainName) && !DOMAIN_NAME.test(domainName)) {
    f.fail("domain.name", `"${domainName}" is not a DNS domain: use labels of letters, digits and - separated by dots, e.g. "lab.internal"`);
  }
  const seen: Seen = { address: new Map(), mac: new Map(), hostIp: new Map(), name: new Map(), id: new Map() };
  const dhcpOn: Record<4 | 6, number | undefined> = { 4: undefined, 6: undefined };
  ips.forEach((ip, i) => {
    const ctx = ipContext(ip, i, seen, f);
    if (ctx === undefined || !isRecord(ip.dhcp)) return;
    const ranges = list<DhcpRangeInput>(ip.dhcp["ranges"]);
    const hosts = list<DhcpHostInput>(ip.dhcp["hosts"]);
    if (ranges.length + hosts.length > 0) {
      const other = dhcpOn[ctx.v];
      if (other !== undefined) {
        f.fail(
          `${ctx.at}.dhcp`,
          `ips[${other}] already has DHCP; libvirt serves DHCP on only one IPv${ctx.v} address per network: put the ranges and hosts on one address`,
        );
      } else dhcpOn[ctx.v] = i;
    }
    ranges.forEach((r, k) => rangeProblems(r, `${ctx.at}.dhcp.ranges[${k}]`, ctx, f));
    hosts.forEach((h, k) => hostProblems(h, `${ctx.at}.dhcp.hosts[${k}]`, ctx, seen, f));
  });
  dnsHostProblems(dnsHosts, f);
  return f.list;
}

/** Mode "bridge": libvirt hands guests to an existing host bridge and configures nothing of its own. */
function bridgeModeProblems(inputs: Props, ips: NetworkIpInput[], dnsHosts: NetworkDnsHostInput[], f: Failures): void {
  const bridge = isRecord(inputs["bridge"]) ? (inputs["bridge"] as NetworkBridgeInput) : undefined;
  if (bridge?.name === undefined) f.fail("bridge.name", 'is required for mode "bridge": the name of the existing host bridge to hand guests to, e.g. "br0"');
  for (const k of ["stp", "delay"] as const) {
    if (bridge?.[k] !== undefined)
      f.fail(
        `bridge.${k}`,
        `${String(bridge[k])} is not allowed with mode "bridge" (libvirt does not configure a host bridge); remove it, or use mode nat, route, open or isolated`,
      );
  }
  const why = 'mode "bridge" hands guests to an existing host bridge, where libvirt runs no DHCP or DNS and sets no addresses';
  if (ips.length > 0) f.fail("ips", `${why}; remove ips, or use mode nat, route, open or isolated`);
  if (dnsHosts.length > 0) f.fail("dnsHosts", `${why}; remove dnsHosts, or use mode nat, route, open or isolated`);
  if (inputs["domain"] !== undefined) f.fail("domain", `${why}; remove domain, or use mode nat, route, open or isolated`);
  if (inputs["mtu"] !== undefined)
    f.fail(
      "mtu",
      `${String(inputs["mtu"])}: libvirt sets an MTU only on a bridge it runs (nat, route, open, isolated); set it on the host bridge instead, and remove mtu`,
    );
}

/** Checks one address (family, uniqueness, prefix) and returns what its DHCP checks need; undefined when unknown yet. */
function ipContext(ip: NetworkIpInput, i: number, seen: Seen, f: Failures): IpContext | undefined {
  const at = `ips[${i}]`;
  if (!isRecord(ip) || !known(ip.address)) return undefined;
  const v = ipVersion(ip.address);
  if (v === 0) return undefined; // refused by the spec's format check already
  const family = v === 4 ? "ipv4" : "ipv6";
  if (known(ip.family) && ip.family !== family) {
    f.fail(
      `${at}.family`,
      `"${ip.family}" does not match address "${ip.address}", an IPv${v} address; use "${family}" or leave family out (it is derived from the address)`,
    );
  }
  f.unique(seen.address, canonicalIp(ip.address), `${at}.address`, ip.address, "address");
  let subnet: IpContext["subnet"];
  if (typeof ip.prefix === "number") {
    if (v === 4 && ip.prefix > 32) f.fail(`${at}.prefix`, `${ip.prefix} is out of range for an IPv4 address; use 1 to 32`);
    else subnet = subnetOf(ip.address, ip.prefix);
  }
  const outside = (addr: string): string | undefined => {
    const av = ipVersion(addr);
    if (av !== v)
      return `"${addr}" is an IPv${av} address, but ${at} (${ip.address}) is IPv${v}; use an IPv${v} address${subnet ? ` inside ${subnet.cidr}` : ""}`;
    if (subnet && !inSubnet(addr, ip.address, ip.prefix))
      return `"${addr}" is outside ${at}'s subnet ${subnet.cidr}; use an address from ${subnet.first} to ${subnet.last}`;
    return undefined;
  };
  return { at, ip, v, subnet, outside };
}

/** A DHCP range: both ends inside the subnet, neither the network nor the broadcast address, start ≤ end. */
function rangeProblems(r: DhcpRangeInput, rp: string, ctx: IpContext, f: Failures): void {
  if (!isRecord(r)) return;
  const { v, subnet, ip } = ctx;
  let ok = true;
  for (const end of ["start", "end"] as const) {
    const a = r[end];
    if (!known(a)) {
      ok = false;
      continue;
    }
    const err = ctx.outside(a);
    if (err !== undefined) {
      f.fail(`${rp}.${end}`, err);
      ok = false;
    } else if (v === 4 && subnet && ip.prefix <= 30 && (a === subnet.first || a === subnet.last)) {
      f.fail(
        `${rp}.${end}`,
        `"${a}" is the ${a === subnet.first ? "network" : "broadcast"} address of ${subnet.cidr}, which libvirt refuses in a DHCP range; use ${addOne(subnet.first)} to ${subOne(subnet.last)}`,
      );
      ok = false;
    }
  }
  if (ok && compareIp(r.start, r.end) > 0) f.fail(rp, `start "${r.start}" is after end "${r.end}"; start must not be after end`);
}

/** A static DHCP host: its ip inside the subnet, the identity its family needs, each identity unique. */
function hostProblems(h: DhcpHostInput, hp: string, ctx: IpContext, seen: Seen, f: Failures): void {
  if (!isRecord(h)) return;
  if (known(h.ip)) {
    const err = ctx.outside(h.ip);
    if (err !== undefined) f.fail(`${hp}.ip`, err);
    f.unique(seen.hostIp, canonicalIp(h.ip), `${hp}.ip`, h.ip, "DHCP host ip");
  }
  if (ctx.v === 6) {
    if (h.mac !== undefined)
      f.fail(
        `${hp}.mac`,
        `"${String(h.mac)}": libvirt takes no MAC for a host on an IPv6 address (DHCPv6 knows clients by DUID); give id (the client's DUID) or name instead`,
      );
    if (h.id === undefined && h.name === undefined)
      f.fail(
        hp,
        `a host on an IPv6 address needs id (the client's DUID, e.g. "0:3:0:1:52:54:0:a:b:10") or name, so DHCPv6 knows which client gets ${String(h.ip)}`,
      );
  } else if (h.mac === undefined && h.name === undefined) {
    f.fail(hp, `a host on an IPv4 address needs mac or name, so DHCP knows which guest gets ${String(h.ip)}`);
  }
  if (known(h.mac)) {
    if ((parseInt(h.mac.slice(0, 2), 16) & 1) === 1)
      f.fail(`${hp}.mac`, `"${h.mac}" is a multicast address; a guest NIC has a unicast MAC (first byte even), e.g. 52:54:00:12:34:56`);
    f.unique(seen.mac, h.mac.toLowerCase(), `${hp}.mac`, h.mac, "DHCP host mac");
  }
  if (known(h.id)) {
    if (!DUID.test(h.id)) f.fail(`${hp}.id`, `"${h.id}" is not a DHCP client id: use hex digits and colons, e.g. "0:3:0:1:52:54:0:a:b:10"`);
    else f.unique(seen.id, h.id.toLowerCase(), `${hp}.id`, h.id, "DHCP host id");
  }
  if (known(h.name)) {
    if (!HOST_NAME.test(h.name)) f.fail(`${hp}.name`, `"${h.name}" is not a host name: start with a letter or digit, then letters, digits, - . _`);
    else f.unique(seen.name, h.name.toLowerCase(), `${hp}.name`, h.name, "DHCP host name");
  }
}

/** DNS hosts: each ip once, at least one host name each, every name a host name and unique in the network. */
function dnsHostProblems(dnsHosts: NetworkDnsHostInput[], f: Failures): void {
  const dnsIps = new Map<string, string>();
  const dnsNames = new Map<string, string>();
  dnsHosts.forEach((d, k) => {
    const dp = `dnsHosts[${k}]`;
    if (!isRecord(d)) return;
    if (known(d.ip)) f.unique(dnsIps, canonicalIp(d.ip), `${dp}.ip`, d.ip, "DNS host ip");
    if (!Array.isArray(d.hostnames)) return;
    if (d.hostnames.length === 0) f.fail(`${dp}.hostnames`, `at least one host name is required for ${String(d.ip)}`);
    d.hostnames.forEach((n, m) => {
      if (!known(n)) return;
      const np = `${dp}.hostnames[${m}]`;
      if (!HOST_NAME.test(n)) f.fail(np, `"${n}" is not a host name: start with a letter or digit, then letters, digits, - . _`);
      // libvirt refuses to add a DNS host sharing a name with another (and could not delete either one alone).
      else f.unique(dnsNames, n.toLowerCase(), np, n, "DNS host name");
    });
  });
}

function addOne(ipv4: string): string {
  const n = parseIPv4(ipv4)! + 1;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

function subOne(ipv4: string): string {
  const n = parseIPv4(ipv4)! - 1;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/**
 * The inputs with every address in the text form libvirt writes (RFC 5952 for IPv6), so what is read back
 * compares equal and keyed lists match. Values not known yet pass through.
 */
export function canonicalInputs(inputs: Props): Props {
  const c = (v: unknown): unknown => (known(v) ? canonicalIp(v) : v);
  const out: Props = { ...inputs };
  if (Array.isArray(inputs["ips"])) {
    out["ips"] = (inputs["ips"] as unknown[]).map((ip) => {
      if (!isRecord(ip)) return ip;
      const o: Record<string, unknown> = { ...ip, address: c(ip["address"]) };
      const dhcp = ip["dhcp"];
      if (isRecord(dhcp)) {
        const d: Record<string, unknown> = { ...dhcp };
        if (Array.isArray(dhcp["ranges"])) d["ranges"] = dhcp["ranges"].map((r) => (isRecord(r) ? { ...r, start: c(r["start"]), end: c(r["end"]) } : r));
        if (Array.isArray(dhcp["hosts"]))
          d["hosts"] = dhcp["hosts"].map((h) => (isRecord(h) ? { ...h, ...(h["ip"] !== undefined ? { ip: c(h["ip"]) } : {}) } : h));
        o["dhcp"] = d;
      }
      return o;
    });
  }
  if (Array.isArray(inputs["dnsHosts"])) {
    out["dnsHosts"] = (inputs["dnsHosts"] as unknown[]).map((d) => (isRecord(d) ? { ...d, ip: c(d["ip"]) } : d));
  }
  return out;
}
