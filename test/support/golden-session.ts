/**
 * The session recorded in test/fixtures/packets/: its inputs and the calls it makes, shared by the capture
 * (test/support/capture-packets.ts, against the real libvirtd) and the replay test (test/unit/libvirt/rpc/golden.test.ts,
 * against the recorded replies), so both run the very same calls with the very same arguments.
 */
import type { Libvirt } from "../../provider/libvirt/client";
import { ListDomainsFlags } from "../../provider/libvirt/constants";
import { isNotFound, LibvirtError } from "../../provider/libvirt/errors";
import type { DomainRef } from "../../provider/libvirt/protocol/types";

export const GOLDEN_DOMAIN = "pvt-golden-tiny";
/** Fixed so that a refresh changes as few bytes as it can; "676f6c64656e" is "golden". */
export const GOLDEN_UUID = "c0de0000-0000-4000-8000-676f6c64656e";
export const MISSING_DOMAIN = "pvt-golden-missing";
export const GOLDEN_XML =
  `<domain type='qemu'><name>${GOLDEN_DOMAIN}</name><uuid>${GOLDEN_UUID}</uuid>` +
  `<memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;
/** The filter of the listing: inactive persistent domains (6). */
export const LIST_FLAGS = ListDomainsFlags.INACTIVE | ListDomainsFlags.PERSISTENT;

/**
 * After the handshake (AUTH_LIST, CONNECT_OPEN, two CONNECT_SUPPORTS_FEATURE): the versions and hostname, a
 * lookup that fails with not-found, define, get info, list with a filter, undefine (also when a step failed).
 * The caller closes. Returns what the daemon said, as the fixture facts record it.
 */
export async function goldenSession(lv: Libvirt): Promise<Record<string, string>> {
  const facts: Record<string, string> = {};
  const libVer = await lv.host.getLibVersion();
  const hvVer = await lv.host.getVersion();
  const hostname = await lv.host.getHostname();
  const v = (n: number) => `${Math.floor(n / 1000000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
  facts["libvirt"] = v(libVer);
  facts["libVersion"] = String(libVer);
  facts["qemu"] = v(hvVer);
  facts["hvVersion"] = String(hvVer);
  facts["hostname"] = hostname;
  try {
    await lv.domains.lookupByName(MISSING_DOMAIN);
    throw new Error(`${MISSING_DOMAIN} exists on this host: remove it and capture again`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    facts["notFoundMessage"] = (e as LibvirtError).message;
  }
  let dom: DomainRef | null = null;
  try {
    dom = await lv.domains.defineXML(GOLDEN_XML);
    const info = await lv.domains.getInfo(dom);
    if (info.state !== 5) throw new Error(`${GOLDEN_DOMAIN} is in state ${info.state}, not shut off`);
    const listed = await lv.domains.listAll(LIST_FLAGS);
    if (!listed.some((d) => d.name === GOLDEN_DOMAIN)) throw new Error(`${GOLDEN_DOMAIN} is missing from the inactive list`);
    facts["listedDomains"] = listed.map((d) => d.name).join(" ");
    await lv.domains.undefine(dom);
    dom = null;
  } finally {
    if (dom !== null) await lv.domains.undefine(dom).catch(() => undefined);
  }
  return facts;
}
