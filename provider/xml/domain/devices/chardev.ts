/**
 * Character devices: `<serial>`, `<console>` and `<channel>` (https://libvirt.org/formatdomain.html#consoles-serial-parallel-channel-devices).
 */
import { XmlElement, XmlError } from "../../document";
import { attr, child, element, ensureChild, insertChild, removeChildren, setAttr } from "../../tree";
import { DeviceInfo, intAttr, readInfo } from "../util";

interface ChardevCommon extends DeviceInfo {
  /**
   * `<target type=...>`. Serial: isa-serial, pci-serial, usb-serial, ... (unset: libvirt fills isa-serial
   * on x86). Console: serial (the console of serial port N, which libvirt adds by itself), virtio, xen.
   */
  targetType?: string;
  /** `<target port=N>`; unset: libvirt numbers the devices 0, 1, ... */
  port?: number;
}
/** A pseudo-terminal on the host (`virsh console`). */
export interface PtyChardev extends ChardevCommon {
  type: "pty";
  /** The pty libvirt opened (/dev/pts/N) in a running domain. Read-only. */
  ptyPath?: string;
}
/** Output written to a file on the host (a log), e.g. a serial console log. */
export interface FileChardev extends ChardevCommon {
  type: "file";
  path: string;
  /** Append rather than truncate at start (`append='on'`). */
  append?: boolean;
}
/** A `<serial>` or `<console>`. */
export type DomainChardev = PtyChardev | FileChardev;

/** A guest channel, e.g. the QEMU guest agent (`unix`, target virtio `org.qemu.guest_agent.0`). */
export interface DomainChannel extends DeviceInfo {
  type: "unix" | "pty" | "spicevmc";
  /** Socket path of a unix channel; unset: libvirt picks one when the domain starts (live XML only). */
  path?: string;
  /** virtio, xen, guestfwd. */
  targetType: string;
  /** Channel name the guest sees, e.g. "org.qemu.guest_agent.0". */
  targetName?: string;
  /** connected/disconnected: whether the guest side is open (virtio channels of a running domain). Read-only. */
  state?: string;
}

const CHARDEV_TYPES = new Set(["pty", "file"]);
const CHANNEL_TYPES = new Set(["unix", "pty", "spicevmc"]);
export const isManagedChardev = (el: XmlElement): boolean => CHARDEV_TYPES.has(attr(el, "type") ?? "pty");
export const isManagedChannel = (el: XmlElement): boolean => CHANNEL_TYPES.has(attr(el, "type") ?? "") && attr(child(el, "target"), "type") !== undefined;

/** Serials are matched by target port (or position when unset). */
export const serialKeys = (items: readonly DomainChardev[]): string[] => items.map((s, i) => `${s.port ?? i}`);
export const serialElementKeys = (els: readonly XmlElement[]): string[] => els.map((e, i) => attr(child(e, "target"), "port") ?? `${i}`);
/** Consoles are matched by target type and port. */
export const consoleKeys = (items: readonly DomainChardev[]): string[] => items.map((c) => `${c.targetType ?? ""}:${c.port ?? 0}`);
export const consoleElementKey = (e: XmlElement): string => `${attr(child(e, "target"), "type") ?? ""}:${attr(child(e, "target"), "port") ?? 0}`;
/** Channels are matched by target type and name. */
export const channelKeys = (items: readonly DomainChannel[]): string[] => items.map((c, i) => `${c.targetType}:${c.targetName ?? `#${i}`}`);
export const channelElementKeys = (els: readonly XmlElement[]): string[] =>
  els.map((e, i) => `${attr(child(e, "target"), "type")}:${attr(child(e, "target"), "name") ?? `#${i}`}`);

/** Reads one `<serial>` or `<console>`. */
export function parseChardev(el: XmlElement, where: string): DomainChardev {
  const type = attr(el, "type") ?? "pty";
  const src = child(el, "source");
  let dev: DomainChardev;
  if (type === "pty") {
    dev = { type };
    const p = attr(src, "path") ?? attr(el, "tty");
    if (p !== undefined) dev.ptyPath = p;
  } else if (type === "file") {
    dev = { type, path: attr(src, "path") ?? "" };
    const append = attr(src, "append");
    if (append !== undefined) dev.append = append === "on" || append === "yes";
  } else throw new XmlError(`${where}: <${el.name} type='${type}'> is not modelled (managed: pty, file)`);
  const target = child(el, "target");
  const tt = attr(target, "type");
  if (tt !== undefined) dev.targetType = tt;
  const port = intAttr(target, "port", `${where} ${el.name}`);
  if (port !== undefined) dev.port = port;
  return readInfo(el, dev);
}

/** Builds a `<serial>` or `<console>` (`name`). */
export function buildChardev(name: "serial" | "console", d: DomainChardev): XmlElement {
  const el = element(name, { type: d.type });
  if (d.type === "file") el.children.push(element("source", { path: d.path, append: d.append === undefined ? undefined : d.append ? "on" : "off" }));
  const target = element("target", { type: d.targetType, port: d.port });
  if (target.attrs.length > 0) el.children.push(target);
  return el;
}

/** Edits a `<serial>`/`<console>`: type and file path; target type and port when set. The live pty path is kept. */
export function applyChardev(el: XmlElement, d: DomainChardev): void {
  if ((attr(el, "type") ?? "pty") !== d.type) {
    setAttr(el, "type", d.type);
    setAttr(el, "tty", undefined);
    removeChildren(el, "source");
  }
  if (d.type === "file") {
    const src = ensureChild(el, "source", { after: [] });
    setAttr(src, "path", d.path);
    setAttr(src, "append", d.append === undefined ? undefined : d.append ? "on" : "off");
  }
  const target = ensureChild(el, "target", { after: ["source", "protocol", "log"] });
  if (d.targetType !== undefined && attr(target, "type") !== d.targetType) {
    setAttr(target, "type", d.targetType);
    removeChildren(target, "model"); // the model belonged to the old target type
  }
  if (d.port !== undefined) setAttr(target, "port", d.port);
}

/** Reads one `<channel>`. */
export function parseChannel(el: XmlElement, where: string): DomainChannel {
  const type = attr(el, "type") ?? "";
  if (!CHANNEL_TYPES.has(type)) throw new XmlError(`${where}: <channel type='${type}'> is not modelled (managed: unix, pty, spicevmc)`);
  const target = child(el, "target");
  const ch: DomainChannel = { type: type as DomainChannel["type"], targetType: attr(target, "type") ?? "" };
  const name = attr(target, "name");
  if (name !== undefined) ch.targetName = name;
  const path = attr(child(el, "source"), "path");
  if (path !== undefined) ch.path = path;
  const state = attr(target, "state");
  if (state !== undefined) ch.state = state;
  return readInfo(el, ch);
}

/** Builds one `<channel>`. */
export function buildChannel(c: DomainChannel): XmlElement {
  const el = element("channel", { type: c.type });
  if (c.path !== undefined) el.children.push(element("source", { mode: "bind", path: c.path }));
  el.children.push(element("target", { type: c.targetType, name: c.targetName }));
  return el;
}

/** Edits a `<channel>`: type, socket path (when set), target type and name. The live state is kept. */
export function applyChannel(el: XmlElement, c: DomainChannel): void {
  if (attr(el, "type") !== c.type) {
    setAttr(el, "type", c.type);
    removeChildren(el, "source");
  }
  if (c.path !== undefined) {
    const src = child(el, "source");
    if (src === undefined) insertChild(el, element("source", { mode: "bind", path: c.path }), []);
    else setAttr(src, "path", c.path);
  }
  const target = ensureChild(el, "target", { after: ["source"] });
  setAttr(target, "type", c.targetType);
  setAttr(target, "name", c.targetName);
}

/** Whether `<console>` is libvirt's mirror of serial port N (`<target type='serial'>`), not a device of its own. */
export function isSerialConsole(el: XmlElement): boolean {
  return attr(child(el, "target"), "type") === "serial";
}
