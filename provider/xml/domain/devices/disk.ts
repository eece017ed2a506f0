/**
 * `<disk>`: a disk, CD-ROM or floppy (https://libvirt.org/formatdomain.html#hard-drives-floppy-disks-cdroms).
 * Disks are matched by target device (`vda`, `xvda`, `hdc`): the name the guest sees is the disk's identity.
 */
import { XmlElement, XmlError } from "../../document";
import { attr, child, children, element, ensureChild, insertChild, parseIntStrict, removeChildren, setAttr, setChildText, text, textElement } from "../../tree";
import { DISK_ORDER, before } from "../order";
import { DeviceInfo, defined, intAttr, readInfo, setChildAttr, setFlag } from "../util";

/** `<disk device=...>`. */
export type DiskDevice = "disk" | "cdrom" | "floppy" | "lun";
/** `<target bus=...>`; libvirt infers it from the target name when unset (vd* virtio, sd* scsi, hd* ide, xvd* xen). */
export type DiskBus = "virtio" | "scsi" | "sata" | "ide" | "xen" | "usb" | "fdc" | (string & {});

/** A host of a network disk (`<source protocol=...><host name= port=/>`). */
export interface NetworkDiskHost {
  name: string;
  port?: number;
  /** tcp (default), unix, rdma. */
  transport?: string;
}

/** Where a disk's data lives; `type` is `<disk type=...>`. */
export type DiskSource =
  /** A file on the host; no `path` is an empty CD-ROM/floppy drive (no `<source>`). */
  | { type: "file"; path?: string }
  /** A block device on the host. */
  | { type: "block"; dev: string }
  /** A volume of a libvirt storage pool. */
  | { type: "volume"; pool: string; volume: string }
  /** A network protocol: nbd, iscsi, rbd, gluster, http(s), ... with the export/image `name`. */
  | { type: "network"; protocol: string; name?: string; hosts?: NetworkDiskHost[] };

/**
 * `<driver>`: the backend. On QEMU `name` is "qemu" (libvirt fills it in) and `type` is the image format
 * (raw, qcow2, ...). On Xen (libxl) `name` picks the backend: "phy" (block devices; raw files through a loop
 * device), "qemu" (qdisk: raw, qcow2, vhd; needs qemu-system-xen), "file" (raw through qdisk), "tap"/"tap2";
 * libxl fills `type` = raw when unset. Network disks on Xen need "qemu".
 */
export interface DiskDriver {
  name?: string;
  type?: string;
  /** none, writeback, writethrough, directsync, unsafe. */
  cache?: string;
  /** unmap, ignore. */
  discard?: string;
}

/** A disk as declared and as read back. */
export interface DomainDisk extends DeviceInfo {
  /** Unset: "disk" (libvirt writes it back as device='disk'). */
  device?: DiskDevice;
  source: DiskSource;
  /** Unset: libvirt's defaults. On update, `name`/`type` left undefined keep what libvirt filled in; cache/discard are removed. */
  driver?: DiskDriver;
  target: {
    /** Guest device name: vda, sda, hdc, xvda, ... The disk's identity for updates and hot-plug. */
    dev: string;
    /** Unset: libvirt infers it from `dev` and fills it in. */
    bus?: DiskBus;
  };
  readonly?: boolean;
  /** Serial number the guest sees. */
  serial?: string;
  /** `<boot order=N>`: per-device boot order (cannot be mixed with `os.boot`). */
  bootOrder?: number;
}

const SOURCE_TYPES = new Set(["file", "block", "volume", "network"]);

/** Whether we model this `<disk>` (file, block, volume or network); others (nvme, dir, vhostuser) are extras. */
export function isManagedDisk(el: XmlElement): boolean {
  return SOURCE_TYPES.has(attr(el, "type") ?? "file");
}

/** A disk's identity: its target device. */
export const diskKey = (d: DomainDisk): string => d.target.dev;
export const diskElementKey = (el: XmlElement): string => attr(child(el, "target"), "dev") ?? "";

/** Reads one `<disk>`. */
export function parseDisk(el: XmlElement, where: string): DomainDisk {
  const type = attr(el, "type") ?? "file";
  const dev = attr(child(el, "target"), "dev");
  if (dev === undefined) throw new XmlError(`${where}: <disk> without <target dev=...>`);
  const here = `${where} disk '${dev}'`;
  const src = child(el, "source");
  let source: DiskSource;
  switch (type) {
    case "file": {
      const path = attr(src, "file");
      source = path === undefined ? { type } : { type, path };
      break;
    }
    case "block":
      source = { type, dev: attr(src, "dev") ?? "" };
      break;
    case "volume":
      source = { type, pool: attr(src, "pool") ?? "", volume: attr(src, "volume") ?? "" };
      break;
    case "network": {
      const protocol = attr(src, "protocol");
      if (protocol === undefined) throw new XmlError(`${here}: network disk without <source protocol=...>`);
      source = { type, protocol };
      const name = attr(src, "name");
      if (name !== undefined) source.name = name;
      const hosts = src === undefined ? [] : children(src, "host").map((h) => readHost(h, here));
      if (hosts.length > 0) source.hosts = hosts;
      break;
    }
    default:
      throw new XmlError(`${here}: disk type '${type}' is not modelled (managed: file, block, volume, network)`);
  }
  const drv = child(el, "driver");
  const driver =
    drv === undefined
      ? undefined
      : defined<DiskDriver>({ name: attr(drv, "name"), type: attr(drv, "type"), cache: attr(drv, "cache"), discard: attr(drv, "discard") });
  const disk = defined<DomainDisk>({
    device: attr(el, "device") as DiskDevice | undefined,
    source,
    driver: driver !== undefined && Object.keys(driver).length > 0 ? driver : undefined,
    target: defined({ dev, bus: attr(child(el, "target"), "bus") }),
    readonly: child(el, "readonly") !== undefined ? true : undefined,
    serial: text(child(el, "serial")),
    bootOrder: intAttr(child(el, "boot"), "order", here),
  });
  return readInfo(el, disk);
}

function readHost(h: XmlElement, where: string): NetworkDiskHost {
  const host: NetworkDiskHost = { name: attr(h, "name") ?? attr(h, "socket") ?? "" };
  const port = attr(h, "port");
  if (port !== undefined) host.port = parseIntStrict(port, `${where} host port`);
  const transport = attr(h, "transport");
  if (transport !== undefined) host.transport = transport;
  return host;
}

/** Builds one `<disk>` (for define or hot-plug). Read-only fields are not written. */
export function buildDisk(d: DomainDisk): XmlElement {
  const el = element("disk", { type: d.source.type, device: d.device });
  if (d.driver !== undefined && Object.values(d.driver).some((v) => v !== undefined)) el.children.push(element("driver", { ...d.driver }));
  const src = buildSource(d.source);
  if (src !== undefined) el.children.push(src);
  el.children.push(element("target", { dev: d.target.dev, bus: d.target.bus }));
  if (d.readonly === true) el.children.push(element("readonly"));
  if (d.serial !== undefined) el.children.push(textElement("serial", d.serial));
  if (d.bootOrder !== undefined) el.children.push(element("boot", { order: d.bootOrder }));
  return el;
}

function buildSource(s: DiskSource): XmlElement | undefined {
  switch (s.type) {
    case "file":
      return s.path === undefined ? undefined : element("source", { file: s.path });
    case "block":
      return element("source", { dev: s.dev });
    case "volume":
      return element("source", { pool: s.pool, volume: s.volume });
    case "network":
      return element("source", { protocol: s.protocol, name: s.name }, (s.hosts ?? []).map(hostElement));
  }
}

const hostElement = (h: NetworkDiskHost): XmlElement => element("host", { name: h.name, port: h.port, transport: h.transport });

/**
 * Edits an existing `<disk>` in place: type, device, source, driver, bus, readonly, serial and boot order.
 * Unknown attributes and children (address, alias, iotune, encryption, backingStore, the live source
 * `index`, driver io/iothread) are kept. Driver name/type and target bus left undefined keep libvirt's
 * values; cache and discard left undefined (or no driver at all) are removed.
 */
export function applyDisk(el: XmlElement, d: DomainDisk): void {
  const oldType = attr(el, "type") ?? "file";
  setAttr(el, "type", d.source.type);
  if (attr(el, "device") !== undefined || d.device !== undefined) setAttr(el, "device", d.device ?? "disk");
  applySource(el, d.source, oldType);
  const want = d.driver ?? {};
  const cur = child(el, "driver");
  if (cur !== undefined || Object.values(want).some((v) => v !== undefined)) {
    const drv = cur ?? ensureChild(el, "driver", { after: before(DISK_ORDER, "driver") });
    for (const k of ["name", "type"] as const) if (want[k] !== undefined) setAttr(drv, k, want[k]);
    setAttr(drv, "cache", want.cache);
    setAttr(drv, "discard", want.discard);
  }
  const target = ensureChild(el, "target", { after: before(DISK_ORDER, "target") });
  setAttr(target, "dev", d.target.dev);
  if (d.target.bus !== undefined) setAttr(target, "bus", d.target.bus);
  setFlag(el, "readonly", d.readonly, before(DISK_ORDER, "readonly"));
  setChildText(el, "serial", d.serial, before(DISK_ORDER, "serial"));
  setChildAttr(el, "boot", "order", d.bootOrder, before(DISK_ORDER, "boot"));
}

function applySource(el: XmlElement, s: DiskSource, oldType: string): void {
  const fresh = buildSource(s);
  const cur = child(el, "source");
  if (fresh === undefined) {
    removeChildren(el, "source");
    return;
  }
  if (cur === undefined || oldType !== s.type) {
    removeChildren(el, "source");
    removeChildren(el, "backingStore"); // it described the old image
    insertChild(el, fresh, before(DISK_ORDER, "source"));
    return;
  }
  const changed = fresh.attrs.some(([k, v]) => attr(cur, k) !== v) || (s.type === "network" && hostsDiffer(cur, s.hosts ?? []));
  if (!changed) return;
  // A new image: attributes that described the old one (the live `index`) and its backing chain go.
  for (const k of ["file", "dev", "pool", "volume", "protocol", "name", "index"]) setAttr(cur, k, undefined);
  for (const [k, v] of fresh.attrs) setAttr(cur, k, v);
  removeChildren(el, "backingStore");
  if (s.type === "network") {
    const at = cur.children.findIndex((c) => c.kind === "element" && c.name === "host");
    removeChildren(cur, "host");
    cur.children.splice(at >= 0 ? at : 0, 0, ...(s.hosts ?? []).map(hostElement));
  }
}

function hostsDiffer(src: XmlElement, hosts: NetworkDiskHost[]): boolean {
  const cur = children(src, "host");
  return (
    cur.length !== hosts.length ||
    hosts.some(
      (h, i) =>
        attr(cur[i], "name") !== h.name ||
        attr(cur[i], "port") !== (h.port === undefined ? undefined : String(h.port)) ||
        attr(cur[i], "transport") !== h.transport,
    )
  );
}
