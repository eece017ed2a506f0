/** virt:Network inputs ↔ the XML model (provider/xml/network.ts). Pure. */
import { canonicalIp, DhcpHost, Network, NetworkIp, NetworkMode, NetworkState } from "../../xml";
import { Props } from "../provider";
import { ipVersion } from "../ip";

import type { DhcpRangeInput, NetworkBridgeInput, NetworkDnsHostInput, NetworkIpInput } from "../shapes";

/** `{ ...o }` without the keys whose value is undefined (JSON state drops them anyway). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function familyOf(address: string): "ipv4" | "ipv6" {
  return ipVersion(address) === 6 ? "ipv6" : "ipv4";
}

function ipModel(ip: NetworkIpInput): NetworkIp {
  const m: NetworkIp = { family: ip.family ?? familyOf(ip.address), address: ip.address, prefix: ip.prefix };
  const ranges = ip.dhcp?.ranges ?? [];
  const hosts = ip.dhcp?.hosts ?? [];
  if (ranges.length + hosts.length > 0)
    m.dhcp = {
      ranges: ranges.map((r) => ({ start: r.start, end: r.end })),
      hosts: hosts.map((h) => defined<DhcpHost>({ mac: h.mac, id: h.id, name: h.name, ip: h.ip })),
    };
  return m;
}

/** The XML model from the resource's (checked) inputs. */
export function toModel(p: Props): Network {
  const name = p["name"] as string;
  const bridge = p["bridge"] as NetworkBridgeInput | undefined;
  const domain = p["domain"] as { name: string; localOnly?: boolean } | undefined;
  const ips = (p["ips"] as NetworkIpInput[] | undefined) ?? [];
  const dnsHosts = (p["dnsHosts"] as NetworkDnsHostInput[] | undefined) ?? [];
  const common = {
    name,
    ...(p["mtu"] !== undefined ? { mtu: p["mtu"] as number } : {}),
    ...(domain !== undefined ? { domain: defined({ name: domain.name, localOnly: domain.localOnly }) } : {}),
    ...(dnsHosts.length > 0 ? { dnsHosts: dnsHosts.map((d) => ({ ip: d.ip, hostnames: [...d.hostnames] })) } : {}),
    ...(ips.length > 0 ? { ips: ips.map(ipModel) } : {}),
  };
  const mode = (p["mode"] as NetworkMode | undefined) ?? "nat";
  if (mode === "bridge") return { ...common, mode, bridge: { name: bridge!.name! } };
  return { ...common, mode, ...(bridge !== undefined ? { bridge: defined({ name: bridge.name, stp: bridge.stp, delay: bridge.delay }) } : {}) };
}

const ipKey = (address: string): string => `${familyOf(address)}/${canonicalIp(address)}`;

function readHost(h: DhcpHost): Props {
  return defined({ mac: h.mac, id: h.id, name: h.name, ip: h.ip === undefined ? undefined : canonicalIp(h.ip) });
}

/**
 * The network as read back (its inactive XML, parsed), in the input shape. What libvirt fills in by itself —
 * the bridge's name, stp and delay, an address's family — is reported only where the user declared it, so an
 * unchanged network shows no diff; where declared, libvirt's actual value is reported, so drift shows. Lists
 * the user owns (addresses, DHCP ranges and hosts, DNS hosts) are reported whole: an entry added behind our
 * back shows. Addresses come back in libvirt's canonical text form, as check writes them.
 */
export function readBack(m: NetworkState, declared: Props): Props {
  const out: Props = { name: m.name, mode: m.mode };
  const dBridge = declared["bridge"] as NetworkBridgeInput | undefined;
  if (m.mode === "bridge") out["bridge"] = { name: m.bridge.name };
  else if (dBridge !== undefined) {
    const b: Props = {};
    for (const k of Object.keys(dBridge) as (keyof NetworkBridgeInput)[]) {
      const v = m.bridge?.[k];
      if (dBridge[k] !== undefined && v !== undefined) b[k] = v;
    }
    out["bridge"] = b;
  }
  if (m.mtu !== undefined) out["mtu"] = m.mtu;
  if (m.domain !== undefined) out["domain"] = { ...m.domain };

  const dIps = Array.isArray(declared["ips"]) ? (declared["ips"] as NetworkIpInput[]) : undefined;
  if ((m.ips ?? []).length > 0 || dIps !== undefined) {
    const byKey = new Map((dIps ?? []).filter((d) => typeof d?.address === "string").map((d) => [ipKey(d.address), d]));
    out["ips"] = (m.ips ?? []).map((ip) => {
      const d = byKey.get(ipKey(ip.address));
      const o: Props = { address: canonicalIp(ip.address), prefix: ip.prefix };
      if (d?.family !== undefined) o["family"] = ip.family;
      const ranges = ip.dhcp?.ranges ?? [];
      const hosts = ip.dhcp?.hosts ?? [];
      if (d?.dhcp !== undefined || ranges.length + hosts.length > 0) {
        o["dhcp"] = {
          ranges: ranges.map((r): DhcpRangeInput => ({ start: canonicalIp(r.start), end: canonicalIp(r.end) })),
          hosts: hosts.map(readHost),
        };
      }
      return o;
    });
  }

  const dDns = declared["dnsHosts"];
  if ((m.dnsHosts ?? []).length > 0 || Array.isArray(dDns)) {
    out["dnsHosts"] = (m.dnsHosts ?? []).map((h): NetworkDnsHostInput => ({ ip: canonicalIp(h.ip), hostnames: [...h.hostnames] }));
  }
  return out;
}
