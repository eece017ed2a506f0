/**
 * The one adapter between libvirt's XML text and our own small tree. Nothing else imports the XML library.
 *
 * Parsing keeps what an update must carry through untouched: element order, attribute order, text, comments
 * and CDATA. Whitespace-only text between elements is dropped (it is indentation; the serializer writes its
 * own), so `<source>\n  </source>` comes back as `<source/>`, as libvirt itself would accept it.
 * The XML declaration and anything outside the root element (libvirt writes neither) are not kept.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

/** An element: name as written (namespace prefix included), attributes in document order, children. */
export interface XmlElement {
  kind: "element";
  name: string;
  attrs: [string, string][];
  children: XmlNode[];
}
/** Character data, entities already decoded. */
export interface XmlText {
  kind: "text";
  text: string;
}
/** A CDATA section (kept as CDATA so a round trip writes it back the same way). */
export interface XmlCData {
  kind: "cdata";
  text: string;
}
/** A comment; `text` is what stands between `<!--` and `-->`. */
export interface XmlComment {
  kind: "comment";
  text: string;
}
/** Any node of the tree. */
export type XmlNode = XmlElement | XmlText | XmlCData | XmlComment;

/** Malformed XML, XML that is not the document we expected, or a value that cannot be written as XML. */
export class XmlError extends Error {
  readonly code: string = "XML_ERROR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "XmlError";
  }
}

// preserveOrder yields [{ tagName: [children], ":@": {attr: value} }, { "#text": "..." }, ...].
// Entities are decoded by us (processEntities: false): the library leaves numeric references (&#10;)
// undecoded, and an unknown entity must be an error rather than text.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  allowBooleanAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: "#comment",
  cdataPropName: "#cdata",
  textNodeName: "#text",
});

type Raw = Record<string, unknown>;

/**
 * Parses one XML document and returns its root element.
 * @throws XmlError naming the problem (and line/column where known) for malformed input, no root element,
 *   more than one root, a DOCTYPE, or an unknown entity.
 */
export function parseXml(text: string): XmlElement {
  if (typeof text !== "string") throw new XmlError(`expected XML text, got ${typeof text}`);
  if (/<!DOCTYPE/i.test(text)) throw new XmlError("XML with a DOCTYPE is not accepted (libvirt never sends one)");
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const where = line !== undefined ? ` at line ${line}${col !== undefined ? `, column ${col}` : ""}` : "";
    throw new XmlError(`malformed XML${where}: ${msg}`);
  }
  // The library drops text after the root element silently; XML allows only whitespace there.
  if (text.slice(text.lastIndexOf(">") + 1).trim() !== "") throw new XmlError("malformed XML: text after the root element");
  let raw: Raw[];
  try {
    raw = parser.parse(text) as Raw[];
  } catch (e) {
    throw new XmlError(`malformed XML: ${(e as Error).message}`, { cause: e });
  }
  const roots: XmlElement[] = [];
  for (const item of raw) {
    const node = convert(item);
    if (node?.kind === "element") roots.push(node);
    else if (node?.kind === "text" || node?.kind === "cdata") throw new XmlError("malformed XML: text outside the root element");
  }
  if (roots.length === 0) throw new XmlError("malformed XML: no root element");
  if (roots.length > 1) throw new XmlError(`malformed XML: ${roots.length} root elements (<${roots[0].name}>, <${roots[1].name}>)`);
  return roots[0];
}

function convert(item: Raw): XmlNode | undefined {
  const key = Object.keys(item).find((k) => k !== ":@");
  if (key === undefined) return undefined;
  const value = item[key];
  if (key === "#text") {
    const t = decode(String(value));
    return t.trim() === "" ? undefined : { kind: "text", text: t };
  }
  if (key === "#comment") return { kind: "comment", text: joinRaw(value) };
  if (key === "#cdata") return { kind: "cdata", text: joinRaw(value) };
  const attrs: [string, string][] = [];
  const rawAttrs = item[":@"] as Record<string, unknown> | undefined;
  if (rawAttrs !== undefined) {
    for (const [name, v] of Object.entries(rawAttrs)) attrs.push([name, decode(String(v).replace(/[\t\n\r]/g, " "))]);
  }
  const children: XmlNode[] = [];
  for (const c of value as Raw[]) {
    const node = convert(c);
    if (node !== undefined) children.push(node);
  }
  // A whitespace-only text that is an element's sole content is content, not indentation: keep it.
  if (children.length === 0 && (value as Raw[]).length === 1 && "#text" in (value as Raw[])[0]) {
    const t = decode(String((value as Raw[])[0]["#text"]));
    if (t !== "" && !t.includes("\n")) children.push({ kind: "text", text: t });
  }
  return { kind: "element", name: key, attrs, children };
}

/** Comment and CDATA bodies arrive as [{ "#text": raw }]; they are not entity-decoded. */
function joinRaw(value: unknown): string {
  return (value as Raw[]).map((c) => String(c["#text"] ?? "")).join("");
}

const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);?/g, (m, ref: string) => {
    if (!m.endsWith(";")) throw new XmlError(`malformed XML: entity reference '${m}' is not terminated by ';'`);
    if (ref.startsWith("#")) {
      const cp = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!isXmlChar(cp)) throw new XmlError(`malformed XML: character reference '${m}' is not an XML character`);
      return String.fromCodePoint(cp);
    }
    const v = named[ref];
    if (v === undefined) throw new XmlError(`malformed XML: unknown entity '${m}'`);
    return v;
  });
}

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

// Characters XML 1.0 cannot carry at all, even escaped (lone surrogates included).
// eslint-disable-next-line no-control-regex -- the characters XML 1.0 forbids
const forbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkChars(s: string, what: string): void {
  const m = forbidden.exec(s);
  if (m !== null) {
    const code = m[0].charCodeAt(0).toString(16).padStart(4, "0");
    throw new XmlError(`${what} contains U+${code}, which XML cannot represent`);
  }
}

/** Escapes text content: all five XML specials, as libvirt does. */
export function escapeText(s: string): string {
  checkChars(s, "text");
  return s.replace(/[&<>"']/g, (c) => escapes[c]);
}

/** Escapes an attribute value; tab, newline and CR become references so attribute normalisation keeps them. */
export function escapeAttr(s: string): string {
  checkChars(s, "attribute value");
  return s.replace(/[&<>"'\t\n\r]/g, (c) => escapes[c]);
}

const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

const nameRe = /^[A-Za-z_][A-Za-z0-9._:-]*$/;

/**
 * Writes an element as libvirt does: two-space indentation, single-quoted attributes, empty elements
 * self-closed, text-only elements on one line. Elements holding text next to child elements (mixed content)
 * are written inline so their text is not changed. Ends with a newline. `compact` writes everything on
 * one line with no trailing newline (the form virNetworkUpdate's snippets are usually given in).
 * @throws XmlError for an invalid element/attribute name, a character XML cannot hold, or a comment
 *   containing `--`.
 */
export function serializeXml(el: XmlElement, options: { compact?: boolean } = {}): string {
  const out: string[] = [];
  if (options.compact === true) writeInline(el, out);
  else writeElement(el, "", out);
  return out.join("");
}

function writeElement(el: XmlElement, indent: string, out: string[]): void {
  out.push(indent, openTag(el));
  if (el.children.length === 0) {
    out.push("/>\n");
    return;
  }
  const mixed = el.children.some((c) => c.kind === "text" || c.kind === "cdata");
  if (mixed) {
    out.push(">");
    for (const c of el.children) writeInline(c, out);
    out.push(`</${el.name}>\n`);
    return;
  }
  out.push(">\n");
  for (const c of el.children) {
    if (c.kind === "element") writeElement(c, indent + "  ", out);
    else out.push(indent + "  ", comment(c.text), "\n");
  }
  out.push(indent, `</${el.name}>\n`);
}

function writeInline(node: XmlNode, out: string[]): void {
  switch (node.kind) {
    case "text":
      out.push(escapeText(node.text));
      return;
    case "cdata":
      checkChars(node.text, "CDATA");
      // "]]>" cannot appear inside one section: split it across two.
      out.push(`<![CDATA[${node.text.split("]]>").join("]]]]><![CDATA[>")}]]>`);
      return;
    case "comment":
      out.push(comment(node.text));
      return;
    case "element":
      if (node.children.length === 0) out.push(openTag(node), "/>");
      else {
        out.push(openTag(node), ">");
        for (const c of node.children) writeInline(c, out);
        out.push(`</${node.name}>`);
      }
  }
}

function openTag(el: XmlElement): string {
  if (!nameRe.test(el.name)) throw new XmlError(`'${el.name}' is not a valid element name`);
  let s = `<${el.name}`;
  const seen = new Set<string>();
  for (const [name, value] of el.attrs) {
    if (!nameRe.test(name)) throw new XmlError(`'${name}' is not a valid attribute name (on <${el.name}>)`);
    if (seen.has(name)) throw new XmlError(`attribute '${name}' appears twice on <${el.name}>`);
    seen.add(name);
    s += ` ${name}='${escapeAttr(value)}'`;
  }
  return s;
}

function comment(text: string): string {
  checkChars(text, "comment");
  if (text.includes("--") || text.endsWith("-")) throw new XmlError(`comment '${text}' cannot be written: it contains '--' or ends with '-'`);
  return `<!--${text}-->`;
}
