/**
 * The device kinds of the typed model, as data: element name, which elements of that name we model, how
 * each is read, built and edited, and how devices are matched on update (disks by target dev, NICs by MAC,
 * ...). parse, build, apply and device-xml all go through this table.
 */
import { XmlElement } from "../../document";
import { attr, child } from "../../tree";
import type { DomainDevices } from "../model";
import { canonicalMac } from "../util";
import * as ch from "./chardev";
import * as disk from "./disk";
import * as fs from "./filesystem";
import * as gr from "./graphics";
import * as nic from "./interface";
import * as misc from "./misc";

/** One kind of device in the typed model. */
export interface DeviceKind<T> {
  /** Its list (or single field) in {@link DomainDevices}. */
  field: Exclude<keyof DomainDevices, "extraDevices">;
  /** Element name under `<devices>`. */
  element: string;
  /** Whether an element of this name is one we model (a `<disk type='nvme'>` is not: it stays an extra). */
  managed(el: XmlElement): boolean;
  parse(el: XmlElement, where: string): T;
  build(item: T): XmlElement;
  /** Edits a matched element in place, keeping what the model does not cover. */
  apply(el: XmlElement, item: T): void;
  /** Match keys of declared items and of current elements (equal key: same device). */
  keys(items: readonly T[]): string[];
  elementKeys(els: readonly XmlElement[]): string[];
  /** Whether `key` (a target dev, MAC, tag, ... as given to findDevice) names this element. */
  identifies(el: XmlElement, key: string): boolean;
}

const kind = <T>(k: DeviceKind<T>): DeviceKind<T> => k;
const byIndex = (items: readonly unknown[]): string[] => items.map((_, i) => `#${i}`);

/** Every modelled kind, in libvirt's device order. */
export const DEVICE_KINDS: readonly DeviceKind<unknown>[] = [
  kind({
    field: "disks",
    element: "disk",
    managed: disk.isManagedDisk,
    parse: disk.parseDisk,
    build: disk.buildDisk,
    apply: disk.applyDisk,
    keys: (items) => items.map(disk.diskKey),
    elementKeys: (els) => els.map(disk.diskElementKey),
    identifies: (el, key) => disk.diskElementKey(el) === key,
  }),
  kind({
    field: "filesystems",
    element: "filesystem",
    managed: fs.isManagedFilesystem,
    parse: fs.parseFilesystem,
    build: fs.buildFilesystem,
    apply: fs.applyFilesystem,
    keys: (items) => items.map(fs.filesystemKey),
    elementKeys: (els) => els.map(fs.filesystemElementKey),
    identifies: (el, key) => fs.filesystemElementKey(el) === key,
  }),
  kind({
    field: "interfaces",
    element: "interface",
    managed: nic.isManagedInterface,
    parse: nic.parseInterface,
    build: nic.buildInterface,
    apply: nic.applyInterface,
    keys: (items) => items.map(nic.interfaceKey),
    elementKeys: (els) => els.map(nic.interfaceElementKey),
    identifies: (el, key) => nic.interfaceElementKey(el) === canonicalMac(key),
  }),
  kind({
    field: "serials",
    element: "serial",
    managed: ch.isManagedChardev,
    parse: ch.parseChardev,
    build: (s) => ch.buildChardev("serial", s),
    apply: ch.applyChardev,
    keys: ch.serialKeys,
    elementKeys: ch.serialElementKeys,
    identifies: () => false,
  }),
  kind({
    field: "consoles",
    element: "console",
    managed: (el) => ch.isManagedChardev(el) && !ch.isSerialConsole(el),
    parse: ch.parseChardev,
    build: (c) => ch.buildChardev("console", c),
    apply: ch.applyChardev,
    keys: ch.consoleKeys,
    elementKeys: (els) => els.map(ch.consoleElementKey),
    identifies: () => false,
  }),
  kind({
    field: "channels",
    element: "channel",
    managed: ch.isManagedChannel,
    parse: ch.parseChannel,
    build: ch.buildChannel,
    apply: ch.applyChannel,
    keys: ch.channelKeys,
    elementKeys: ch.channelElementKeys,
    identifies: (el, key) => attr(child(el, "target"), "name") === key,
  }),
  kind({
    field: "tpms",
    element: "tpm",
    managed: misc.isManagedTpm,
    parse: misc.parseTpm,
    build: misc.buildTpm,
    apply: misc.applyTpm,
    keys: byIndex,
    elementKeys: byIndex,
    identifies: () => false,
  }),
  kind({
    field: "graphics",
    element: "graphics",
    managed: gr.isManagedGraphics,
    parse: gr.parseGraphics,
    build: gr.buildGraphics,
    apply: gr.applyGraphics,
    keys: gr.graphicsKeys,
    elementKeys: gr.graphicsElementKeys,
    identifies: (el, key) => attr(el, "type") === key,
  }),
  kind({
    field: "videos",
    element: "video",
    managed: () => true,
    parse: gr.parseVideo,
    build: gr.buildVideo,
    apply: gr.applyVideo,
    keys: byIndex,
    elementKeys: byIndex,
    identifies: () => false,
  }),
  kind({
    field: "memballoon",
    element: "memballoon",
    managed: () => true,
    parse: (el) => misc.parseMemballoon(el),
    build: misc.buildMemballoon,
    apply: misc.applyMemballoon,
    keys: byIndex,
    elementKeys: byIndex,
    identifies: () => false,
  }),
  kind({
    field: "rngs",
    element: "rng",
    managed: misc.isManagedRng,
    parse: misc.parseRng,
    build: misc.buildRng,
    apply: misc.applyRng,
    keys: byIndex,
    elementKeys: byIndex,
    identifies: () => false,
  }),
] as unknown as readonly DeviceKind<unknown>[];

/** Kinds that libvirt fills in when the model leaves them unset: apply keeps them then. */
export const KEPT_WHEN_UNSET = new Set<string>(["videos", "memballoon"]);

/** The kind for an element name, if we model that element at all. */
export function kindOf(name: string): DeviceKind<unknown> | undefined {
  return DEVICE_KINDS.find((k) => k.element === name);
}

/** The model's items of a kind as a list (memballoon is a single field). */
export function itemsOf(devices: DomainDevices, k: DeviceKind<unknown>): unknown[] | undefined {
  const v = devices[k.field];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}
