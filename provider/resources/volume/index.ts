import { Libvirt, StorageVolResizeFlags, toSafeNumber, VolRef } from "../../libvirt";
import { buildVolumeXml, parseVolumeXml, Volume } from "../../xml";
import { formatSize } from "../../diff";
import { CheckFailure, PartialCreateError, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { connect, resolveUri, stateUri } from "../connections";
import { volumeUsers } from "./users";
import { makeResource } from "../resource";
import { existsSync, statSync } from "node:fs";
import { isUnknown } from "../../diff";
import { CHECKSUM_RE, openSource, urlProblem, withProgress } from "./source";
import { volumeSpec } from "./spec";
import { whilePoolBusy } from "../retry";
import { findPool, orNull } from "../specs";
import { journal } from "../ownership";
import { undo, undoOutcome } from "../retry";
import { createHash } from "node:crypto";
import type { ConnectionInput, VolumeInputs } from "../shapes";
import type { VolumeBackingStoreInput, VolumeRefInput } from "../shapes";

const label = (p: Props): string => `virt:Volume ${String(p["name"])}`;

function validate(inputs: Props, olds: Props | undefined): CheckFailure[] {
  const f: CheckFailure[] = [];
  const origins = (["backingStore", "cloneOf", "source"] as const).filter((k) => inputs[k] !== undefined);
  if (origins.length > 1) {
    f.push({ property: origins[1]!, reason: `${origins.join(" and ")} cannot be combined: a volume starts from one of backingStore, cloneOf or source` });
  }
  if (inputs["capacity"] === undefined && origins.length === 0) {
    f.push({ property: "capacity", reason: 'capacity is required for an empty volume: give a size such as "20GiB", or a source, cloneOf or backingStore' });
  }
  const source = inputs["source"];
  if (typeof source === "string" && !isUnknown(source)) {
    if (/^https?:\/\//i.test(source)) {
      const problem = urlProblem(source);
      if (problem !== undefined) f.push({ property: "source", reason: `source: ${problem}` });
    } else if (!source.startsWith("/")) {
      f.push({ property: "source", reason: `source: "${source}" must be an absolute file path (on the machine running Pulumi) or an http(s) URL` });
    } else if (olds?.["source"] === source) {
      // Already used: the file may be gone since, and is not read again.
    } else if (!existsSync(source)) {
      f.push({
        property: "source",
        reason: `source: ${source} does not exist on the machine running Pulumi (a local source is read there, not on the libvirt host)`,
      });
    } else if (!statSync(source).isFile()) {
      f.push({ property: "source", reason: `source: ${source} is not a regular file` });
    }
  }
  const checksum = inputs["checksum"];
  if (typeof checksum === "string" && !isUnknown(checksum)) {
    if (!CHECKSUM_RE.test(checksum))
      f.push({ property: "checksum", reason: `checksum: "${checksum}" is not "sha256:" and 64 hex digits, or "sha512:" and 128` });
    if (inputs["source"] === undefined) f.push({ property: "checksum", reason: "checksum: verifies a source; give source, or remove checksum" });
  }
  const b = inputs["backingStore"] as VolumeBackingStoreInput | undefined;
  if (b !== undefined) {
    if ((b.volume === undefined) === (b.path === undefined))
      f.push({ property: "backingStore", reason: "backingStore takes either volume (a volume name) or path (an image path), not both or neither" });
    if (inputs["format"] !== "qcow2")
      f.push({ property: "format", reason: `format "${String(inputs["format"])}" cannot have a backing store; use qcow2 for copy-on-write` });
  }
  const oldCap = olds?.["capacity"];
  const newCap = inputs["capacity"];
  if (typeof oldCap === "number" && typeof newCap === "number" && newCap < oldCap && inputs["allowShrink"] !== true) {
    f.push({
      property: "capacity",
      reason: `capacity ${formatSize(oldCap)} → ${formatSize(newCap)} would shrink the volume and lose the data past ${formatSize(newCap)}; set allowShrink: true to allow it, or keep ${formatSize(oldCap)}`,
    });
  }
  return f;
}

async function findVolume(lv: Libvirt, ref: VolumeRefInput, defaultPool: string, who: string, what: string): Promise<VolRef> {
  const pool = await findPool(lv, ref.pool ?? defaultPool, who);
  const vol = await orNull(lv.volumes.lookupByName(pool, ref.volume));
  if (vol === null) throw new ResourceInputError(`${who}: ${what} volume "${ref.volume}" does not exist in pool "${ref.pool ?? defaultPool}"`);
  return vol;
}

async function sizes(lv: Libvirt, vol: VolRef): Promise<Props> {
  const i = await lv.volumes.getInfo(vol);
  return {
    key: vol.key,
    path: await lv.volumes.getPath(vol),
    capacityBytes: toSafeNumber(i.capacity, "volume capacity"),
    allocationBytes: toSafeNumber(i.allocation, "volume allocation"),
  };
}

/** The model for the create XML, with the backing store resolved to a path. */
function toModel(p: Props, capacity: number): Volume {
  const i = p as unknown as VolumeInputs;
  const m: Volume = { name: i.name, capacity, format: i.format! };
  if (i.permissions !== undefined) m.permissions = i.permissions as Volume["permissions"];
  const b = i.backingStore;
  if (b?.path !== undefined) m.backingStore = { path: b.path, format: b.format ?? "qcow2" };
  return m;
}

/**
 * Adopting a volume that is to hold `source`: accepted only when its bytes are the source's — its capacity is at
 * least the source's size, and the digest of its first `size` bytes (downloaded) equals `checksum` when given,
 * else the source's own SHA-256. A partial upload (same capacity, wrong bytes) is refused, never recorded as done.
 */
async function verifyAdopted(lv: Libvirt, vol: VolRef, source: string, checksum: string | undefined, who: string): Promise<void> {
  const src = await openSource(source, who);
  const capacity = toSafeNumber((await lv.volumes.getInfo(vol)).capacity, "capacity");
  const fix = `delete it (virsh vol-delete --pool ${vol.pool} ${vol.name}) so the next up uploads it again, or remove source from the inputs to adopt it as it is`;
  const close = (): void => (src.chunks as unknown as { destroy?: () => void }).destroy?.();
  if (capacity < src.size) {
    close();
    throw new ResourceInputError(`${who}: not adopted: the volume holds ${capacity} bytes but its source ${source} has ${src.size}; ${fix}`);
  }
  // With a checksum the volume is compared with it (the source is not read again); else with the source's bytes.
  const [algorithm, expected] = checksum !== undefined ? (checksum.split(":") as [string, string]) : ["sha256", undefined];
  let want: string;
  if (expected !== undefined) {
    close();
    want = expected.toLowerCase();
  } else {
    const h = createHash(algorithm);
    for await (const c of src.chunks) h.update(c);
    want = h.digest("hex");
  }
  const have = createHash(algorithm);
  for await (const c of await lv.volumes.download(vol, { length: src.size })) have.update(c);
  const got = have.digest("hex");
  if (got !== want) {
    throw new ResourceInputError(
      `${who}: not adopted: the volume's first ${src.size} bytes (${algorithm} ${got}) are not ${expected !== undefined ? `the checksum ${want}` : `its source ${source} (${algorithm} ${want})`}; it may be a partial upload; ${fix}`,
    );
  }
}

const base = makeResource({
  spec: volumeSpec,
  validate,
  deleteBeforeReplace: true,

  async create(lv, p) {
    const who = label(p);
    const i = p as unknown as VolumeInputs;
    const poolName = i.pool;
    const pool = await findPool(lv, poolName, who);
    const existing = await orNull(lv.volumes.lookupByName(pool, i.name));
    const entry = journal.entry("volume", p, lv.uri, poolName, i.name);
    if (existing !== null) {
      if (journal.pending(entry)) {
        // An earlier create of this resource was interrupted after making it: its content is unknown (a partial
        // upload or copy), and nothing used it yet. Made again from scratch.
        report(`${who}: an interrupted create of this resource left the volume behind; deleting it and creating it again`);
        await whilePoolBusy(() => lv.volumes.delete(existing));
      } else if (p["adopt"] !== true) {
        throw new ResourceInputError(
          `${who}: a volume named "${String(p["name"])}" already exists in pool "${poolName}" on ${lv.uri}; set adopt: true to manage it, or choose another name`,
        );
      } else {
        if (i.source !== undefined) await verifyAdopted(lv, existing, i.source, i.checksum, who);
        return { id: existing.key, outs: await sizes(lv, existing) };
      }
    }
    journal.begin(entry);
    const vol = await (async (): Promise<VolRef> => {
      let capacity = i.capacity;
      let vol: VolRef;
      const clone = i.cloneOf;
      const backing = i.backingStore;
      if (clone !== undefined) {
        const src = await findVolume(lv, clone, poolName, who, "cloneOf");
        const srcCap = toSafeNumber((await lv.volumes.getInfo(src)).capacity, "capacity");
        vol = await whilePoolBusy(() => lv.volumes.createXMLFrom(pool, buildVolumeXml(toModel(p, Math.max(capacity ?? 0, srcCap))), src));
      } else if (backing?.volume !== undefined) {
        const b = await findVolume(lv, { volume: backing.volume, ...(backing.pool ? { pool: backing.pool } : {}) }, poolName, who, "backingStore");
        const bInfo = parseVolumeXml(await lv.volumes.getXMLDesc(b));
        capacity ??= bInfo.capacity;
        const model = toModel(p, capacity);
        model.backingStore = { path: await lv.volumes.getPath(b), format: backing.format ?? bInfo.format ?? "qcow2" };
        vol = await lv.volumes.createXML(pool, buildVolumeXml(model));
      } else if (p["source"] !== undefined) {
        const src = await openSource(i.source!, who, i.checksum);
        // The volume receives the source's bytes as they are; it is grown afterwards if capacity asks for more.
        vol = await lv.volumes.createXML(pool, buildVolumeXml(toModel(p, src.size)));
        try {
          await lv.volumes.upload(vol, withProgress(src.chunks, src.size, report, who), { length: src.size });
          await whilePoolBusy(() => lv.pools.refresh(pool));
          vol = await lv.volumes.lookupByName(pool, i.name);
          const now = toSafeNumber((await lv.volumes.getInfo(vol)).capacity, "capacity");
          if (capacity !== undefined && capacity > now) await lv.volumes.resize(vol, capacity);
        } catch (e) {
          // The volume holds nothing but a partial copy: remove it (waiting out a daemon restart), so a retry starts clean.
          const partial = vol;
          const u = await undo(() => whilePoolBusy(() => lv.volumes.delete(partial)));
          if (u.done) journal.end(entry);
          const left =
            entry !== undefined
              ? "the partial volume is left in the pool, recorded as incomplete: the next up deletes it and uploads again"
              : `the partial volume is left in the pool: delete it (virsh vol-delete --pool ${poolName} ${String(p["name"])}) before the next up`;
          throw new Error(
            `${who}: filling from ${String(p["source"])} failed, so ${undoOutcome(u, "the partial volume was deleted", left)}: ${(e as Error).message}`,
            { cause: e },
          );
        }
      } else {
        vol = await lv.volumes.createXML(pool, buildVolumeXml(toModel(p, capacity!)));
      }
      return vol;
    })().catch(async (e: unknown) => {
      // Nothing was made (the create call itself failed): the journal entry would only mislead a later create.
      if ((await orNull(lv.volumes.lookupByName(pool, i.name)).catch(() => undefined)) === null) journal.end(entry);
      throw e;
    });
    // Created and complete: from here on Pulumi records it (as created, or as a partial create below).
    journal.end(entry);
    try {
      return { id: vol.key, outs: await sizes(lv, vol) };
    } catch (e) {
      throw new PartialCreateError(`${who}: created, but reading it back failed: ${(e as Error).message}`, vol.key, { key: vol.key });
    }
  },

  async read(lv, id, props) {
    const vol = await orNull(lv.volumes.lookupByKey(id));
    if (vol === null) return null;
    const m = parseVolumeXml(await lv.volumes.getXMLDesc(vol));
    const out: Props = { name: m.name, pool: vol.pool, ...(await sizes(lv, vol)) };
    // Allocation grows with every write into the image: a refresh keeps the value recorded at the last create or
    // update, so it never shows as drift.
    if (typeof props["allocationBytes"] === "number") out["allocationBytes"] = props["allocationBytes"];
    // Report what libvirt has for what the user declared; what it fills in by itself stays out (no drift).
    if (props["capacity"] !== undefined) out["capacity"] = m.capacity;
    if (m.format !== undefined) out["format"] = m.format;
    const declaredBacking = props["backingStore"] as VolumeBackingStoreInput | undefined;
    if (declaredBacking?.path !== undefined) out["backingStore"] = { ...declaredBacking, path: m.backingStore?.path };
    return out;
  },

  async update(lv, id, plan, _olds, news) {
    const vol = await lv.volumes.lookupByKey(id);
    for (const c of plan.changes) {
      if (c.path !== "capacity" || typeof c.to !== "number") continue;
      const shrink = typeof c.from === "number" && c.to < c.from;
      // Refused in check unless allowed; libvirt itself refuses to go below the allocation.
      await lv.volumes.resize(vol, c.to, shrink && news["allowShrink"] === true ? StorageVolResizeFlags.SHRINK : 0);
    }
    return sizes(lv, vol);
  },

  async delete(lv, id, props) {
    const vol = await orNull(lv.volumes.lookupByKey(id));
    if (vol === null) return;
    if (props["followsDomain"] === true) {
      // The old copy of a volume that moved with its domain: deleted only once no domain here uses it (a
      // migration that did not happen leaves its domain, and this data, where they were).
      const users = await volumeUsers(lv, vol.pool, vol.name, typeof props["path"] === "string" ? (props["path"] as string) : undefined);
      if (users.length > 0) {
        throw new Error(
          `${label(props)}: not deleted from ${lv.uri}: the domain${users.length === 1 ? "" : "s"} ${users.map((u) => u.name).join(", ")} still use${users.length === 1 ? "s" : ""} it ` +
            `(followsDomain: its domain has not moved); move or delete the domain first`,
        );
      }
    }
    await whilePoolBusy(() => lv.volumes.delete(vol));
  },
});

/**
 * Before a replacement runs: says in words that it deletes the volume and the data in it, and names the domains
 * whose disks use it. Their Domain resources follow the new volume in the same up (a disk whose format changes
 * is redefined with the new format; a running domain keeps the deleted image open until it stops). Never fails
 * the diff.
 */
async function reportReplace(olds: Props, news: Props, replaces: string[]): Promise<void> {
  const who = label(olds);
  const pool = String(olds["pool"]);
  const name = String(olds["name"]);
  const path = typeof olds["path"] === "string" ? (olds["path"] as string) : undefined;
  const held = typeof olds["allocationBytes"] === "number" ? ` (${formatSize(olds["allocationBytes"] as number)} on disk)` : "";
  report(
    `${who}: replacing it (${replaces.join(", ")} changed) DELETES the volume ${path ?? `${pool}/${name}`} and all the data in it${held}, ` +
      `then creates a new one${news["source"] !== undefined || news["cloneOf"] !== undefined || news["backingStore"] !== undefined ? " from its source" : " (empty)"}; nothing is copied over`,
  );
  const uri = stateUri(olds);
  try {
    const users = await volumeUsers(await connect(uri), pool, name, path);
    if (users.length === 0) {
      report(`${who}: no domain on ${uri} uses it`);
      return;
    }
    const list = users.map((u) => `${u.name} (${u.running ? "running" : "shut off"})`).join(", ");
    const format =
      olds["format"] !== news["format"] && !isUnknown(news["format"])
        ? `; their disk format follows (${String(olds["format"])} → ${String(news["format"])}) in the same up`
        : "";
    report(
      `${who}: used by the domain${users.length === 1 ? "" : "s"} ${list}: they lose the data on it${format}` +
        `${users.some((u) => u.running) ? "; a running domain keeps the deleted image open until it stops, then boots from the new volume" : ""}`,
    );
  } catch (e) {
    report(`${who}: the domains using it could not be listed on ${uri}: ${(e as Error).message}`);
  }
}

/** virt:Volume: the generic resource, plus the data loss and the domains using it in a replace plan. */
export const volume: ResourceImpl = {
  ...base,
  async diff(id, olds, news) {
    const d = await base.diff(id, olds, news);
    if (d.replaces.length === 1 && d.replaces[0] === "connection" && news["followsDomain"] === true) {
      // A move to another host: no name clash there, so the new volume comes first and the old one goes last,
      // after the domain using it has migrated (Pulumi's create-before-delete).
      const to = resolveUri(news["connection"] as ConnectionInput | undefined);
      report(
        `${label(olds)}: moves with its domain from ${String(olds["uri"])} to ${to} (followsDomain): created there first (empty), the domain's migration copies ` +
          `the disk's data into it, then the volume on ${String(olds["uri"])} is deleted — only once no domain there uses it: the data moves, it is not lost`,
      );
      return { ...d, deleteBeforeReplace: false };
    }
    if (d.replaces.length > 0) await reportReplace(olds, news, d.replaces);
    return d;
  },
};

export { volumeSpec } from "./spec";
export { usesVolume, volumeUsers } from "./users";
