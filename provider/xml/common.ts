/**
 * Pieces shared by the storage models: sizes with libvirt's units, and `<permissions>`.
 */
import { XmlElement, XmlError } from "./document";
import { attr, child, element, ensureChild, parseIntStrict, setAttr, setChildText, setText, text, textElement } from "./tree";

/**
 * File permissions libvirt applies to a pool's target directory or a volume's file.
 * libvirt leaves out owner/group it does not know (uid/gid -1) and, for a running dir pool, reports
 * what the directory on disk has, so every field can be absent on read.
 */
export interface Permissions {
  /** Octal mode as libvirt writes it, four digits: "0755". See {@link normalizeMode}. */
  mode?: string;
  /** Owner uid (numeric). */
  owner?: number;
  /** Group gid (numeric). */
  group?: number;
  /** SELinux/AppArmor label. libvirt drops it from a started pool's XML on hosts without SELinux. */
  label?: string;
}

/** Scale of each unit suffix, as libvirt's virScaleInteger reads it (case-insensitive). */
function unitScale(unit: string, where: string): bigint {
  const u = unit.toLowerCase();
  if (u === "" || u === "b" || u === "byte" || u === "bytes") return 1n;
  let base: bigint;
  if (u.length === 1 || u.slice(1) === "ib") base = 1024n;
  else if (u.length === 2 && u[1] === "b") base = 1000n;
  else throw new XmlError(`${where}: unknown unit '${unit}'`);
  const power = "kmgtpe".indexOf(u[0]) + 1;
  if (power === 0) throw new XmlError(`${where}: unknown unit '${unit}'`);
  return base ** BigInt(power);
}

/** 2^53: every byte count below it is exact as a JavaScript number (8 PiB). */
const EXACT_LIMIT = 2n ** 53n;

/**
 * Converts a size with a libvirt unit (`bytes`, `B`, `KiB`/`K`, `KB`, `MiB`/`M`, `MB`, ... `EiB`, `EB`;
 * no unit = bytes) to bytes as a number.
 * @throws XmlError if the value is not a non-negative integer, the unit is unknown, or the result is
 *   2^53 (8 PiB) or more, where a number would no longer be exact.
 */
export function toBytes(value: string, unit: string | undefined, where: string): number {
  const v = value.trim();
  if (!/^\d+$/.test(v)) throw new XmlError(`${where}: '${value}' is not a non-negative integer`);
  const bytes = BigInt(v) * unitScale(unit ?? "", where);
  if (bytes >= EXACT_LIMIT) throw new XmlError(`${where}: ${bytes} bytes is too large to represent exactly (limit 2^53 - 1)`);
  return Number(bytes);
}

/** Reads `<name unit='...'>N</name>` under `parent` as bytes; `undefined` if the element is absent. */
export function readBytes(parent: XmlElement, name: string, where: string): number | undefined {
  const el = child(parent, name);
  const t = text(el);
  if (el === undefined || t === undefined) return undefined;
  return toBytes(t, attr(el, "unit"), `${where} <${name}>`);
}

/** Checks a byte count can be written as a plain decimal integer (1e21 or 1.5 would not be). */
export function checkBytes(bytes: number, where: string): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new XmlError(`${where}: ${bytes} is not a byte count (a non-negative safe integer)`);
  return String(bytes);
}

/** `<name unit='bytes'>N</name>` — we always write bytes so libvirt never rounds. */
export function bytesElement(name: string, bytes: number): XmlElement {
  return element(name, { unit: "bytes" }, [checkBytes(bytes, `<${name}>`)]);
}

/** Sets `<name unit='bytes'>N</name>` in place (replacing any other unit), creating it after `after`. */
export function setBytes(parent: XmlElement, name: string, bytes: number, after: readonly string[]): void {
  const value = checkBytes(bytes, `<${name}>`);
  const el = ensureChild(parent, name, { after });
  const t = text(el);
  // Same size in another unit: leave it, an update changes only what changed.
  if (t !== undefined && sameBytes(t, attr(el, "unit"), bytes)) return;
  setAttr(el, "unit", "bytes");
  setText(el, value);
}

function sameBytes(value: string, unit: string | undefined, bytes: number): boolean {
  try {
    return toBytes(value, unit, "") === bytes;
  } catch {
    return false;
  }
}

/**
 * libvirt's form of a mode: octal, at least four digits ("755" → "0755", "0o750" → "0750").
 * Returns the input unchanged if it is not octal.
 */
export function normalizeMode(mode: string): string {
  const m = /^(?:0o)?([0-7]+)$/i.exec(mode.trim());
  if (m === null) return mode;
  return parseInt(m[1], 8).toString(8).padStart(4, "0");
}

/** Reads `<permissions>` (under a target or backing store). */
export function parsePermissions(el: XmlElement | undefined, where: string): Permissions | undefined {
  if (el === undefined) return undefined;
  const p: Permissions = {};
  const mode = text(child(el, "mode"));
  const owner = text(child(el, "owner"));
  const group = text(child(el, "group"));
  const label = text(child(el, "label"));
  if (mode !== undefined) p.mode = normalizeMode(mode);
  if (owner !== undefined) p.owner = parseIntStrict(owner, `${where} <owner>`);
  if (group !== undefined) p.group = parseIntStrict(group, `${where} <group>`);
  if (label !== undefined) p.label = label;
  return p;
}

/** Builds `<permissions>` with the fields that are set. */
export function buildPermissions(p: Permissions): XmlElement {
  const el = element("permissions");
  if (p.mode !== undefined) el.children.push(textElement("mode", p.mode));
  if (p.owner !== undefined) el.children.push(textElement("owner", p.owner));
  if (p.group !== undefined) el.children.push(textElement("group", p.group));
  if (p.label !== undefined) el.children.push(textElement("label", p.label));
  return el;
}

/**
 * Edits `<permissions>` under `parent` in place. `undefined` keeps what is there: libvirt fills
 * permissions in itself, so "not managed" must not mean "remove". Within a given object, mode/owner/group
 * left undefined are kept too, while `label` is removed (libvirt never invents one).
 */
export function applyPermissions(parent: XmlElement, p: Permissions | undefined, after: readonly string[]): void {
  if (p === undefined) return;
  const el = ensureChild(parent, "permissions", { after });
  const current = parsePermissions(el, "permissions") ?? {};
  if (p.mode !== undefined && (current.mode === undefined || current.mode !== normalizeMode(p.mode))) setChildText(el, "mode", p.mode, []);
  if (p.owner !== undefined && current.owner !== p.owner) setChildText(el, "owner", p.owner, ["mode"]);
  if (p.group !== undefined && current.group !== p.group) setChildText(el, "group", p.group, ["mode", "owner"]);
  if (current.label !== p.label) setChildText(el, "label", p.label, ["mode", "owner", "group"]);
}
