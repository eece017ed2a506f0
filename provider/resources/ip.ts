/**
 * IP address handling for checks (no sockets: node:net's isIP and BlockList only). Which strings are addresses and
 * subnet membership come from Node; the numeric forms (IPv4 as a 32-bit number, IPv6 as a bigint) are ours, for
 * the arithmetic Node has no call for (a subnet's first and last address, ordering).
 */
import { BlockList, isIP } from "node:net";

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith("0")) return undefined; // no octal-looking parts
    const b = Number(part);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

export function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return undefined;
  let head = s;
  let tail4: number | undefined;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    head = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] | undefined => (part === "" ? [] : part.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...left, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== undefined) n = (n & ~0xffffffffn) | BigInt(tail4);
  return n;
}

/** 4, 6, or 0 when `s` is not an IP address (`net.isIP`, without IPv6 zone ids: libvirt takes none here). */
export function ipVersion(s: string): 0 | 4 | 6 {
  return s.includes("%") ? 0 : (isIP(s) as 0 | 4 | 6);
}

/** Whether `ip` is inside `network/prefix` (same family; `net.BlockList`). */
export function inSubnet(ip: string, network: string, prefix: number): boolean {
  const v = ipVersion(network);
  if (v === 0 || ipVersion(ip) !== v) return false;
  const family = v === 4 ? "ipv4" : "ipv6";
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return list.check(ip, family);
}

/** Orders two addresses of one family: negative when a < b. */
export function compareIp(a: string, b: string): number {
  if (ipVersion(a) === 4) return parseIPv4(a)! - parseIPv4(b)!;
  const x = parseIPv6(a)!;
  const y = parseIPv6(b)!;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** An IPv4 netmask such as 255.255.255.0 as a prefix length (24), or undefined if not contiguous. */
export function netmaskToPrefix(mask: string): number | undefined {
  const n = parseIPv4(mask);
  if (n === undefined) return undefined;
  const bits = n.toString(2).padStart(32, "0");
  return /^1*0*$/.test(bits) ? (bits.indexOf("0") === -1 ? 32 : bits.indexOf("0")) : undefined;
}
