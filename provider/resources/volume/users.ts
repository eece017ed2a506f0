/** Which domains use a volume: named in the plan before a replacement deletes it (and its data). */
import { DomainXMLFlags, isNotFound, Libvirt } from "../../libvirt";
import { parseXml, XmlElement } from "../../xml";

const elements = (el: XmlElement | undefined, name: string): XmlElement[] =>
  (el?.children ?? []).filter((c): c is XmlElement => c.kind === "element" && c.name === name);
const attr = (el: XmlElement | undefined, name: string): string | undefined => el?.attrs.find(([k]) => k === name)?.[1];

/** Whether a domain's XML has a disk on this volume: `<source pool= volume=>`, or its path as a file or block source. */
export function usesVolume(domainXml: string, pool: string, volume: string, path: string | undefined): boolean {
  const root = parseXml(domainXml);
  for (const disk of elements(elements(root, "devices")[0], "disk")) {
    for (const s of elements(disk, "source")) {
      if (attr(s, "pool") === pool && attr(s, "volume") === volume) return true;
      if (path !== undefined && (attr(s, "file") === path || attr(s, "dev") === path)) return true;
    }
  }
  return false;
}

/**
 * The domains (defined or running) with a disk on the volume, sorted by name, each with whether it runs. Reads
 * each domain's saved config (a transient one's live XML); a domain that goes meanwhile is skipped.
 */
export async function volumeUsers(lv: Libvirt, pool: string, volume: string, path: string | undefined): Promise<{ name: string; running: boolean }[]> {
  const doms = await lv.domains.listAll(0);
  const found = await Promise.all(
    doms.map(async (d) => {
      try {
        const [xml, running] = await Promise.all([lv.domains.getXMLDesc(d, DomainXMLFlags.INACTIVE), lv.domains.isActive(d)]);
        return usesVolume(xml, pool, volume, path) ? { name: d.name, running } : undefined;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }),
  );
  return found.filter((x): x is { name: string; running: boolean } => x !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}
