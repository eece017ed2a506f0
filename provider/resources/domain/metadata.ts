import { isUnknown } from "../../diff";
import { domainInputs } from "./inputs";
import type { MetadataOp } from "./ops";
import { DomainMetadataType, DomainRef, Impact, Libvirt } from "../../libvirt";
import { DomainMetadataElement, metadataPrefixProblem, metadataXmlProblem, sameMetadataXml } from "../../xml";
import type { CheckFailure, Props } from "../provider";
import type { DomainMetadataInput } from "../shapes";

/** One `metadata` input: a custom element in its own namespace. */
// An absolute URI: a scheme, a colon and something after it (RFC 3986 §4.3).
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:.+$/;
// The characters a URI may hold (RFC 3986 §2: unreserved, reserved, and % for escapes) — less `&`: libvirt
// writes the namespace into the saved config without escaping it, so `&` (like `<`) leaves a file that is not
// XML, and libvirtd drops the domain when it next reads its configs.
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$'()*+,;=%]*$/;

/** Why `uri` cannot be a metadata namespace, or undefined. */
export function metadataUriProblem(uri: string): string | undefined {
  if (!ABSOLUTE_URI.test(uri)) return `"${uri}" is not an absolute URI; use one with a scheme, e.g. "https://example.org/ns/app/1"`;
  if (uri.includes("&"))
    return `"${uri}" has "&", which libvirt stores unescaped in the domain's saved config (leaving a file that is not XML); write it as %26`;
  const bad = [...uri].find((c) => !URI_CHARS.test(c));
  if (bad !== undefined) {
    return `"${uri}" has ${JSON.stringify(bad)}, which is not a URI character (RFC 3986); percent-encode it (e.g. ${encodeURIComponent(bad) === bad ? "%" + bad.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0") : encodeURIComponent(bad)})`;
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(uri)) return `"${uri}" has a % not followed by two hex digits; write a literal % as %25`;
  return undefined;
}

/**
 * Checks the `metadata` list before anything touches the host: each uri absolute, each prefix a valid XML
 * name (and used by one namespace only), each xml one well-formed element in the form libvirt accepts.
 * Duplicate URIs are refused by the spec's keyed list. Unknown (preview) values are not judged.
 */
export function validateMetadata(p: Props): CheckFailure[] {
  const f: CheckFailure[] = [];
  const add = (property: string, reason: string) => f.push({ property, reason: `${property}: ${reason}` });
  const items = p["metadata"];
  if (!Array.isArray(items)) return f;
  const prefixes = new Map<string, number>();
  items.forEach((item: unknown, i) => {
    if (item === null || typeof item !== "object") return;
    const { uri, prefix, xml } = item as Record<string, unknown>;
    const where = `metadata[${i}]`;
    const uriProblem = typeof uri === "string" && !isUnknown(uri) ? metadataUriProblem(uri) : undefined;
    if (uriProblem !== undefined) add(`${where}.uri`, uriProblem);
    if (typeof prefix === "string" && !isUnknown(prefix)) {
      const problem = metadataPrefixProblem(prefix);
      if (problem !== undefined) add(`${where}.prefix`, problem);
      const first = prefixes.get(prefix);
      if (first !== undefined) add(`${where}.prefix`, `"${prefix}" is already the prefix of metadata[${first}]; give each namespace its own prefix`);
      else prefixes.set(prefix, i);
    }
    if (typeof xml === "string" && !isUnknown(xml)) {
      const problem = metadataXmlProblem(xml);
      if (problem !== undefined) add(`${where}.xml`, problem);
    }
  });
  return f;
}

/** The declared elements for the XML model. */
export function metadataModel(p: Props): DomainMetadataElement[] | undefined {
  const items = domainInputs(p).metadata;
  return items?.map(({ uri, prefix, xml }) => ({ uri, prefix, xml }));
}

/**
 * The declared namespaces as read back, in declared order: the declared xml when it is the same element in
 * canonical form (so an unchanged domain shows no diff), else what libvirt has. A declared namespace missing
 * from the domain is left out (it shows as to be added); namespaces not declared are never reported.
 */
export function metadataBack(actual: readonly DomainMetadataElement[], declared: readonly DomainMetadataInput[]): DomainMetadataInput[] {
  const out: DomainMetadataInput[] = [];
  for (const d of declared) {
    const a = actual.find((x) => x.uri === d.uri);
    if (a === undefined) continue;
    out.push({ uri: a.uri, prefix: a.prefix, xml: typeof d.xml === "string" && sameMetadataXml(d.xml, a.xml) ? d.xml : a.xml });
  }
  return out;
}

/**
 * Sets or removes each custom metadata namespace with virDomainSetMetadata (type ELEMENT; key = prefix,
 * uri = namespace; null metadata removes): LIVE|CONFIG on a running domain, CONFIG on a stopped one. Runs
 * after any redefinition, which keeps `<metadata>` of namespaces it does not declare as it was.
 */
export async function applyMetadataOps(lv: Libvirt, dom: DomainRef, ops: readonly MetadataOp[] | undefined, running: boolean): Promise<void> {
  const flags = running ? Impact.LIVE | Impact.CONFIG : Impact.CONFIG;
  for (const op of ops ?? []) await lv.domains.setMetadata(dom, DomainMetadataType.ELEMENT, op.xml ?? null, flags, { key: op.prefix, uri: op.uri });
}
