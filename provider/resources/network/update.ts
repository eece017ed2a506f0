/**
 * The virNetworkUpdate calls that bring a network's DHCP ranges, DHCP hosts and DNS hosts to the spec, worked
 * out against its current definition (pure; index.ts runs them). What libvirt 9.0 supports, per section:
 * - ip-dhcp-host: ADD, DELETE (every attribute given must match), MODIFY (replaces the first entry whose mac,
 *   ip or name matches the new one);
 * - ip-dhcp-range and dns-host: ADD and DELETE only ("cannot be modified, only added or deleted"), so a
 *   changed entry is deleted and added again.
 * A dns-host DELETE matches on the ip or on any shared host name and fails on two matches, so it names the ip
 * only. ADD refuses an entry sharing an ip, mac or name with an existing one, so every DELETE runs first, then
 * the MODIFYs, then the ADDs.
 */
import { NetworkUpdateCommand, NetworkUpdateSection } from "../../libvirt";
import { canonicalIp, DhcpHost, DhcpRange, dhcpHostXml, dhcpRangeXml, DnsHost, dnsHostXml, NetworkState } from "../../xml";
import { Props } from "../provider";
import { familyOf } from "./model";

import type { NetworkDnsHostInput, NetworkIpInput } from "../shapes";

export interface UpdateOp {
  command: number;
  section: number;
  /** Index of the `<ip>` element in document order (counting every family), -1 for DNS. */
  parentIndex: number;
  xml: string;
}

/** Which live sections a plan touches: the addresses whose DHCP changed (canonical), and the DNS hosts. */
export interface Touched {
  ips: string[];
  dns: boolean;
}

const COMMANDS: Record<number, string> = { 1: "modify", 2: "delete", 3: "add-last", 4: "add-first" };
const SECTIONS: Record<number, string> = { 4: "ip-dhcp-host", 5: "ip-dhcp-range", 10: "dns-host" };

/** As virsh would write it: `add-last ip-dhcp-host <host .../>`. */
export function describeOp(op: UpdateOp): string {
  return `${COMMANDS[op.command] ?? op.command} ${SECTIONS[op.section] ?? op.section}${op.parentIndex >= 0 ? ` (ip ${op.parentIndex})` : ""} ${op.xml}`;
}

/** The live sections named by a plan's change paths (`ips[10.0.0.1].dhcp.hosts`, `dnsHosts[...]...`). */
export function touchedSections(paths: string[]): Touched {
  const ips = new Set<string>();
  let dns = false;
  for (const p of paths) {
    if (p.startsWith("dnsHosts")) dns = true;
    else if (p.startsWith("ips[")) {
      const close = p.indexOf("]");
      if (p.slice(close + 1).startsWith(".dhcp")) ips.add(canonicalIp(p.slice(4, close)));
    }
  }
  return { ips: [...ips], dns };
}

const key = (address: string): string => `${familyOf(address)}/${canonicalIp(address)}`;
const hostKey = (h: DhcpHost): string => canonicalIp(h.ip ?? "");
const rangeKey = (r: DhcpRange): string => `${canonicalIp(r.start)}-${canonicalIp(r.end)}`;
const sameHost = (a: DhcpHost, b: DhcpHost): boolean => a.mac === b.mac && a.id === b.id && a.name === b.name && hostKey(a) === hostKey(b);
/** Whether libvirt's MODIFY/ADD would take `x` for `w` (by mac, ip or name; id too, to be safe). */
const clashes = (x: DhcpHost, w: DhcpHost): boolean =>
  (w.mac !== undefined && x.mac === w.mac) || hostKey(x) === hostKey(w) || (w.name !== undefined && x.name === w.name) || (w.id !== undefined && x.id === w.id);

function toHost(h: { mac?: string; id?: string; name?: string; ip: string }): DhcpHost {
  const o: DhcpHost = {};
  if (h.mac !== undefined) o.mac = h.mac.toLowerCase();
  if (h.id !== undefined) o.id = h.id;
  if (h.name !== undefined) o.name = h.name;
  o.ip = h.ip;
  return o;
}

/**
 * The calls, in the order to run them, that turn `current` (the parsed definition) into `desired` (checked
 * inputs) in the touched sections only. Entries found in those sections but not declared are deleted.
 * @throws Error when a touched address is not on the network (a change of addresses replaces it instead).
 */
export function updateOps(current: NetworkState, desired: Props, touched: Touched): UpdateOp[] {
  const deletes: UpdateOp[] = [];
  const modifies: UpdateOp[] = [];
  const adds: UpdateOp[] = [];
  const op = (command: number, section: number, parentIndex: number, xml: string): UpdateOp => ({ command, section, parentIndex, xml });
  const { DELETE, MODIFY, ADD_LAST } = NetworkUpdateCommand;
  const { IP_DHCP_HOST, IP_DHCP_RANGE, DNS_HOST } = NetworkUpdateSection;
  const curIps = current.ips ?? [];
  const wantIps = (desired["ips"] as NetworkIpInput[] | undefined) ?? [];

  for (const address of touched.ips) {
    const idx = curIps.findIndex((ip) => key(ip.address) === key(address));
    const want = wantIps.find((ip) => key(ip.address) === key(address));
    if (idx < 0 || want === undefined)
      throw new Error(`address ${address} is not on the network both before and after; a change of addresses replaces the network`);
    const cur = curIps[idx]!;

    const curRanges = cur.dhcp?.ranges ?? [];
    const wantRanges = want.dhcp?.ranges ?? [];
    for (const r of curRanges) if (!wantRanges.some((w) => rangeKey(w) === rangeKey(r))) deletes.push(op(DELETE, IP_DHCP_RANGE, idx, dhcpRangeXml(r)));
    for (const w of wantRanges) if (!curRanges.some((r) => rangeKey(r) === rangeKey(w))) adds.push(op(ADD_LAST, IP_DHCP_RANGE, idx, dhcpRangeXml(w)));

    // `live` follows libvirt's host list through the calls, to tell when a MODIFY would hit the wrong entry.
    const curHosts = cur.dhcp?.hosts ?? [];
    const wantHosts = (want.dhcp?.hosts ?? []).map(toHost);
    let live = [...curHosts];
    for (const h of curHosts) {
      if (wantHosts.some((w) => hostKey(w) === hostKey(h))) continue;
      deletes.push(op(DELETE, IP_DHCP_HOST, idx, dhcpHostXml(h)));
      live = live.filter((x) => x !== h);
    }
    for (const w of wantHosts) {
      const h = live.find((x) => hostKey(x) === hostKey(w));
      if (h === undefined) adds.push(op(ADD_LAST, IP_DHCP_HOST, idx, dhcpHostXml(w)));
      else if (!sameHost(h, w)) {
        if (!live.some((x) => x !== h && clashes(x, w))) {
          modifies.push(op(MODIFY, IP_DHCP_HOST, idx, dhcpHostXml(w)));
          live[live.indexOf(h)] = w;
        } else {
          // Another entry still holds this mac or name (it changes too): MODIFY could hit it, so delete and re-add.
          modifies.push(op(DELETE, IP_DHCP_HOST, idx, dhcpHostXml(h)));
          live = live.filter((x) => x !== h);
          adds.push(op(ADD_LAST, IP_DHCP_HOST, idx, dhcpHostXml(w)));
        }
      }
    }
  }

  if (touched.dns) {
    const cur = current.dnsHosts ?? [];
    const want = ((desired["dnsHosts"] as NetworkDnsHostInput[] | undefined) ?? []).map((d): DnsHost => ({ ip: d.ip, hostnames: [...d.hostnames] }));
    const k = (h: DnsHost): string => canonicalIp(h.ip);
    const same = (a: DnsHost, b: DnsHost): boolean =>
      k(a) === k(b) && a.hostnames.length === b.hostnames.length && a.hostnames.every((n, i) => n === b.hostnames[i]);
    for (const h of cur) if (!want.some((w) => same(w, h))) deletes.push(op(DELETE, DNS_HOST, -1, dnsHostXml({ ip: h.ip, hostnames: [] })));
    for (const w of want) if (!cur.some((h) => same(h, w))) adds.push(op(ADD_LAST, DNS_HOST, -1, dnsHostXml(w)));
  }
  return [...deletes, ...modifies, ...adds];
}
