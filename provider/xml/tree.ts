/**
 * Small helpers over the tree of document.ts. Editing helpers change only what they are asked to and keep
 * every other node, attribute and their order, so an update carries unknown XML through.
 */
import { XmlElement, XmlError, XmlNode } from "./document";

/** Builds an element. Attributes whose value is `undefined` are left out; strings become text nodes. */
export function element(name: string, attrs: Record<string, string | number | undefined> = {}, children: (XmlNode | string)[] = []): XmlElement {
  const list: [string, string][] = [];
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) list.push([k, String(v)]);
  return { kind: "element", name, attrs: list, children: children.map((c) => (typeof c === "string" ? { kind: "text", text: c } : c)) };
}

/** An element holding only the given text: `<name>text</name>`. */
export function textElement(name: string, text: string | number): XmlElement {
  return element(name, {}, [String(text)]);
}

/** The first child element called `name`, if any. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) if (c.kind === "element" && c.name === name) return c;
  return undefined;
}

/** Every child element called `name`, in document order. */
export function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === "element" && c.name === name);
}

/** Follows a path of first children: `path(pool, "target", "permissions")`. */
export function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = el;
  for (const n of names) cur = cur === undefined ? undefined : child(cur, n);
  return cur;
}

/** The value of attribute `name`, if present. */
export function attr(el: XmlElement | undefined, name: string): string | undefined {
  if (el === undefined) return undefined;
  for (const [k, v] of el.attrs) if (k === name) return v;
  return undefined;
}

/** Sets an attribute in place (keeping its position) or appends it; `undefined` removes it. */
export function setAttr(el: XmlElement, name: string, value: string | number | undefined): void {
  const i = el.attrs.findIndex(([k]) => k === name);
  if (value === undefined) {
    if (i >= 0) el.attrs.splice(i, 1);
  } else if (i >= 0) el.attrs[i] = [name, String(value)];
  else el.attrs.push([name, String(value)]);
}

/** The element's text (text and CDATA children joined), trimmed as libvirt trims it; `undefined` if none. */
export function text(el: XmlElement | undefined): string | undefined {
  if (el === undefined) return undefined;
  const parts = el.children.filter((c) => c.kind === "text" || c.kind === "cdata").map((c) => (c as { text: string }).text);
  return parts.length === 0 ? undefined : parts.join("").trim();
}

/** Replaces the element's text and CDATA children with one text node, keeping child elements and comments. */
export function setText(el: XmlElement, value: string | number): void {
  const i = el.children.findIndex((c) => c.kind === "text" || c.kind === "cdata");
  const node: XmlNode = { kind: "text", text: String(value) };
  el.children = el.children.filter((c) => c.kind !== "text" && c.kind !== "cdata");
  el.children.splice(i >= 0 ? i : el.children.length, 0, node);
}

/**
 * Returns the first child called `name`, creating it if missing. A new child goes right after the last
 * existing child named in `after` (libvirt's element order), at the start if `after` is given but none of
 * them exists, or at the end if `after` is not given.
 */
export function ensureChild(el: XmlElement, name: string, options: { after?: readonly string[] } = {}): XmlElement {
  const found = child(el, name);
  if (found !== undefined) return found;
  const created = element(name);
  insertChild(el, created, options.after);
  return created;
}

/** Inserts `node` after the last child named in `after` (start if none), or at the end without `after`. */
export function insertChild(el: XmlElement, node: XmlNode, after?: readonly string[]): void {
  el.children.splice(insertionIndex(el, after), 0, node);
}

function insertionIndex(el: XmlElement, after?: readonly string[]): number {
  if (after === undefined) return el.children.length;
  let at = 0;
  el.children.forEach((c, i) => {
    if (c.kind === "element" && after.includes(c.name)) at = i + 1;
  });
  return at;
}

/** Removes every child element called `name`; returns how many went. */
export function removeChildren(el: XmlElement, name: string): number {
  const before = el.children.length;
  el.children = el.children.filter((c) => !(c.kind === "element" && c.name === name));
  return before - el.children.length;
}

/** Sets `<name>value</name>` under `el` (creating it per `after`), or removes it when `value` is undefined. */
export function setChildText(el: XmlElement, name: string, value: string | number | undefined, after?: readonly string[]): void {
  if (value === undefined) removeChildren(el, name);
  else setText(ensureChild(el, name, { after }), value);
}

/**
 * Makes the `name` children of `parent` match `items`, in `items` order. An existing element whose key
 * equals an item's key is reused (so its unknown attributes and children survive) and passed to `update`;
 * otherwise `create` makes one. Elements matching no item are removed. The list takes the place of the
 * first old element, or goes after the last child named in `after`.
 */
export function syncChildren<T>(
  parent: XmlElement,
  name: string,
  items: readonly T[],
  opts: {
    keyOf: (item: T) => string;
    keyOfElement: (el: XmlElement) => string;
    create: (item: T) => XmlElement;
    update: (el: XmlElement, item: T) => void;
    after?: readonly string[];
  },
): void {
  const old = children(parent, name);
  const pool = new Map<string, XmlElement[]>();
  for (const e of old) {
    const k = opts.keyOfElement(e);
    pool.set(k, [...(pool.get(k) ?? []), e]);
  }
  const next = items.map((item) => {
    const reused = pool.get(opts.keyOf(item))?.shift();
    if (reused === undefined) return opts.create(item);
    opts.update(reused, item);
    return reused;
  });
  const first = parent.children.findIndex((c) => c.kind === "element" && c.name === name);
  removeChildren(parent, name);
  parent.children.splice(first >= 0 ? first : insertionIndex(parent, opts.after), 0, ...next);
}

/** Reads a required attribute or throws an XmlError naming the element and attribute. */
export function requireAttr(el: XmlElement, name: string, where: string): string {
  const v = attr(el, name);
  if (v === undefined) throw new XmlError(`${where}: <${el.name}> has no '${name}' attribute`);
  return v;
}

/** Parses a decimal integer attribute/text, throwing an XmlError naming `where` if it is not one. */
export function parseIntStrict(value: string, where: string): number {
  const v = value.trim();
  if (!/^[+-]?\d+$/.test(v)) throw new XmlError(`${where}: '${value}' is not an integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new XmlError(`${where}: ${value} is too large to be exact`);
  return n;
}

/** libvirt's yes/no (and on/off) booleans. */
export function parseYesNo(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value === "yes" || value === "on";
}
