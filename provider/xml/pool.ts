/**
 * `<pool>`: a storage pool (https://libvirt.org/formatstorage.html), the pool types we manage.
 */
import { Permissions, applyPermissions, buildPermissions, parsePermissions, readBytes } from "./common";
import { XmlElement, XmlError, parseXml, serializeXml } from "./document";
import { attr, child, children, element, ensureChild, parseIntStrict, path, requireAttr, setAttr, setChildText, syncChildren, text, textElement } from "./tree";

/** Pool types this provider manages (libvirt's `<pool type=...>`). */
export type PoolType = StoragePool["type"];

/** `<target>`: where the pool's volumes appear on the host. */
export interface PoolTarget {
  /** Directory (dir, fs, netfs), device directory (/dev/VG for logical, /dev or /dev/disk/by-path). */
  path: string;
  /** Permissions of the target directory. Unset: libvirt's (for a started dir pool, the directory's). */
  permissions?: Permissions;
}

interface PoolCommon {
  /** Pool name, unique on the host. */
  name: string;
  target: PoolTarget;
}

/** A directory on the host. */
export interface DirPool extends PoolCommon {
  type: "dir";
}
/** A local filesystem mounted on the target by libvirt. libvirt fills `format` "auto" when unset. */
export interface FsPool extends PoolCommon {
  type: "fs";
  source: { device: string; format?: string };
}
/** A network filesystem; `format` unset reads back as "auto". */
export interface NetfsPool extends PoolCommon {
  type: "netfs";
  source: { host: string; dir: string; format?: "nfs" | "cifs" | "glusterfs" | "auto" | (string & {}) };
}
/** An LVM volume group `name`, optionally made from `devices`. libvirt fills `format` "lvm2". */
export interface LogicalPool extends PoolCommon {
  type: "logical";
  source: { name: string; devices?: string[]; format?: string };
}
/** A whole disk partitioned by libvirt; `format` unset reads back as "unknown". */
export interface DiskPool extends PoolCommon {
  type: "disk";
  source: { device: string; format?: "dos" | "gpt" | "mac" | "bsd" | "pc98" | "sun" | "dvh" | "lvm2" | "unknown" | (string & {}) };
}
/** An iSCSI target: `device` is the target IQN. */
export interface IscsiPool extends PoolCommon {
  type: "iscsi";
  source: { host: string; port?: number; device: string };
}

/** A storage pool as the user declares it (what build and apply take). */
export type StoragePool = DirPool | FsPool | NetfsPool | LogicalPool | DiskPool | IscsiPool;

/** A pool as read back: the declaration plus what libvirt reports. Sizes in bytes. */
export type StoragePoolState = StoragePool & {
  uuid?: string;
  capacity?: number;
  allocation?: number;
  available?: number;
};

const POOL_TYPES = new Set(["dir", "fs", "netfs", "logical", "disk", "iscsi"]);
// libvirt's order of <pool> and <source> children, used to place new elements.
const POOL_ORDER = ["name", "uuid", "capacity", "allocation", "available", "source", "target"];
const SOURCE_ORDER = ["host", "device", "dir", "adapter", "name", "format"];
const before = (order: string[], name: string): string[] => order.slice(0, order.indexOf(name));

/** Builds the XML for virStoragePoolDefineXML. */
export function buildPoolXml(spec: StoragePool, uuid?: string): string {
  const pool = element("pool", { type: spec.type }, [textElement("name", spec.name), ...(uuid !== undefined ? [textElement("uuid", uuid)] : [])]);
  const source = buildSource(spec);
  if (source !== undefined) pool.children.push(source);
  const target = element("target", {}, [textElement("path", spec.target.path)]);
  if (spec.target.permissions !== undefined) target.children.push(buildPermissions(spec.target.permissions));
  pool.children.push(target);
  return serializeXml(pool);
}

function buildSource(spec: StoragePool): XmlElement | undefined {
  const format = (type: string | undefined) => (type === undefined ? [] : [element("format", { type })]);
  switch (spec.type) {
    case "dir":
      return undefined;
    case "fs":
    case "disk":
      return element("source", {}, [element("device", { path: spec.source.device }), ...format(spec.source.format)]);
    case "netfs":
      return element("source", {}, [element("host", { name: spec.source.host }), element("dir", { path: spec.source.dir }), ...format(spec.source.format)]);
    case "logical":
      return element("source", {}, [
        ...(spec.source.devices ?? []).map((p) => element("device", { path: p })),
        textElement("name", spec.source.name),
        ...format(spec.source.format),
      ]);
    case "iscsi":
      return element("source", {}, [element("host", { name: spec.source.host, port: spec.source.port }), element("device", { path: spec.source.device })]);
  }
}

/**
 * Reads virStoragePoolGetXMLDesc output.
 * @throws XmlError if the root is not `<pool>`, the type is not one we manage, or a required part is missing.
 */
export function parsePoolXml(xml: string): StoragePoolState {
  return readPool(parseXml(xml));
}

function readPool(root: XmlElement): StoragePoolState {
  if (root.name !== "pool") throw new XmlError(`expected <pool>, got <${root.name}>`);
  const type = attr(root, "type") ?? "";
  if (!POOL_TYPES.has(type)) throw new XmlError(`pool: unsupported pool type '${type}' (managed: ${[...POOL_TYPES].join(", ")})`);
  const name = text(child(root, "name"));
  if (name === undefined) throw new XmlError("pool: no <name>");
  const where = `pool '${name}'`;
  const tgt = child(root, "target");
  const tpath = text(path(tgt, "path"));
  if (tpath === undefined) throw new XmlError(`${where}: no <target><path>`);
  const target: PoolTarget = { path: tpath };
  const perms = parsePermissions(path(tgt, "permissions"), `${where} target permissions`);
  if (perms !== undefined) target.permissions = perms;

  const src = child(root, "source") ?? element("source");
  const format = attr(child(src, "format"), "type");
  const needAttr = (el: string, a: string): string => {
    const e = child(src, el);
    if (e === undefined) throw new XmlError(`${where}: no <source><${el}>`);
    return requireAttr(e, a, `${where} source`);
  };
  const withFormat = <T extends object>(o: T): T & { format?: string } => (format === undefined ? o : { ...o, format });
  let pool: StoragePool;
  switch (type) {
    case "dir":
      pool = { type, name, target };
      break;
    case "fs":
    case "disk":
      pool = { type, name, target, source: withFormat({ device: needAttr("device", "path") }) } as FsPool | DiskPool;
      break;
    case "netfs":
      pool = { type, name, target, source: withFormat({ host: needAttr("host", "name"), dir: needAttr("dir", "path") }) };
      break;
    case "logical": {
      const vg = text(child(src, "name"));
      if (vg === undefined) throw new XmlError(`${where}: no <source><name> (volume group)`);
      const devices = children(src, "device").map((d) => requireAttr(d, "path", `${where} source`));
      pool = { type, name, target, source: withFormat({ name: vg, ...(devices.length > 0 ? { devices } : {}) }) };
      break;
    }
    default: {
      const port = attr(child(src, "host"), "port");
      const source: IscsiPool["source"] = { host: needAttr("host", "name"), device: needAttr("device", "path") };
      if (port !== undefined) source.port = parseIntStrict(port, `${where} source host port`);
      pool = { type: "iscsi", name, target, source };
    }
  }
  const state: StoragePoolState = pool;
  const uuid = text(child(root, "uuid"));
  if (uuid !== undefined) state.uuid = uuid;
  for (const k of ["capacity", "allocation", "available"] as const) {
    const v = readBytes(root, k, where);
    if (v !== undefined) state[k] = v;
  }
  return state;
}

/**
 * Edits a pool's current XML to match `spec` (for virStoragePoolDefineXML on update), keeping every
 * element and attribute we do not manage (uuid, sizes, source auth/initiator/adapter, ...).
 * Unset optional fields that libvirt fills in itself (source format, target permissions, logical devices)
 * are kept as they are; an iSCSI port left unset is removed. A changed `type` replaces `<source>`.
 */
export function applyPoolXml(currentXml: string, spec: StoragePool): string {
  const root = parseXml(currentXml);
  if (root.name !== "pool") throw new XmlError(`expected <pool>, got <${root.name}>`);
  setChildText(root, "name", spec.name, []);
  if (attr(root, "type") !== spec.type) {
    setAttr(root, "type", spec.type);
    const fresh = buildSource(spec);
    const i = root.children.findIndex((c) => c.kind === "element" && c.name === "source");
    if (i >= 0) root.children.splice(i, 1, ...(fresh === undefined ? [] : [fresh]));
    else if (fresh !== undefined) ensureChildAt(root, fresh);
  } else if (spec.type !== "dir") {
    applySource(ensureChild(root, "source", { after: before(POOL_ORDER, "source") }), spec);
  }
  const target = ensureChild(root, "target", { after: before(POOL_ORDER, "target") });
  setChildText(target, "path", spec.target.path, []);
  applyPermissions(target, spec.target.permissions, ["path"]);
  return serializeXml(root);
}

function ensureChildAt(root: XmlElement, el: XmlElement): void {
  const at = root.children.findIndex((c) => c.kind === "element" && c.name === "target");
  root.children.splice(at >= 0 ? at : root.children.length, 0, el);
}

function applySource(src: XmlElement, spec: Exclude<StoragePool, DirPool>): void {
  const setIn = (name: string, a: string, value: string | number | undefined) => {
    if (value === undefined && child(src, name) === undefined) return;
    setAttr(ensureChild(src, name, { after: before(SOURCE_ORDER, name) }), a, value);
  };
  if (spec.type !== "iscsi" && spec.source.format !== undefined) setIn("format", "type", spec.source.format);
  switch (spec.type) {
    case "fs":
    case "disk":
      setIn("device", "path", spec.source.device);
      break;
    case "netfs":
      setIn("host", "name", spec.source.host);
      setIn("dir", "path", spec.source.dir);
      break;
    case "logical":
      setChildText(src, "name", spec.source.name, before(SOURCE_ORDER, "name"));
      if (spec.source.devices !== undefined) {
        syncChildren(src, "device", spec.source.devices, {
          keyOf: (p) => p,
          keyOfElement: (e) => attr(e, "path") ?? "",
          create: (p) => element("device", { path: p }),
          update: () => undefined,
          after: before(SOURCE_ORDER, "device"),
        });
      }
      break;
    case "iscsi":
      setIn("host", "name", spec.source.host);
      setIn("host", "port", spec.source.port);
      setIn("device", "path", spec.source.device);
  }
}
