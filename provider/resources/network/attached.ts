/** Which running domains use a network: named in the plan before a replacement disconnects them. */
import { isNotFound, Libvirt, ListDomainsFlags } from "../../libvirt";
import { parseXml, XmlElement } from "../../xml";

const elements = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c): c is XmlElement => c.kind === "element" && c.name === name);
const attr = (el: XmlElement, name: string): string | undefined => el.attrs.find(([k]) => k === name)?.[1];

/** Whether a domain's XML has an `<interface type='network'>` whose `<source network=...>` is `network`. */
export function usesNetwork(domainXml: string, network: string): boolean {
  const root = parseXml(domainXml);
  for (const devices of elements(root, "devices")) {
    for (const iface of elements(devices, "interface")) {
      if (attr(iface, "type") !== "network") continue;
      if (elements(iface, "source").some((s) => attr(s, "network") === network)) return true;
    }
  }
  return false;
}

/**
 * The names of the running domains with an interface on `networkName`, sorted. Reads each running domain's
 * live XML; a domain that stops meanwhile is skipped.
 */
export async function attachedDomains(lv: Libvirt, networkName: string): Promise<string[]> {
  const doms = await lv.domains.listAll(ListDomainsFlags.ACTIVE);
  const found = await Promise.all(
    doms.map(async (d) => {
      try {
        return usesNetwork(await lv.domains.getXMLDesc(d, 0), networkName) ? d.name : undefined;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }),
  );
  return found.filter((n): n is string => n !== undefined).sort();
}
