/**
 * Extra devices: raw device XML the user gives (a hostdev, a watchdog, a USB tablet, ...), the escape hatch
 * for every device the typed model does not cover. A snippet is matched against the domain's devices by
 * containment: an element matches when it has the snippet's name, every attribute of the snippet with the
 * same value, the same text, and (recursively) a match for every child element of the snippet. So a snippet
 * still matches after libvirt added `<alias>`, `<address>` or defaults to it — but not after libvirt
 * rewrote a value (write snippets the way libvirt writes them back).
 */
import { XmlElement, XmlError, parseXml, serializeXml } from "../../document";
import { attr, text } from "../../tree";
import { elementChildren } from "../util";

/** Parses one snippet: a single device element, e.g. `<watchdog model='i6300esb' action='reset'/>`. */
export function parseSnippet(xml: string, where: string): XmlElement {
  let el: XmlElement;
  try {
    el = parseXml(xml);
  } catch (e) {
    throw new XmlError(`${where}: ${(e as Error).message}`, { cause: e });
  }
  if (el.name === "domain" || el.name === "devices") throw new XmlError(`${where}: expected one device element, got <${el.name}>`);
  return el;
}

/** The snippet as one line, as we keep and compare it: attribute order and values as given, no indentation. */
export function canonicalDeviceXml(xml: string): string {
  return serializeXml(parseSnippet(xml, "device XML"), { compact: true });
}

/** Whether `el` contains everything `snippet` says (see the module comment). */
export function snippetMatches(snippet: XmlElement, el: XmlElement): boolean {
  if (snippet.name !== el.name) return false;
  for (const [k, v] of snippet.attrs) if (attr(el, k) !== v) return false;
  const t = text(snippet);
  if (t !== undefined && t !== text(el)) return false;
  const used = new Set<XmlElement>();
  for (const sc of elementChildren(snippet)) {
    const m = elementChildren(el).find((c) => !used.has(c) && snippetMatches(sc, c));
    if (m === undefined) return false;
    used.add(m);
  }
  return true;
}

/**
 * Pairs snippets with elements: each snippet takes the first element it matches that no earlier snippet
 * took. Returns, per snippet, the element it matched (or undefined).
 */
export function matchSnippets(snippets: readonly XmlElement[], els: readonly XmlElement[]): (XmlElement | undefined)[] {
  const taken = new Set<XmlElement>();
  return snippets.map((s) => {
    const m = els.find((e) => !taken.has(e) && snippetMatches(s, e));
    if (m !== undefined) taken.add(m);
    return m;
  });
}

/** Whether a device snippet (e.g. a declared extra) is satisfied by a device read back (e.g. from parse). */
export function extraDeviceMatches(declared: string, actual: string): boolean {
  return snippetMatches(parseSnippet(declared, "declared device"), parseSnippet(actual, "actual device"));
}
