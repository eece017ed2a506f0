/**
 * `<domainsnapshot>`: a domain snapshot (https://libvirt.org/formatsnapshot.html). Build takes what a user
 * declares; parse reads what libvirt made of it (creation time, state, parent, per-disk kind and overlay file).
 */
import { XmlError, parseXml, serializeXml } from "./document";
import { attr, child, children, element, path, text, textElement } from "./tree";

/** How a disk or the memory is captured: inside the qcow2 image, in a new overlay/state file, or not at all. */
export type SnapshotKind = "internal" | "external" | "no";

export interface SnapshotDiskSpec {
  /** Target device (vda, sdb, ...). */
  name: string;
  snapshot: SnapshotKind;
  /** For an external disk snapshot: the overlay file; unset: libvirt names it beside the image. */
  file?: string;
}

export interface DomainSnapshotSpec {
  name: string;
  description?: string;
  /** Memory state: internal (with internal disk snapshots), external (a file), or no (disk only). */
  memory?: { snapshot: SnapshotKind; file?: string };
  disks?: SnapshotDiskSpec[];
}

export interface DomainSnapshotState {
  name: string;
  description?: string;
  /** Seconds since the epoch. */
  creationTime?: number;
  /** The domain's state when taken: running, paused, shutoff, disk-snapshot. */
  state?: string;
  parent?: string;
  memory?: { snapshot: string; file?: string };
  disks: { name: string; snapshot: string; file?: string }[];
}

/** XML for virDomainSnapshotCreateXML. */
export function buildSnapshotXml(s: DomainSnapshotSpec): string {
  const root = element("domainsnapshot", {}, [textElement("name", s.name)]);
  if (s.description !== undefined) root.children.push(textElement("description", s.description));
  if (s.memory !== undefined) root.children.push(element("memory", { snapshot: s.memory.snapshot, file: s.memory.file }));
  if (s.disks !== undefined && s.disks.length > 0) {
    root.children.push(
      element(
        "disks",
        {},
        s.disks.map((d) => element("disk", { name: d.name, snapshot: d.snapshot }, d.file !== undefined ? [element("source", { file: d.file })] : [])),
      ),
    );
  }
  return serializeXml(root);
}

/** Reads a snapshot's XML as virDomainSnapshotGetXMLDesc returns it. */
export function parseSnapshotXml(xml: string): DomainSnapshotState {
  const root = parseXml(xml);
  if (root.name !== "domainsnapshot") throw new XmlError(`expected <domainsnapshot>, got <${root.name}>`);
  const name = text(child(root, "name"));
  if (name === undefined) throw new XmlError("<domainsnapshot> has no <name>");
  const created = text(child(root, "creationTime"));
  const memory = child(root, "memory");
  const out: DomainSnapshotState = {
    name,
    disks: children(child(root, "disks") ?? element("disks"), "disk").map((d) => {
      const file = attr(child(d, "source"), "file");
      return { name: attr(d, "name") ?? "", snapshot: attr(d, "snapshot") ?? "no", ...(file !== undefined ? { file } : {}) };
    }),
  };
  const description = text(child(root, "description"));
  if (description !== undefined) out.description = description;
  if (created !== undefined) out.creationTime = Number(created);
  const state = text(child(root, "state"));
  if (state !== undefined) out.state = state;
  const parent = text(path(root, "parent", "name"));
  if (parent !== undefined) out.parent = parent;
  if (memory !== undefined)
    out.memory = { snapshot: attr(memory, "snapshot") ?? "no", ...(attr(memory, "file") !== undefined ? { file: attr(memory, "file")! } : {}) };
  return out;
}
