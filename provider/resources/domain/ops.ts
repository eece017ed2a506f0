import { RECORDED_VERB, toXmlUnit } from "../../diff";
import { setting } from "./inputs";
import type { Change, Plan, PropSpec, PropType, TuneFamily } from "../../diff";
import { domainSpec } from "./spec";

/** One live operation on a running domain (its persistent config is redefined separately, first). */
export type DomainOp =
  | { kind: "setMemory"; bytes: number }
  | { kind: "setVcpus"; count: number }
  | { kind: "setMetadata"; field: "title" | "description"; value: string | undefined }
  | { kind: "attach"; device: "disk" | "interface"; key: string }
  | { kind: "detach"; device: "disk" | "interface"; key: string }
  | { kind: "updateDevice"; device: "disk" | "interface" | "graphics"; key: string }
  /** One typed-parameter call (see PropSpec.tune): every changed leaf of one family at once. */
  | { kind: "tune"; family: TuneFamily; params: TuneParam[]; paths: string[] };

/** A typed parameter of a tune op, in libvirt's unit. */
export interface TuneParam {
  field: string;
  type: "uint" | "ullong";
  value: number;
}

/**
 * One custom metadata namespace to set (xml given) or remove (xml absent) with virDomainSetMetadata type
 * ELEMENT: LIVE|CONFIG on a running domain, CONFIG on a stopped one. Needs no redefinition.
 */
export interface MetadataOp {
  uri: string;
  prefix: string;
  xml?: string;
}

export interface DomainOps {
  /** The persistent config changes: redefine it from the new inputs (before any live operation). */
  redefine: boolean;
  /** Applied to the running domain, in this order. */
  live: DomainOp[];
  /** Config-only changes (paths): in effect at the next boot. */
  pending: string[];
  autostart?: boolean;
  /** Desired power state, when it changes. */
  running?: boolean;
  /** Desired power state (running, paused, shutoff), when `powerState` changes. */
  power?: "running" | "paused" | "shutoff";
  /** A revert to this snapshot, asked for by a new `revert.trigger`. */
  revert?: string;
  /** A reboot asked for by a change of rebootTrigger (graceful) or resetTrigger (reset); reset wins. */
  reboot?: "graceful" | "reset";
  /** Custom metadata namespaces added, changed or removed (one op each); absent when none. */
  metadata?: MetadataOp[];
}

/** Rows whose items are devices matched by key: added and removed ones are hot-plugged, changed ones updated. */
const LIST_DEVICE: Record<string, "disk" | "interface"> = { hotplugDisk: "disk", hotplugInterface: "interface" };

/**
 * Turns a domain plan into operations, by what each property's row says (`apply`: its operation and whether
 * that operation persists the change itself; `tune`: a typed-parameter leaf). Every change is written to the
 * persistent config by one redefinition — unless every change is of a property whose own operation persists it
 * (`redefine` false, and the ops carry the config change themselves); the live-class ones are then also applied
 * to the running domain. Everything of class `config` is pending until the next boot. Custom metadata is never
 * part of the redefinition: each namespace added, changed or removed becomes one `metadata` op. Pure: no I/O.
 */
export function planDomainOps(p: Plan, news: Record<string, unknown>): DomainOps {
  const ops: DomainOps = { redefine: false, live: [], pending: [] };
  const detaches: DomainOp[] = [];
  const attaches: DomainOp[] = [];
  const updates: DomainOp[] = [];
  const tunes = new Map<TuneFamily, Extract<DomainOp, { kind: "tune" }>>();
  for (const c of p.changes) {
    const top = c.path.split(/[.[]/)[0]!;
    // shutdownTimeout, keepNvram: the update only records them (delete reads them from the state).
    if (c.verb === RECORDED_VERB) continue;
    const row = domainSpec.inputs[top];
    const op = row?.apply?.op;
    if (op === "metadata") {
      metadataOps(c, news, (ops.metadata ??= []));
      continue;
    }
    if (op === "autostart") ops.autostart = news["autostart"] === true;
    else if (op === "running") ops.running = news["running"] !== false;
    else if (op === "power") ops.power = news["powerState"] as DomainOps["power"];
    else if (op === "reset") ops.reboot = "reset";
    else if (op === "reboot") ops.reboot ??= "graceful";
    else if (op === "revert" && (c.path === "revert" || c.path === "revert.trigger")) {
      const r = news["revert"] as { snapshot?: string; trigger?: string } | undefined;
      const before = (c.path === "revert" ? (c.from as { trigger?: string } | undefined)?.trigger : c.from) as string | undefined;
      if (r?.snapshot !== undefined && r.trigger !== undefined && r.trigger !== before) ops.revert = r.snapshot;
    }
    // vcpus persists itself only with maxVcpus declared: else the maximum follows it, a config change.
    const persists = row?.apply?.persists === true && (top !== "vcpus" || news["maxVcpus"] !== undefined);
    const tuned = c.how === "live" && row !== undefined ? tuneOf(row, c, news) : undefined;
    if (tuned === "pending") {
      ops.redefine = true;
      ops.pending.push(c.path);
      continue;
    }
    if (!persists && tuned === undefined) ops.redefine = true;
    if (c.how === "config") {
      ops.pending.push(c.path);
      continue;
    }
    if (c.how !== "live") continue;
    if (tuned !== undefined) {
      for (const t of tuned) {
        const call = tunes.get(t.family) ?? { kind: "tune" as const, family: t.family, params: [], paths: [] };
        tunes.set(t.family, call);
        call.params.push(t.param);
        call.paths.push(t.path);
      }
      continue;
    }
    const device = op === undefined ? undefined : LIST_DEVICE[op];
    const keyed = /^\w+\[([^\]]+)\]\.(\w+)/.exec(c.path);
    if (op === "setMemory") ops.live.push({ kind: "setMemory", bytes: (news["currentMemory"] ?? news["memory"]) as number });
    else if (op === "setVcpus") ops.live.push({ kind: "setVcpus", count: setting(news, "vcpus") });
    else if (op === "setTitle" || op === "setDescription")
      ops.live.push({ kind: "setMetadata", field: top as "title" | "description", value: news[top] as string | undefined });
    else if (op === "updateGraphics") updates.push({ kind: "updateDevice", device: "graphics", key: "0" });
    else if (device !== undefined && keyed !== null) updates.push({ kind: "updateDevice", device, key: keyed[1]! });
    else if (device !== undefined) {
      for (const k of c.removed ?? []) detaches.push({ kind: "detach", device, key: k });
      for (const k of c.added ?? []) attaches.push({ kind: "attach", device, key: k });
    }
  }
  // Removals first (a re-used target dev or MAC must be free before it is plugged again), then additions.
  ops.live.push(...detaches, ...attaches, ...updates, ...tunes.values());
  return ops;
}

/**
 * The typed parameters of a change under a row whose leaves are `tune`-mapped: each changed leaf in libvirt's
 * unit; "pending" when a leaf is removed and has no `unset` value (libvirt has no live way to remove it);
 * undefined when the row has no tune leaves.
 */
function tuneOf(row: PropSpec, c: Change, news: Record<string, unknown>): { family: TuneFamily; param: TuneParam; path: string }[] | "pending" | undefined {
  const leaves = tuneLeaves(row.type);
  if (leaves.length === 0) return undefined;
  const top = c.path.split(".")[0]!;
  const declared = (news[top] ?? {}) as Record<string, unknown>;
  const from = (c.path === top ? (c.from ?? {}) : {}) as Record<string, unknown>;
  const changed = c.path === top ? leaves.filter(([k]) => declared[k] !== from[k]) : leaves.filter(([k]) => `${top}.${k}` === c.path);
  const out: { family: TuneFamily; param: TuneParam; path: string }[] = [];
  for (const [k, leaf] of changed) {
    const t = leaf.tune!;
    const v = declared[k];
    const value = typeof v === "number" ? toXmlUnit(leaf, v) : t.unset;
    if (value === undefined) return "pending";
    out.push({ family: t.family, param: { field: t.field, type: t.type, value }, path: `${top}.${k}` });
  }
  return out;
}

/** The fields of an object row that a typed-parameter call changes live. */
export function tuneLeaves(type: PropType): [string, PropSpec][] {
  return type.kind === "object" ? Object.entries(type.properties).filter(([, p]) => p.tune !== undefined) : [];
}

/** The metadata ops of one change: keys added or removed, or an item's prefix or xml changed (one op per URI). */
function metadataOps(c: Change, news: Record<string, unknown>, out: MetadataOp[]): void {
  const declared = (news["metadata"] as MetadataOp[] | undefined) ?? [];
  const set = (uri: string) => {
    const item = declared.find((m) => m.uri === uri);
    if (item !== undefined && !out.some((o) => o.uri === uri)) out.push({ uri, prefix: item.prefix, xml: item.xml });
  };
  // The key is everything between "metadata[" and the last "]." (a URI may hold brackets: http://[::1]/ns).
  const item = /^metadata\[(.*)\]\.\w+$/s.exec(c.path);
  if (item !== null) return set(item[1]!);
  for (const uri of c.removed ?? []) {
    const old = (c.from as MetadataOp[] | undefined)?.find((m) => m.uri === uri);
    out.push({ uri, prefix: old?.prefix ?? "" });
  }
  for (const uri of c.added ?? []) set(uri);
}
