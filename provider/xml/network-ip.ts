/**
 * `<network><ip>` with its `<dhcp>`, and the address arithmetic reads need (netmask → prefix, the
 * canonical text form libvirt writes addresses in).
 */
import { XmlElement, XmlError, serializeXml } from "./document";
import { attr, child, children, element, ensureChild, parseIntStrict, removeChildren, setAttr, syncChildren } from "./tree";

/** `<dhcp><range>`: addresses handed out dynamically, inclusive. */
export interface DhcpRange {
  start: string;
  end: string;
}

/**
 * `<dhcp><host>`: a fixed lease. IPv4 hosts are matched by `mac` (read back lowercased), IPv6 hosts by
 * `id` (a DUID) or `name`. `ip` may be absent when the entry only names a host.
 */
export interface DhcpHost {
  mac?: string;
  id?: string;
  name?: string;
  ip?: string;
}

/** `<dhcp>`: ranges and hosts in document order. */
export interface NetworkDhcp {
  ranges: DhcpRange[];
  hosts: DhcpHost[];
}

/** `<ip>`: an address of the host on the network. */
export interface NetworkIp {
  family: "ipv4" | "ipv6";
  /** The host's address on the network (the gateway guests get). libvirt writes it in canonical form. */
  address: string;
  /** Prefix length; an IPv4 `netmask=` is read as its prefix. */
  prefix: number;
  dhcp?: NetworkDhcp;
}

/** Builds one `<ip>` element (always with `prefix=`; `family=` only for IPv6, as libvirt writes it). */
export function buildIp(ip: NetworkIp): XmlElement {
  const el = element("ip", { family: ip.family === "ipv6" ? "ipv6" : undefined, address: ip.address, prefix: ip.prefix });
  if (ip.dhcp !== undefined) el.children.push(element("dhcp", {}, [...ip.dhcp.ranges.map(rangeElement), ...ip.dhcp.hosts.map(hostElement)]));
  return el;
}

function rangeElement(r: DhcpRange): XmlElement {
  return element("range", { start: r.start, end: r.end });
}

function hostElement(h: DhcpHost): XmlElement {
  return element("host", { mac: h.mac, id: h.id, name: h.name, ip: h.ip });
}

/** `<host mac='..' name='..' ip='..'/>` for virNetworkUpdate (section ip-dhcp-host). */
export function dhcpHostXml(host: DhcpHost): string {
  return serializeXml(hostElement(host), { compact: true });
}

/** `<range start='..' end='..'/>` for virNetworkUpdate (section ip-dhcp-range). */
export function dhcpRangeXml(range: DhcpRange): string {
  return serializeXml(rangeElement(range), { compact: true });
}

/** Reads one `<ip>`. Without prefix or netmask, IPv4 gets its classful prefix and IPv6 64, as in libvirt. */
export function readIp(el: XmlElement, where: string): NetworkIp {
  const address = attr(el, "address");
  if (address === undefined) throw new XmlError(`${where}: <ip> without address`);
  const family = attr(el, "family") === "ipv6" ? "ipv6" : "ipv4";
  const prefixAttr = attr(el, "prefix");
  const netmask = attr(el, "netmask");
  let prefix: number;
  if (prefixAttr !== undefined) prefix = parseIntStrict(prefixAttr, `${where} ip ${address} prefix`);
  else if (netmask !== undefined) prefix = netmaskToPrefix(netmask);
  else prefix = family === "ipv6" ? 64 : classfulPrefix(address);
  const ip: NetworkIp = { family, address, prefix };
  const dhcp = child(el, "dhcp");
  if (dhcp !== undefined) {
    ip.dhcp = {
      ranges: children(dhcp, "range").map((r) => ({ start: attr(r, "start") ?? "", end: attr(r, "end") ?? "" })),
      hosts: children(dhcp, "host").map(readHost),
    };
  }
  return ip;
}

function readHost(el: XmlElement): DhcpHost {
  const h: DhcpHost = {};
  const [mac, id, name, ip] = [attr(el, "mac"), attr(el, "id"), attr(el, "name"), attr(el, "ip")];
  if (mac !== undefined) h.mac = mac.toLowerCase();
  if (id !== undefined) h.id = id;
  if (name !== undefined) h.name = name;
  if (ip !== undefined) h.ip = ip;
  return h;
}

/** How `<ip>` elements are matched on update: family and canonical address. */
export function ipKey(family: string, address: string): string {
  return `${family}/${canonicalIp(address)}`;
}

/**
 * Edits one `<ip>` in place. A netmask= that already means `prefix` is kept (no needless change);
 * tftp, bootp and unknown children survive. DHCP hosts are matched by MAC, else id, else name, else ip.
 */
export function applyIp(el: XmlElement, ip: NetworkIp): void {
  if (ip.family === "ipv6") setAttr(el, "family", "ipv6");
  setAddr(el, "address", ip.address);
  // Keep netmask= (or no prefix at all) when it already means the declared prefix.
  if (readIp({ ...el, children: [] }, "network").prefix !== ip.prefix) {
    setAttr(el, "netmask", undefined);
    setAttr(el, "prefix", ip.prefix);
  }
  if (ip.dhcp === undefined) {
    removeChildren(el, "dhcp");
    return;
  }
  const dhcp = ensureChild(el, "dhcp", { after: ["tftp"] });
  syncChildren(dhcp, "range", ip.dhcp.ranges, {
    keyOf: (r) => `${canonicalIp(r.start)}-${canonicalIp(r.end)}`,
    keyOfElement: (e) => `${canonicalIp(attr(e, "start") ?? "")}-${canonicalIp(attr(e, "end") ?? "")}`,
    create: rangeElement,
    update: (e, r) => {
      setAddr(e, "start", r.start);
      setAddr(e, "end", r.end);
    },
  });
  syncChildren(dhcp, "host", ip.dhcp.hosts, {
    keyOf: hostKey,
    keyOfElement: (e) => hostKey(readHost(e)),
    create: hostElement,
    update: (e, h) => {
      const mac = attr(e, "mac");
      if (mac === undefined || h.mac === undefined || mac.toLowerCase() !== h.mac.toLowerCase()) setAttr(e, "mac", h.mac);
      setAttr(e, "id", h.id);
      setAttr(e, "name", h.name);
      setAddr(e, "ip", h.ip);
    },
    after: ["range"],
  });
}

/** Sets an address attribute unless it already holds the same address in another spelling. */
function setAddr(el: XmlElement, name: string, value: string | undefined): void {
  const cur = attr(el, name);
  if (cur !== undefined && value !== undefined && canonicalIp(cur) === canonicalIp(value)) return;
  setAttr(el, name, value);
}

function hostKey(h: DhcpHost): string {
  if (h.mac !== undefined) return `mac/${h.mac.toLowerCase()}`;
  if (h.id !== undefined) return `id/${h.id.toLowerCase()}`;
  if (h.name !== undefined) return `name/${h.name}`;
  return `ip/${canonicalIp(h.ip ?? "")}`;
}

/** IPv4 dotted netmask → prefix length. @throws XmlError for a malformed or non-contiguous mask. */
export function netmaskToPrefix(netmask: string): number {
  const p = netmaskToPrefixOr(netmask);
  if (p === undefined) throw new XmlError(`'${netmask}' is not a contiguous IPv4 netmask`);
  return p;
}

function netmaskToPrefixOr(netmask: string): number | undefined {
  const v = ipv4ToInt(netmask);
  if (v === undefined) return undefined;
  let prefix = 0;
  while (prefix < 32 && ((v >>> (31 - prefix)) & 1) === 1) prefix++;
  const contiguous = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return v === contiguous ? prefix : undefined;
}

function ipv4ToInt(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function classfulPrefix(address: string): number {
  const v = ipv4ToInt(address);
  if (v === undefined) throw new XmlError(`'${address}' is not an IPv4 address`);
  const first = v >>> 24;
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

/**
 * The text form libvirt writes an address in (RFC 5952 for IPv6: lowercase, no leading zeros, longest
 * run of zero groups as "::"). IPv4 and anything unparseable come back unchanged. Compare declared
 * addresses with this to avoid false diffs after a read.
 */
export function canonicalIp(address: string): string {
  if (!address.includes(":")) return address;
  const groups = expandIpv6(address);
  if (groups === undefined) return address;
  // v4-mapped addresses are written with a dotted tail by inet_ntop.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  }
  let bestAt = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

function expandIpv6(s: string): number[] | undefined {
  let text = s.trim().toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const n = ipv4ToInt(v4[1]);
    if (n === undefined) return undefined;
    text = `${text.slice(0, v4.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === "" ? [] : h.split(":"));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}
