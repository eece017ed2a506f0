/**
 * `<volume>`: a storage volume in a pool (https://libvirt.org/formatstorage.html#storage-volume-xml).
 * Sizes are bytes as `number`; reading a size of 2^53 bytes (8 PiB) or more throws rather than round.
 */
import { Permissions, applyPermissions, buildPermissions, bytesElement, parsePermissions, readBytes, setBytes } from "./common";
import { XmlElement, XmlError, parseXml, serializeXml } from "./document";
import { attr, child, element, ensureChild, path, setAttr, setChildText, text, textElement } from "./tree";

/** Volume image formats (`<target><format type=...>`); libvirt's list is longer and grows, so it is open. */
export type VolumeFormat = "raw" | "qcow2" | "qed" | "vmdk" | "vpc" | "vdi" | "iso" | "luks" | "dir" | (string & {});

/** `<backingStore>`: the image a copy-on-write volume reads through to. */
export interface BackingStore {
  /** Path of the backing image on the host. */
  path: string;
  /** Format of the backing image (e.g. "qcow2", "raw"). */
  format?: VolumeFormat;
}

/** A volume as the user declares it (what build and apply take). */
export interface Volume {
  /** Volume name, unique in its pool (for dir pools, the file name). */
  name: string;
  /** Virtual size in bytes. */
  capacity: number;
  /**
   * Bytes to allocate up front; 0 makes a sparse volume. Unset: libvirt's default (a raw file in a dir
   * pool is then fully allocated; qcow2 starts small either way). Reads back as what is really in use.
   */
  allocation?: number;
  /** Image format; unset: the pool's default (raw for dir pools). */
  format?: VolumeFormat;
  /** Backing image for copy-on-write formats. */
  backingStore?: BackingStore;
  /** Permissions of the volume's file. Unset: libvirt's defaults (0600, owned by the daemon's user). */
  permissions?: Permissions;
}

/** A volume as read back: the declaration plus what libvirt reports. */
export interface VolumeState extends Volume {
  /** libvirt's key for the volume (for dir pools, the path). */
  key?: string;
  /** Path of the volume on the host (`<target><path>`). */
  path?: string;
  /** `<volume type=...>`: file, block, dir, network, netdir, ploop. */
  type?: string;
  /** Bytes the volume takes on its storage (file size), when libvirt reports it. */
  physical?: number;
}

// libvirt's order of <volume> children, used to place new elements.
const VOLUME_ORDER = ["name", "key", "source", "capacity", "allocation", "physical", "target", "backingStore"];
const TARGET_ORDER = ["path", "format", "permissions"];
const before = (order: string[], name: string): string[] => order.slice(0, order.indexOf(name));

/** Builds the XML for virStorageVolCreateXML. Sizes are written with unit='bytes'. */
export function buildVolumeXml(spec: Volume): string {
  const vol = element("volume", {}, [textElement("name", spec.name), bytesElement("capacity", spec.capacity)]);
  if (spec.allocation !== undefined) vol.children.push(bytesElement("allocation", spec.allocation));
  // libvirt's schema requires <target> even when it is empty.
  const target = element("target");
  if (spec.format !== undefined) target.children.push(element("format", { type: spec.format }));
  if (spec.permissions !== undefined) target.children.push(buildPermissions(spec.permissions));
  vol.children.push(target);
  if (spec.backingStore !== undefined) {
    const bs = element("backingStore", {}, [textElement("path", spec.backingStore.path)]);
    if (spec.backingStore.format !== undefined) bs.children.push(element("format", { type: spec.backingStore.format }));
    vol.children.push(bs);
  }
  return serializeXml(vol);
}

/**
 * Reads virStorageVolGetXMLDesc output. Every libvirt unit (bytes, B, K/KiB, KB, M/MiB, MB, ... E/EiB, EB)
 * is converted to bytes.
 * @throws XmlError if the root is not `<volume>`, name or capacity is missing, or a size is not exact.
 */
export function parseVolumeXml(xml: string): VolumeState {
  const root = parseXml(xml);
  if (root.name !== "volume") throw new XmlError(`expected <volume>, got <${root.name}>`);
  const name = text(child(root, "name"));
  if (name === undefined) throw new XmlError("volume: no <name>");
  const where = `volume '${name}'`;
  const capacity = readBytes(root, "capacity", where);
  if (capacity === undefined) throw new XmlError(`${where}: no <capacity>`);
  const vol: VolumeState = { name, capacity };
  const allocation = readBytes(root, "allocation", where);
  if (allocation !== undefined) vol.allocation = allocation;
  const target = child(root, "target");
  const format = attr(path(target, "format"), "type");
  if (format !== undefined) vol.format = format;
  const bsEl = child(root, "backingStore");
  const bsPath = text(path(bsEl, "path"));
  if (bsPath !== undefined && bsPath !== "") {
    vol.backingStore = { path: bsPath };
    const bsFormat = attr(path(bsEl, "format"), "type");
    if (bsFormat !== undefined) vol.backingStore.format = bsFormat;
  }
  const perms = parsePermissions(path(target, "permissions"), `${where} target permissions`);
  if (perms !== undefined) vol.permissions = perms;
  const key = text(child(root, "key"));
  if (key !== undefined) vol.key = key;
  const tpath = text(path(target, "path"));
  if (tpath !== undefined) vol.path = tpath;
  const type = attr(root, "type");
  if (type !== undefined) vol.type = type;
  const physical = readBytes(root, "physical", where);
  if (physical !== undefined) vol.physical = physical;
  return vol;
}

/**
 * Edits a volume's current XML to match `spec`, keeping everything we do not manage (key, physical,
 * timestamps, compat, features, encryption, ...). Unset allocation, format, permissions and backing store
 * are kept as libvirt reports them: libvirt fills them in (a qcow2 header names its own backing file).
 * Capacity is rewritten in bytes. libvirt cannot redefine a volume from XML: use this to compute the
 * desired document; a capacity change is carried out with virStorageVolResize.
 */
export function applyVolumeXml(currentXml: string, spec: Volume): string {
  const root = parseXml(currentXml);
  if (root.name !== "volume") throw new XmlError(`expected <volume>, got <${root.name}>`);
  setChildText(root, "name", spec.name, []);
  setBytes(root, "capacity", spec.capacity, before(VOLUME_ORDER, "capacity"));
  if (spec.allocation !== undefined) setBytes(root, "allocation", spec.allocation, before(VOLUME_ORDER, "allocation"));
  if (spec.format !== undefined || spec.permissions !== undefined) {
    const target = ensureChild(root, "target", { after: before(VOLUME_ORDER, "target") });
    if (spec.format !== undefined) setAttr(ensureChild(target, "format", { after: before(TARGET_ORDER, "format") }), "type", spec.format);
    applyPermissions(target, spec.permissions, before(TARGET_ORDER, "permissions"));
  }
  if (spec.backingStore !== undefined) applyBackingStore(ensureChild(root, "backingStore", { after: before(VOLUME_ORDER, "backingStore") }), spec.backingStore);
  return serializeXml(root);
}

function applyBackingStore(bs: XmlElement, spec: BackingStore): void {
  // Another backing file: what libvirt read about the old one (format, permissions, timestamps) no longer holds.
  if (text(child(bs, "path")) !== spec.path) bs.children = bs.children.filter((c) => c.kind !== "element" || c.name === "path");
  setChildText(bs, "path", spec.path, []);
  if (spec.format !== undefined) setAttr(ensureChild(bs, "format", { after: ["path"] }), "type", spec.format);
}
