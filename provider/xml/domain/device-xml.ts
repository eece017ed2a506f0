/**
 * Single-device XML for hot-plug (virDomainAttachDeviceFlags, virDomainDetachDeviceFlags,
 * virDomainUpdateDeviceFlags), and finding a device in a domain's XML (to wait until a detach finished).
 */
import { XmlError, parseXml, serializeXml } from "../document";
import { attr, child, element } from "../tree";
import type { DomainChannel, DomainChardev } from "./devices/chardev";
import type { DomainDisk } from "./devices/disk";
import type { DomainFilesystem } from "./devices/filesystem";
import type { DomainGraphics, DomainVideo } from "./devices/graphics";
import type { DomainInterface } from "./devices/interface";
import { kindOf } from "./devices/kinds";
import type { DomainMemballoon, DomainRng, DomainTpm } from "./devices/misc";
import type { DeviceInfo } from "./util";
import { elementChildren } from "./util";

/** The device kinds of the typed model, by element name, with their model types. */
export interface DeviceTypes {
  disk: DomainDisk;
  interface: DomainInterface;
  filesystem: DomainFilesystem;
  serial: DomainChardev;
  console: DomainChardev;
  channel: DomainChannel;
  tpm: DomainTpm;
  graphics: DomainGraphics;
  video: DomainVideo;
  memballoon: DomainMemballoon;
  rng: DomainRng;
}
/** Element name of a modelled device kind. */
export type DeviceKindName = keyof DeviceTypes;

/** Options of {@link deviceXml}. */
export interface DeviceXmlOptions {
  /**
   * For virDomainDetachDeviceFlags: also write the device's alias when the model knows it (libvirt then
   * matches it too; non-user aliases are ignored by libvirt's parser, so it never hurts), and require the
   * identity libvirt matches on: a disk's target dev (with its source), an interface's MAC.
   */
  detach?: boolean;
}

/**
 * One device as XML, e.g. `<disk type='file' device='disk'>...</disk>`, for the hot-plug calls. Read-only
 * fields are left out, except the alias for a detach.
 * @throws XmlError if the device cannot be written, or (detach) an interface has no MAC.
 */
export function deviceXml<K extends DeviceKindName>(kind: K, device: DeviceTypes[K], options: DeviceXmlOptions = {}): string {
  const k = kindOf(kind);
  if (k === undefined) throw new XmlError(`'${kind}' is not a modelled device kind`);
  if (options.detach === true && kind === "interface" && (device as DomainInterface).mac === undefined) {
    throw new XmlError("detaching an interface needs its MAC address (libvirt matches NICs by MAC)");
  }
  const el = k.build(device);
  const alias = (device as DeviceInfo).alias;
  if (options.detach === true && alias !== undefined) el.children.push(element("alias", { name: alias }));
  return serializeXml(el);
}

/**
 * Whether the domain XML has a device of `kind` that `key` names: its alias (any kind), a disk's target
 * dev, an interface's MAC (any case), a filesystem's tag, a channel's target name, or a graphics type.
 * @throws XmlError if the XML is not a `<domain>`.
 */
export function findDevice(xml: string, kind: DeviceKindName, key: string): boolean {
  const root = parseXml(xml);
  if (root.name !== "domain") throw new XmlError(`expected <domain>, got <${root.name}>`);
  const devices = child(root, "devices");
  if (devices === undefined) return false;
  const k = kindOf(kind);
  return elementChildren(devices).some((el) => el.name === kind && (attr(child(el, "alias"), "name") === key || (k !== undefined && k.identifies(el, key))));
}
