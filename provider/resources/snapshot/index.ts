import {
  DomainRef,
  DomainSnapshotCreateFlags,
  DomainSnapshotRef,
  DomainXMLFlags,
  ErrorNumber,
  Libvirt,
  LibvirtError,
  NotSupportedError,
  uuidString,
} from "../../libvirt";
import { containsUnknown } from "../../diff";
import { buildSnapshotXml, DomainDisk, parseDomainXml, parseSnapshotXml, SnapshotDiskSpec } from "../../xml";
import { connect, resolveUri } from "../connections";
import { CheckFailure, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { makeResource } from "../resource";
import { orNull } from "../specs";
import { snapshotSpec } from "./spec";
import type { ConnectionInput } from "../shapes";

const label = (p: Props) => `virt:DomainSnapshot ${String(p["domain"])}/${String(p["name"])}`;

/** The id: the domain's UUID and the snapshot's name (a snapshot's name is unique only for its domain). */
const idOf = (domUuid: string, name: string) => `${domUuid}/${name}`;
const parseId = (id: string): { uuid: string; name: string } => {
  const i = id.indexOf("/");
  return { uuid: id.slice(0, i), name: id.slice(i + 1) };
};

/** A writable disk (what a snapshot captures): not a CD-ROM, not read-only. */
const isWritable = (d: DomainDisk) => (d.device ?? "disk") === "disk" && d.readonly !== true;

/**
 * What only the host can tell, before anything is made: an internal snapshot needs every writable disk in qcow2,
 * and a running domain's internal snapshot always holds the memory state. Empty when fine.
 */
export function hostProblems(p: Props, disks: DomainDisk[], running: boolean): CheckFailure[] {
  const f: CheckFailure[] = [];
  const kind = p["kind"] ?? "internal";
  const who = label(p);
  if (kind === "internal") {
    const notQcow2 = disks.filter((d) => isWritable(d) && d.driver?.type !== "qcow2");
    if (notQcow2.length > 0) {
      f.push({
        property: "kind",
        reason:
          `${who}: kind "internal" needs every writable disk in qcow2 (the snapshot lives inside the image), but ` +
          `${notQcow2.map((d) => `${d.target.dev} is ${d.driver?.type ?? "raw"}`).join(", ")}${p["memory"] !== false && running ? " (a memory snapshot included)" : ""}: ` +
          `use kind "external" (disk-only overlays, any format), or qcow2 disks`,
      });
    }
    if (running && p["memory"] === false) {
      f.push({
        property: "memory",
        reason: `${who}: memory false: an internal snapshot of a running domain always holds its memory state (QEMU's savevm); leave memory out, use kind "external", or shut the domain off first`,
      });
    }
  } else if (p["memory"] === true) {
    f.push({
      property: "memory",
      reason: `${who}: memory true with kind "external": only disk-only external snapshots are supported; use kind "internal" for one with memory`,
    });
  }
  const targets = new Set(disks.map((d) => d.target.dev));
  for (const o of (p["overlays"] as { target: string }[] | undefined) ?? []) {
    if (kind !== "external") f.push({ property: "overlays", reason: `${who}: overlays are for kind "external" only` });
    else if (!targets.has(o.target))
      f.push({ property: "overlays", reason: `${who}: overlays: the domain has no disk ${o.target} (it has ${[...targets].join(", ") || "none"})` });
  }
  return f;
}

async function lookupDomain(lv: Libvirt, p: Props): Promise<DomainRef> {
  const dom = await orNull(lv.domains.lookupByName(p["domain"] as string));
  if (dom === null)
    throw new ResourceInputError(`${label(p)}: domain: no domain named "${String(p["domain"])}" on ${lv.uri}; pass a Domain's name output so it is made first`);
  return dom;
}

async function observe(lv: Libvirt, snap: DomainSnapshotRef): Promise<Props> {
  const [xml, current] = await Promise.all([lv.domains.snapshotGetXMLDesc(snap), lv.domains.snapshotIsCurrent(snap)]);
  const s = parseSnapshotXml(xml);
  return {
    creationTime: s.creationTime,
    state: s.state,
    parent: s.parent,
    current,
    files: s.disks.filter((d) => d.snapshot === "external" && d.file !== undefined).map((d) => d.file!),
  };
}

/** Takes the snapshot (create's work). */
async function take(lv: Libvirt, p: Props): Promise<{ id: string; outs: Props }> {
  const who = label(p);
  const name = p["name"] as string;
  const dom = await lookupDomain(lv, p);
  const id = idOf(uuidString(dom.uuid), name);
  const existing = await orNull(lv.domains.snapshotLookupByName(dom, name));
  if (existing !== null) {
    if (p["adopt"] !== true)
      throw new ResourceInputError(`${who}: the domain already has a snapshot named "${name}"; set adopt: true to manage it, or choose another name`);
    return { id, outs: await observe(lv, existing) };
  }
  const [running, xml] = await Promise.all([lv.domains.isActive(dom), lv.domains.getXMLDesc(dom, DomainXMLFlags.INACTIVE)]);
  const disks = parseDomainXml(xml).devices.disks ?? [];
  const problems = hostProblems(p, disks, running);
  if (problems.length > 0) throw new ResourceInputError(problems.map((f) => f.reason).join("; "));
  const description = p["description"] as string | undefined;
  let flags = 0;
  let spec: Parameters<typeof buildSnapshotXml>[0] = { name, ...(description !== undefined ? { description } : {}) };
  if (p["kind"] === "external") {
    const files = new Map(((p["overlays"] as { target: string; file: string }[] | undefined) ?? []).map((o) => [o.target, o.file]));
    const diskSpecs: SnapshotDiskSpec[] = disks.map((d) => {
      if (!isWritable(d)) return { name: d.target.dev, snapshot: "no" };
      const file = files.get(d.target.dev);
      return { name: d.target.dev, snapshot: "external", ...(file !== undefined ? { file } : {}) };
    });
    spec = { ...spec, memory: { snapshot: "no" }, disks: diskSpecs };
    flags = DomainSnapshotCreateFlags.DISK_ONLY | DomainSnapshotCreateFlags.ATOMIC;
  }
  report(`${who}: taking ${p["kind"] === "external" ? "a disk-only external" : running ? "an internal (disks and memory)" : "an internal (disks)"} snapshot`);
  const snap = await lv.domains.snapshotCreateXML(dom, buildSnapshotXml(spec), flags);
  return { id, outs: await observe(lv, snap) };
}

const base = makeResource({
  spec: snapshotSpec,
  deleteBeforeReplace: true,

  async create(lv, p) {
    try {
      return await take(lv, p);
    } catch (e) {
      // e.g. Xen's libxl driver, which implements no snapshot call.
      if (e instanceof NotSupportedError)
        throw new ResourceInputError(`${label(p)}: the libvirt driver on ${lv.uri} does not support snapshots (${e.message}); nothing was taken`);
      throw e;
    }
  },

  async read(lv, id, props) {
    const { uuid, name } = parseId(id);
    const dom = await orNull(lv.domains.lookupByUUID(uuid));
    const snap = dom === null ? null : await orNull(lv.domains.snapshotLookupByName(dom, name));
    return snap === null ? null : { ...props, ...(await observe(lv, snap)) };
  },

  // Every input replaces: nothing is updated in place.
  async update(lv, id, _p, _olds, _news) {
    const { uuid, name } = parseId(id);
    return observe(lv, await lv.domains.snapshotLookupByName(await lv.domains.lookupByUUID(uuid), name));
  },

  async delete(lv, id, props) {
    const { uuid, name } = parseId(id);
    const dom = await orNull(lv.domains.lookupByUUID(uuid));
    if (dom === null) return; // the domain went, and its snapshots' metadata with it
    const snap = await orNull(lv.domains.snapshotLookupByName(dom, name));
    if (snap === null) return;
    try {
      await lv.domains.snapshotDelete(snap, 0);
    } catch (e) {
      if (e instanceof LibvirtError && e.libvirtCode !== ErrorNumber.NO_DOMAIN) {
        throw new Error(
          `${label(props)}: libvirt would not delete the snapshot: ${e.message}. Nothing was removed; the snapshot stays in the state. ` +
            `For an external snapshot, libvirt merges the overlay back only where it can (e.g. not while a child snapshot depends on it)`,
          { cause: e },
        );
      }
      throw e;
    }
  },
});

/** virt:DomainSnapshot. Check also asks the host (when the domain already exists) what would make the create fail. */
export const domainSnapshot: ResourceImpl = {
  ...base,
  async check(olds, news) {
    const r = await base.check(olds, news);
    // Only for a snapshot about to be taken: an existing one is immutable, whatever its domain became since.
    if (Object.keys(olds).length > 0 || r.failures.length > 0 || containsUnknown(r.inputs["domain"]) || containsUnknown(r.inputs["connection"])) return r;
    try {
      const lv = await connect(resolveUri(r.inputs["connection"] as ConnectionInput | undefined));
      const dom = await orNull(lv.domains.lookupByName(r.inputs["domain"] as string));
      if (dom === null) return r; // made later in this same up
      const [running, xml] = await Promise.all([lv.domains.isActive(dom), lv.domains.getXMLDesc(dom, DomainXMLFlags.INACTIVE)]);
      return { ...r, failures: hostProblems(r.inputs, parseDomainXml(xml).devices.disks ?? [], running) };
    } catch {
      return r; // the host cannot be asked now: create checks again
    }
  },
};

export { snapshotSpec } from "./spec";
