/**
 * `<metadata>`: custom elements, one per namespace, as virDomainSetMetadata (type ELEMENT) keeps them.
 *
 * The user gives an element without a namespace (`<app><owner>ops</owner></app>`) plus a URI and a prefix;
 * libvirt puts every element of the snippet that has no namespace into that one and writes it back as
 * `<app:app xmlns:app="URI"><app:owner>ops</app:owner></app:app>`, keeping whitespace between elements
 * and elements of other namespaces as given. Comparison is in the user's form (namespace prefix and its
 * declaration stripped, whitespace between elements dropped, one line): the canonical form below.
 */
import { XmlElement, XmlError, XmlNode, parseXml, serializeXml } from "../document";
import { attr, child, ensureChild, insertChild } from "../tree";
import { elementChildren } from "./util";

/** One custom metadata element, in the user's form. */
export interface DomainMetadataElement {
  /** Namespace URI: identifies the element (virDomainGetMetadata/SetMetadata `uri`). */
  uri: string;
  /** Namespace prefix libvirt writes it with (virDomainSetMetadata `key`). */
  prefix: string;
  /** The element, without namespace prefix or declaration for its own namespace. */
  xml: string;
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/** Why `prefix` cannot be a namespace prefix (libvirt checks it with xmlValidateNCName), or undefined. */
export function metadataPrefixProblem(prefix: string): string | undefined {
  if (!NCNAME.test(prefix)) return `"${prefix}" is not an XML name without a colon: use letters, digits and _ . - (not starting with a digit, . or -)`;
  if (/^xml/i.test(prefix)) return `"${prefix}" is reserved (names starting with "xml" belong to XML itself); choose another prefix`;
  return undefined;
}

/**
 * Why `xml` cannot be a metadata element, or undefined: it must be one well-formed element, written without
 * a namespace prefix or declaration on its root (libvirt gives it the namespace; "failed to create a new XML
 * namespace" otherwise), and every prefix used inside must be declared inside.
 */
export function metadataXmlProblem(xml: string): string | undefined {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    return `is not one well-formed XML element (${(e as Error).message}); give a single element such as <app><owner>ops</owner></app>`;
  }
  if (root.name.includes(":"))
    return `<${root.name}>: write the element without a namespace prefix (<${root.name.split(":")[1]}>): the namespace comes from uri and prefix`;
  const decl = root.attrs.find(([n]) => n === "xmlns" || n.startsWith("xmlns:"));
  if (decl !== undefined) return `remove ${decl[0]}="${decl[1]}" from <${root.name}>: the namespace comes from uri and prefix`;
  return undeclaredPrefix(root, new Set(["xml"]));
}

function undeclaredPrefix(el: XmlElement, declared: Set<string>): string | undefined {
  const scope = new Set(declared);
  for (const [n] of el.attrs) if (n.startsWith("xmlns:")) scope.add(n.slice(6));
  for (const name of [el.name, ...el.attrs.map(([n]) => n).filter((n) => n !== "xmlns" && !n.startsWith("xmlns:"))]) {
    const i = name.indexOf(":");
    if (i > 0 && !scope.has(name.slice(0, i)))
      return `the prefix "${name.slice(0, i)}" of ${name} is not declared; add xmlns:${name.slice(0, i)}="..." or drop the prefix`;
  }
  for (const c of elementChildren(el)) {
    const p = undeclaredPrefix(c, scope);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** The canonical (comparable) form of a user's element. @throws XmlError if it is not well-formed. */
export function canonicalMetadataXml(xml: string): string {
  return serializeXml(parseXml(xml), { compact: true });
}

/** Whether a declared element and one read back (already canonical, see parseMetadata) are the same. */
export function sameMetadataXml(declared: string, actual: string): boolean {
  try {
    return canonicalMetadataXml(declared) === actual;
  } catch {
    return false;
  }
}

/**
 * The namespaced elements of `<metadata>` in the user's form (xml canonical). Elements whose namespace
 * cannot be resolved (no declaration) are skipped: no URI identifies them.
 */
export function parseMetadata(domain: XmlElement): DomainMetadataElement[] {
  const meta = child(domain, "metadata");
  if (meta === undefined) return [];
  const out: DomainMetadataElement[] = [];
  for (const el of elementChildren(meta)) {
    const i = el.name.indexOf(":");
    const prefix = i > 0 ? el.name.slice(0, i) : "";
    const uri = namespaceOf(domain, meta, el);
    if (uri === undefined || uri === "") continue;
    out.push({ uri, prefix, xml: serializeXml(prefix === "" ? withoutDefaultNs(el) : stripPrefix(el, prefix, uri), { compact: true }) });
  }
  return out;
}

/** The element with `prefix:` taken off the names in its namespace and that namespace's declaration dropped. */
function stripPrefix(el: XmlElement, prefix: string, uri: string): XmlElement {
  const decl = attrValue(el, `xmlns:${prefix}`);
  // A descendant re-declaring the prefix for another namespace starts a scope that is not ours.
  if (decl !== undefined && decl !== uri) return el;
  const strip = (n: XmlNode): XmlNode => {
    if (n.kind !== "element") return n;
    const d = attrValue(n, `xmlns:${prefix}`);
    if (d !== undefined && d !== uri) return n;
    return {
      kind: "element",
      name: n.name.startsWith(`${prefix}:`) ? n.name.slice(prefix.length + 1) : n.name,
      attrs: n.attrs.filter(([a]) => a !== `xmlns:${prefix}`),
      children: n.children.map(strip),
    };
  };
  return strip(el) as XmlElement;
}

/** An element in a default namespace (`<app xmlns="URI">`, written by hand): its declaration dropped. */
function withoutDefaultNs(el: XmlElement): XmlElement {
  return { ...el, attrs: el.attrs.filter(([a]) => a !== "xmlns") };
}

function attrValue(el: XmlElement, name: string): string | undefined {
  return el.attrs.find(([a]) => a === name)?.[1];
}

/**
 * The element as libvirt stores it: every element without a prefix (outside a nested default-namespace
 * scope, as libvirt 9.0 does it) gets `prefix:`, and the root declares `xmlns:prefix`.
 * @throws XmlError if the snippet is not well-formed or not one element in the user's form.
 */
export function buildMetadataElement(m: DomainMetadataElement): XmlElement {
  const problem = metadataXmlProblem(m.xml);
  if (problem !== undefined) throw new XmlError(`metadata ${m.uri}: ${problem}`);
  // Like libvirt: elements inside another prefix's element are still ours; a default-namespace scope is not.
  const add = (n: XmlNode): XmlNode => {
    if (n.kind !== "element" || attrValue(n, "xmlns") !== undefined) return n;
    return { kind: "element", name: n.name.includes(":") ? n.name : `${m.prefix}:${n.name}`, attrs: n.attrs, children: n.children.map(add) };
  };
  const root = add(parseXml(m.xml)) as XmlElement;
  return { ...root, attrs: [[`xmlns:${m.prefix}`, m.uri], ...root.attrs] };
}

/** `<metadata>` for a new domain, or undefined when there is nothing to put in it. */
export function buildMetadata(items: readonly DomainMetadataElement[] | undefined): XmlElement | undefined {
  if (items === undefined || items.length === 0) return undefined;
  return { kind: "element", name: "metadata", attrs: [], children: items.map(buildMetadataElement) };
}

/**
 * Sets the declared elements in `<metadata>`: each replaces the element of its namespace where that stands,
 * or is added at the end. Elements of other namespaces are kept untouched; removing one of ours is
 * virDomainSetMetadata's job (the update knows which namespaces were ours before).
 */
export function applyMetadata(domain: XmlElement, items: readonly DomainMetadataElement[], after: readonly string[]): void {
  if (items.length === 0) return;
  const meta = ensureChild(domain, "metadata", { after });
  for (const item of items) {
    const built = buildMetadataElement(item);
    const at = meta.children.findIndex((c) => c.kind === "element" && namespaceOf(domain, meta, c) === item.uri);
    if (at >= 0) meta.children[at] = built;
    else insertChild(meta, built);
  }
}

/** The namespace URI of `el`, a child of `<metadata>`, from the nearest declaration of its prefix. */
function namespaceOf(domain: XmlElement, meta: XmlElement, el: XmlElement): string | undefined {
  const i = el.name.indexOf(":");
  const decl = i > 0 ? `xmlns:${el.name.slice(0, i)}` : "xmlns";
  return attr(el, decl) ?? attr(meta, decl) ?? attr(domain, decl);
}
