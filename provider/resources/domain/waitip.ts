import { DomainRef, InterfaceAddresses, InterfaceAddressesSource, IPAddrType, Libvirt, LibvirtError, TimeoutError } from "../../libvirt";
import { domainInputs } from "./inputs";
import { defaultOf } from "../../diff";
import { clock } from "../clock";
import type { CheckFailure, Props } from "../provider";

import { domainSpec } from "./spec";
import type { DomainNicInput } from "../shapes";
import type { DomainWaitForIpInput } from "../shapes";

export type IpSource = NonNullable<DomainWaitForIpInput["source"]>;

/** One entry of the `addresses` output. */
export interface NicAddresses {
  mac: string;
  network?: string;
  ips: string[];
}

const SOURCE_CODE: Record<IpSource, number> = {
  lease: InterfaceAddressesSource.LEASE,
  agent: InterfaceAddressesSource.AGENT,
  arp: InterfaceAddressesSource.ARP,
};

/** The declared `waitForIp`, or undefined when absent (or not known yet). */
export function waitSpec(p: Props): { source: IpSource; timeout: number } | undefined {
  const w = p["waitForIp"];
  if (w === null || typeof w !== "object" || Array.isArray(w)) return undefined;
  const x = w as DomainWaitForIpInput;
  const source = typeof x.source === "string" && x.source in SOURCE_CODE ? x.source : "lease";
  const timeout = typeof x.timeout === "number" ? x.timeout : 300;
  return { source, timeout };
}

/** The NICs that must get an address: for lease those on a libvirt network (libvirt only knows its own DHCP leases); else all. */
export function nicsToWaitFor(p: Props, source: IpSource): DomainNicInput[] {
  const nics = (domainInputs(p).networkInterfaces ?? []).filter((n) => typeof n.mac === "string");
  return source === "lease" ? nics.filter((n) => typeof n.network === "string") : nics;
}

/** Check-time rules for `waitForIp` (cross-field). */
export function validateWaitForIp(p: Props): CheckFailure[] {
  const w = p["waitForIp"];
  if (w === null || typeof w !== "object" || Array.isArray(w)) return [];
  const source = (w as DomainWaitForIpInput).source ?? (defaultOf(domainSpec.inputs, "waitForIp.source") as string);
  const f: CheckFailure[] = [];
  const add = (reason: string) => f.push({ property: "waitForIp.source", reason: `waitForIp.source: ${reason}` });
  const nics = domainInputs(p).networkInterfaces ?? [];
  if (source === "lease") {
    const hostAttached = nics
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => n.bridge !== undefined || n.direct !== undefined)
      .map(({ n, i }) => `networkInterfaces[${i}] (${n.bridge !== undefined ? `bridge ${String(n.bridge)}` : `direct ${String(n.direct?.dev)}`})`);
    if (hostAttached.length > 0) {
      add(
        `"lease" cannot wait for ${hostAttached.join(", ")}: libvirt only knows the DHCP leases of its own networks, and an address ` +
          `on a host bridge or macvtap comes from a DHCP server libvirt does not see; use source "agent" (with guestAgent: true and ` +
          `qemu-guest-agent running in the guest) or "arp" (the host's ARP table), or attach the NIC to a libvirt network`,
      );
    }
  } else if (source === "agent" && p["guestAgent"] !== true) {
    add(
      `"agent" asks the QEMU guest agent for the addresses, but the domain has no agent channel; set guestAgent: true (and run qemu-guest-agent in the guest), or use source "lease" or "arp"`,
    );
  }
  return f;
}

/** The addresses of `nics` from one interfaceAddresses answer, in the NICs' order, matched by MAC. */
export function matchAddresses(nics: DomainNicInput[], ifaces: InterfaceAddresses[]): NicAddresses[] {
  return nics.map((n) => {
    const mac = String(n.mac).toLowerCase();
    const addrs = ifaces.filter((i) => (i.hwaddr ?? "").toLowerCase() === mac).flatMap((i) => i.addrs);
    // IPv4 first, then IPv6; each address once.
    const ips = [...new Set([...addrs.filter((a) => a.type === IPAddrType.IPV4), ...addrs.filter((a) => a.type !== IPAddrType.IPV4)].map((a) => a.addr))];
    return { mac, ...(n.network !== undefined ? { network: n.network } : {}), ips };
  });
}

const hasIpv4 = (ips: string[]) => ips.some((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));

/** One interfaceAddresses call, no waiting (refresh). Errors (no agent yet, ARP unavailable) give empty lists. */
export async function currentAddresses(lv: Libvirt, dom: DomainRef, p: Props): Promise<NicAddresses[] | undefined> {
  const w = waitSpec(p);
  if (w === undefined) return undefined;
  const nics = nicsToWaitFor(p, w.source);
  let ifaces: InterfaceAddresses[] = [];
  try {
    ifaces = await lv.domains.interfaceAddresses(dom, SOURCE_CODE[w.source]);
  } catch (e) {
    if (!(e instanceof LibvirtError)) throw e;
  }
  return matchAddresses(nics, ifaces);
}

export interface WaitOptions {
  /** Poll interval, ms. Default 1000. */
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A NIC got no address in time; names the domain, the NIC and what to check. */
export class WaitForIpTimeout extends TimeoutError {
  constructor(
    message: string,
    readonly addresses: NicAddresses[],
  ) {
    super(message);
    this.name = "WaitForIpTimeout";
  }
}

function advice(source: IpSource, network: string | undefined): string {
  switch (source) {
    case "lease":
      return `check that the guest runs a DHCP client on that interface and that network ${network ?? "(its network)"} has DHCP (<ip><dhcp><range .../></dhcp></ip>); \`virsh net-dhcp-leases ${network ?? "NETWORK"}\` shows what libvirt knows`;
    case "agent":
      return "check that qemu-guest-agent runs in the guest and that the interface is configured there";
    case "arp":
      return "check that the guest configured the interface and has sent traffic the host could see (ARP only knows hosts that talked)";
  }
}

/**
 * Polls interfaceAddresses(dom, source) until every NIC to wait for has an IPv4 address, and returns the
 * addresses of those NICs. Transient libvirt errors (agent not up yet) count as "no address yet"; the last one is
 * quoted in the timeout error.
 */
export async function waitForAddresses(lv: Libvirt, dom: DomainRef, p: Props, who: string, opts: WaitOptions = {}): Promise<NicAddresses[] | undefined> {
  const w = waitSpec(p);
  if (w === undefined) return undefined;
  const now = opts.now ?? (() => clock().now());
  const sleep = opts.sleep ?? ((ms: number) => clock().sleep(ms));
  const interval = opts.intervalMs ?? 1000;
  const nics = nicsToWaitFor(p, w.source);
  const start = now();
  const deadline = start + w.timeout * 1000;
  let lastError: string | undefined;
  for (;;) {
    let ifaces: InterfaceAddresses[] = [];
    try {
      ifaces = await lv.domains.interfaceAddresses(dom, SOURCE_CODE[w.source]);
      lastError = undefined;
    } catch (e) {
      if (!(e instanceof LibvirtError)) throw e;
      lastError = e.message;
    }
    const got = matchAddresses(nics, ifaces);
    const missing = got.find((a) => !hasIpv4(a.ips));
    if (missing === undefined) return got;
    if (now() >= deadline) {
      const waited = Math.round((now() - start) / 1000);
      const where = missing.network !== undefined ? ` on network ${missing.network}` : "";
      throw new WaitForIpTimeout(
        `${who}: waitForIp: the interface with MAC ${missing.mac}${where} has no IPv4 address from source "${w.source}" after ${waited} s ` +
          `(timeout ${w.timeout} s)${lastError !== undefined ? `; libvirt said: ${lastError}` : ""}; ${advice(w.source, missing.network)}. ` +
          `The domain was created and keeps running.`,
        got,
      );
    }
    await sleep(Math.max(0, Math.min(interval, deadline - now())));
  }
}
