import { Libvirt, PoolRef, StoragePoolBuildFlags, StorageXMLFlags, toSafeNumber, uuidString } from "../../libvirt";
import { applyPoolXml, buildPoolXml, parsePoolXml, StoragePool } from "../../xml";
import { CheckFailure, PartialCreateError, Props, report, ResourceInputError } from "../provider";
import { uuidMark } from "../ownership";
import { makeResource } from "../resource";
import { poolSpec } from "./spec";
import { undo, undoOutcome, whilePoolBusy } from "../retry";
import { orNull } from "../specs";
import type { StoragePoolSourceInput } from "../shapes";

/** What each pool type needs in `source`, and what it may not have. */
const SOURCE_RULES: Record<string, { required: (keyof StoragePoolSourceInput)[]; allowed: (keyof StoragePoolSourceInput)[] }> = {
  dir: { required: [], allowed: [] },
  fs: { required: ["device"], allowed: ["device", "format"] },
  netfs: { required: ["host", "dir"], allowed: ["host", "dir", "format"] },
  logical: { required: ["name"], allowed: ["name", "devices", "format"] },
  disk: { required: ["device"], allowed: ["device", "format"] },
  iscsi: { required: ["host", "device"], allowed: ["host", "port", "device"] },
};

/** Directories a pool may never be on: building, mounting over or removing them would break the host. */
const SYSTEM_DIRS = new Set([
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/media",
  "/mnt",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/usr/bin",
  "/usr/include",
  "/usr/lib",
  "/usr/lib64",
  "/usr/libexec",
  "/usr/local",
  "/usr/sbin",
  "/usr/share",
  "/usr/src",
  "/var",
  "/var/cache",
  "/var/lib",
  "/var/lib/libvirt",
  "/var/log",
  "/var/run",
  "/var/spool",
  "/var/tmp",
]);
/** Trees no pool directory belongs in (a logical or disk pool's /dev target is not a directory we make). */
const SYSTEM_TREES = ["/boot/", "/dev/", "/etc/", "/proc/", "/run/", "/sys/"];

/** Why a pool of this type may not have its target at `path` (a system directory), or undefined. */
export function systemTargetProblem(type: string, path: string): string | undefined {
  if (type !== "dir" && type !== "fs" && type !== "netfs") return undefined;
  const norm =
    "/" +
    path
      .split("/")
      .filter((x) => x !== "" && x !== ".")
      .join("/");
  const tree = SYSTEM_TREES.find((t) => `${norm}/`.startsWith(t));
  if (!SYSTEM_DIRS.has(norm) && tree === undefined) return undefined;
  const what = type === "dir" ? "builds, fills and on delete removes" : "mounts a filesystem over";
  return `"${path}" is ${tree !== undefined && norm !== tree.slice(0, -1) ? `inside ${tree.slice(0, -1)}, ` : ""}a system directory; a ${type} pool ${what} its target: use a directory of its own, e.g. /var/lib/libvirt/images/NAME or /srv/pools/NAME`;
}

function validate(inputs: Props): CheckFailure[] {
  const type = inputs["type"] as string;
  const src = (inputs["source"] ?? {}) as StoragePoolSourceInput;
  const rule = SOURCE_RULES[type];
  if (!rule) return [];
  const failures: CheckFailure[] = [];
  const path = (inputs["target"] as { path?: unknown } | undefined)?.path;
  if (typeof path === "string" && path.startsWith("/")) {
    const problem = systemTargetProblem(type, path);
    if (problem !== undefined) failures.push({ property: "target.path", reason: `target.path: ${problem}` });
  }
  for (const k of rule.required) {
    if (src[k] === undefined) failures.push({ property: `source.${k}`, reason: `source.${k} is required for a ${type} pool` });
  }
  if ((type === "fs" || type === "disk") && src.device !== undefined && !src.device.startsWith("/")) {
    failures.push({ property: "source.device", reason: `source.device: "${src.device}" must be an absolute device path such as /dev/sdb for a ${type} pool` });
  }
  for (const k of Object.keys(src) as (keyof StoragePoolSourceInput)[]) {
    if (src[k] !== undefined && !rule.allowed.includes(k)) {
      failures.push({
        property: `source.${k}`,
        reason: `source.${k} does not apply to a ${type} pool${rule.allowed.length ? `; it takes ${rule.allowed.join(", ")}` : "; remove source"}`,
      });
    }
  }
  return failures;
}

/** The XML model from the resource's inputs. */
function toModel(p: Props): StoragePool {
  const target = p["target"] as { path: string; permissions?: { mode?: string; owner?: number; group?: number; label?: string } };
  const src = (p["source"] ?? {}) as StoragePoolSourceInput;
  const base = { name: p["name"] as string, target };
  const fmt = src.format !== undefined ? { format: src.format } : {};
  switch (p["type"]) {
    case "fs":
      return { ...base, type: "fs", source: { device: src.device!, ...fmt } };
    case "disk":
      return { ...base, type: "disk", source: { device: src.device!, ...fmt } };
    case "netfs":
      return { ...base, type: "netfs", source: { host: src.host!, dir: src.dir!, ...fmt } };
    case "logical":
      return { ...base, type: "logical", source: { name: src.name!, ...(src.devices ? { devices: src.devices } : {}), ...fmt } };
    case "iscsi":
      return { ...base, type: "iscsi", source: { host: src.host!, device: src.device!, ...(src.port !== undefined ? { port: src.port } : {}) } };
    default:
      return { ...base, type: "dir" };
  }
}

/**
 * The pool as read back, in the input shape. Values libvirt fills in by itself (source format, target
 * permissions of a started dir pool) are reported only where the user declared them, so an unchanged pool
 * shows no diff; where declared, libvirt's actual value is reported, so drift shows.
 */
function fromModel(m: ReturnType<typeof parsePoolXml>, declared: Props): Props {
  const dTarget = (declared["target"] ?? {}) as { permissions?: Record<string, unknown> };
  const dSource = (declared["source"] ?? {}) as StoragePoolSourceInput;
  const target: Props = { path: m.target.path };
  if (dTarget.permissions !== undefined && m.target.permissions !== undefined) {
    const perms: Props = {};
    for (const k of Object.keys(dTarget.permissions)) {
      const v = (m.target.permissions as Record<string, unknown>)[k];
      if (v !== undefined) perms[k] = v;
    }
    target["permissions"] = perms;
  }
  const out: Props = { name: m.name, type: m.type, target };
  if ("source" in m) {
    const src: Record<string, unknown> = { ...m.source };
    if (dSource.format === undefined) delete src["format"];
    out["source"] = src;
  }
  return out;
}

async function info(lv: Libvirt, pool: PoolRef): Promise<Props> {
  const i = await lv.pools.getInfo(pool);
  return {
    uuid: uuidString(pool.uuid),
    capacity: toSafeNumber(i.capacity, "pool capacity"),
    allocation: toSafeNumber(i.allocation, "pool allocation"),
    available: toSafeNumber(i.available, "pool available"),
  };
}

/**
 * allocation and available change with every write into the pool: a refresh keeps the values recorded at the
 * last create or update, so they never show as drift (virsh pool-info has the current ones).
 */
function recordedUsage(props: Props): Props {
  const out: Props = {};
  for (const k of ["allocation", "available"]) if (typeof props[k] === "number") out[k] = props[k];
  return out;
}

/**
 * Starts a pool, building what it needs first. Building never overwrites existing data. Returns whether this
 * built the target (then, and only then, delete removes it).
 */
async function buildAndStart(lv: Libvirt, pool: PoolRef, type: string, permissions: boolean): Promise<boolean> {
  if (type === "dir") {
    // A dir pool starts only when its directory exists: start first, so a directory that was there before is
    // known as such (and never removed by delete). Declared permissions are applied by BUILD, which leaves an
    // existing directory's content alone.
    try {
      await lv.pools.create(pool);
    } catch {
      await lv.pools.build(pool, 0);
      await lv.pools.create(pool);
      return true;
    }
    if (permissions) {
      await lv.pools.destroy(pool);
      await lv.pools.build(pool, 0);
      await lv.pools.create(pool);
    }
    return false;
  }
  try {
    await lv.pools.create(pool);
    return false;
  } catch (first) {
    if (type === "netfs" || type === "iscsi") throw first;
    // fs, disk and logical may need formatting first: NO_OVERWRITE makes libvirt refuse rather than wipe data.
    await lv.pools.build(pool, StoragePoolBuildFlags.NO_OVERWRITE);
    await lv.pools.create(pool);
    return true;
  }
}

export const storagePool = makeResource({
  spec: poolSpec,
  validate,
  deleteBeforeReplace: true,

  async create(lv, p) {
    const name = p["name"] as string;
    const model = toModel(p);
    let pool = await orNull(lv.pools.lookupByName(name));
    let built = false;
    let resumed = false;
    const mark = uuidMark("pool", p);
    if (pool !== null) {
      const ours = mark.ours(uuidString(pool.uuid));
      resumed = ours;
      if (ours) report(`virt:StoragePool ${name}: resuming an interrupted create: the pool on the host carries this resource's mark`);
      if (!ours && p["adopt"] !== true) {
        throw new ResourceInputError(
          `virt:StoragePool ${name}: a pool named "${name}" already exists on ${lv.uri}; set adopt: true to manage it, or choose another name`,
        );
      }
      pool = await lv.pools.defineXML(applyPoolXml(await lv.pools.getXMLDesc(pool, StorageXMLFlags.INACTIVE), model));
      if (!(await lv.pools.isActive(pool))) built = await buildAndStart(lv, pool, model.type, model.target.permissions !== undefined);
    } else {
      pool = await lv.pools.defineXML(buildPoolXml(model, mark.uuid));
      try {
        built = await buildAndStart(lv, pool, model.type, model.target.permissions !== undefined);
      } catch (e) {
        // Nothing holds data yet: undo the definition so no orphan is left.
        const defined = pool;
        const u = await undo(() => lv.pools.undefine(defined));
        const left =
          mark.uuid !== undefined
            ? "it is left defined on the host, and the next up resumes it (it carries this resource's mark)"
            : `it is left defined on the host: remove it (virsh pool-undefine ${name}) or set adopt: true`;
        throw new Error(
          `virt:StoragePool ${name}: could not build and start the pool, so ${undoOutcome(u, "its definition was removed again", left)}: ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
    const id = uuidString(pool.uuid);
    try {
      await lv.pools.setAutostart(pool, p["autostart"] !== false);
      // A resumed pool may have had its target directory before the first try: it is not claimed as built by us.
      return { id, outs: { ...(await info(lv, pool)), builtTarget: built && model.type === "dir" && p["adopt"] !== true && !resumed } };
    } catch (e) {
      throw new PartialCreateError(`virt:StoragePool ${name}: created, but setting it up failed: ${(e as Error).message}`, id, { ...p, uuid: id });
    }
  },

  async read(lv, id, props) {
    const pool = await orNull(lv.pools.lookupByUUID(id));
    if (pool === null) return null;
    const m = parsePoolXml(await lv.pools.getXMLDesc(pool, StorageXMLFlags.INACTIVE));
    return { ...fromModel(m, props), autostart: await lv.pools.getAutostart(pool), ...(await info(lv, pool)), ...recordedUsage(props) };
  },

  async update(lv, id, plan, _olds, news) {
    const pool = await lv.pools.lookupByUUID(id);
    for (const c of plan.changes) {
      if (c.path === "autostart") await lv.pools.setAutostart(pool, news["autostart"] !== false);
    }
    return info(lv, pool);
  },

  async delete(lv, id, props) {
    const pool = await orNull(lv.pools.lookupByUUID(id));
    if (pool === null) return; // already gone
    const name = props["name"] as string;
    const active = await lv.pools.isActive(pool);
    if (active) {
      await whilePoolBusy(() => lv.pools.refresh(pool));
      // A filesystem's own lost+found directory is listed as a volume; it is not anyone's data.
      const vols = (await lv.pools.listAllVolumes(pool)).filter((v) => v.name !== "lost+found");
      if (vols.length > 0) {
        // Volumes managed by this stack were deleted before the pool; anything left is someone's data.
        throw new ResourceInputError(
          `virt:StoragePool ${name}: not deleted: it still holds ${vols.length} volume(s) this stack does not manage: ` +
            `${vols.map((v) => v.name).join(", ")}. Move or delete them (virsh vol-delete --pool ${name} NAME), then run again`,
        );
      }
      await whilePoolBusy(() => lv.pools.destroy(pool));
    }
    // Remove the directory only when this resource made it (it is empty: no volumes were left).
    if (props["builtTarget"] === true) await lv.pools.delete(pool, 0).catch(() => undefined);
    await lv.pools.undefine(pool);
  },
});

export { poolSpec } from "./spec";
