/**
 * Helpers shared by the domain model's parts: KiB sizes, yes/no attributes, the read-only alias and
 * address every device carries, and small edits that keep unknown nodes.
 */
import { XmlElement, XmlError } from "../document";
import { toBytes } from "../common";
import { attr, child, children, element, ensureChild, parseIntStrict, removeChildren, setAttr, setText, text } from "../tree";

/**
 * Where libvirt put a device (`<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>`),
 * attribute by attribute as libvirt wrote them. Read-only: libvirt assigns it at define time.
 */
export type DeviceAddress = { type: string } & Record<string, string>;

/** What libvirt fills in for every device; read-only (build and apply never write them). */
export interface DeviceInfo {
  /** `<alias name=...>`: libvirt's name for the device in a running domain (`virtio-disk0`, `net0`). Read-only. */
  alias?: string;
  /** `<address>`: the bus address libvirt assigned. Read-only. */
  address?: DeviceAddress;
}

/** Reads alias and address into `into` (only the ones present). */
export function readInfo<T extends DeviceInfo>(el: XmlElement, into: T): T {
  const alias = attr(child(el, "alias"), "name");
  if (alias !== undefined) into.alias = alias;
  const addr = child(el, "address");
  if (addr !== undefined) into.address = Object.fromEntries(addr.attrs) as DeviceAddress;
  return into;
}

export const yesNo = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? "yes" : "no");
export const onOff = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? "on" : "off");

/** An integer attribute, or undefined; throws an XmlError naming `where` if it is not an integer. */
export function intAttr(el: XmlElement | undefined, name: string, where: string): number | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : parseIntStrict(v, `${where} ${name}`);
}

/** Checks a byte count is a whole number of KiB (libvirt keeps memory in KiB and would round) and returns KiB. */
export function toKiB(bytes: number, where: string): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new XmlError(`${where}: ${bytes} is not a byte count (a non-negative safe integer)`);
  if (bytes % 1024 !== 0) throw new XmlError(`${where}: ${bytes} bytes is not a whole number of KiB (libvirt would round it)`);
  return bytes / 1024;
}

/** `<name unit='KiB'>N</name>`, the form libvirt writes memory in. */
export function kibElement(name: string, bytes: number): XmlElement {
  return element(name, { unit: "KiB" }, [String(toKiB(bytes, `<${name}>`))]);
}

/** Reads `<name unit=...>` as bytes (any libvirt unit; no unit means KiB for memory elements). */
export function readKiBElement(el: XmlElement | undefined, where: string): number | undefined {
  const t = text(el);
  if (el === undefined || t === undefined) return undefined;
  return toBytes(t, attr(el, "unit") ?? "KiB", `${where} <${el.name}>`);
}

/** Sets `<name>` to `bytes`, leaving it alone when it already says the same size in another unit. */
export function setKiB(parent: XmlElement, name: string, bytes: number, after: readonly string[]): void {
  const kib = toKiB(bytes, `<${name}>`);
  const el = ensureChild(parent, name, { after });
  try {
    if (readKiBElement(el, "") === bytes) return;
  } catch {
    // unreadable: overwrite
  }
  setAttr(el, "unit", "KiB");
  setText(el, kib);
}

/** Makes `<name/>` present (true) or absent (false/undefined) under `parent`. */
export function setFlag(parent: XmlElement, name: string, on: boolean | undefined, after: readonly string[]): void {
  if (on === true) ensureChild(parent, name, { after });
  else removeChildren(parent, name);
}

/** Sets `<name attr=value/>` (creating it) or removes the element when value is undefined. */
export function setChildAttr(parent: XmlElement, name: string, attrName: string, value: string | number | undefined, after: readonly string[]): void {
  if (value === undefined) removeChildren(parent, name);
  else setAttr(ensureChild(parent, name, { after }), attrName, value);
}

/** The element's own attributes, as a record. */
export function attrsOf(el: XmlElement): Record<string, string> {
  return Object.fromEntries(el.attrs);
}

/** Child elements only. */
export function elementChildren(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === "element");
}

/** `children(el, name)` that also works on an absent parent. */
export function childrenOf(el: XmlElement | undefined, name: string): XmlElement[] {
  return el === undefined ? [] : children(el, name);
}

/** Deletes the keys whose value is undefined (so models compare equal with deepStrictEqual), in place. */
export function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Lowercases a MAC address (libvirt compares them case-insensitively and writes lowercase). */
export function canonicalMac(mac: string): string {
  return mac.trim().toLowerCase();
}
