import { RECORDED_VERB } from "./plan";
import type { Change, Plan } from "./plan";

/** One live operation on a running domain (its persistent config is redefined separately, first). */
export type DomainOp =
  | { kind: "setMemory"; bytes: number }
  | { kind: "setVcpus"; count: number }
  | { kind: "setMetadata"; field: "title" | "description"; value: string | undefined }
  | { kind: "attach"; device: "disk" | "interface"; key: string }
  | { kind: "detach"; device: "disk" | "interface"; key: string }
  | { kind: "updateDevice"; device: "disk" | "interface" | "graphics"; key: string };

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

const LIST_DEVICE: Record<string, "disk" | "interface"> = { disks: "disk", networkInterfaces: "interface" };
const NOT_CONFIG = new Set(["autostart", "running", "powerState", "rebootTrigger", "resetTrigger", "revert"]);
/**
 * Live-class properties whose own call also writes the persistent config (flag CONFIG): a change of only these
 * needs no redefinition, which costs the daemon a schema validation and a rewrite of the whole XML.
 */
const SELF_PERSISTING = new Set(["currentMemory", "vcpus", "title", "description"]);

/**
 * Turns a domain plan into operations. Every change except autostart and power state is written to the
 * persistent config by one redefinition — unless every change is of a property whose own call persists it
 * (currentMemory, vcpus, title, description: `redefine` false, and the ops carry the config change themselves);
 * the live-class ones are then also applied to the running domain:
 * currentMemory → setMemory, vcpus → setVcpus, title/description → setMetadata, disks/NICs added or removed →
 * attach/detach, a CD-ROM's media, a NIC's link state and the graphics password → updateDevice. Everything of
 * class `config` is pending until the next boot. Custom metadata (`metadata`, per namespace URI) is not part
 * of the redefinition: each namespace added, changed or removed becomes one `metadata` op. Pure: no I/O.
 */
export function planDomainOps(p: Plan, news: Record<string, unknown>): DomainOps {
  const ops: DomainOps = { redefine: false, live: [], pending: [] };
  const detaches: DomainOp[] = [];
  const attaches: DomainOp[] = [];
  const updates: DomainOp[] = [];
  for (const c of p.changes) {
    const top = c.path.split(/[.[]/)[0]!;
    // shutdownTimeout, keepNvram: the update only records them (delete reads them from the state).
    if (c.verb === RECORDED_VERB) continue;
    if (top === "metadata") {
      metadataOps(c, news, (ops.metadata ??= []));
      continue;
    }
    if (top === "autostart") ops.autostart = news["autostart"] === true;
    else if (top === "running") ops.running = news["running"] !== false;
    else if (top === "powerState") ops.power = news["powerState"] as DomainOps["power"];
    else if (top === "resetTrigger") ops.reboot = "reset";
    else if (top === "revert" && (c.path === "revert" || c.path === "revert.trigger")) {
      const r = news["revert"] as { snapshot?: string; trigger?: string } | undefined;
      const before = (c.path === "revert" ? (c.from as { trigger?: string } | undefined)?.trigger : c.from) as string | undefined;
      if (r?.snapshot !== undefined && r.trigger !== undefined && r.trigger !== before) ops.revert = r.snapshot;
    }
    else if (top === "rebootTrigger") ops.reboot ??= "graceful";
    if (NOT_CONFIG.has(top)) continue;
    // With maxVcpus not declared the maximum follows vcpus: a config change, so redefined.
    const selfPersisting = SELF_PERSISTING.has(top) && (top !== "vcpus" || news["maxVcpus"] !== undefined);
    if (!selfPersisting) ops.redefine = true;
    if (c.how === "config") {
      ops.pending.push(c.path);
      continue;
    }
    if (c.how !== "live") continue;
    const device = LIST_DEVICE[top];
    const keyed = /^\w+\[([^\]]+)\]\.(\w+)/.exec(c.path);
    if (top === "currentMemory") ops.live.push({ kind: "setMemory", bytes: (news["currentMemory"] ?? news["memory"]) as number });
    else if (top === "vcpus") ops.live.push({ kind: "setVcpus", count: news["vcpus"] as number });
    else if (top === "title" || top === "description") ops.live.push({ kind: "setMetadata", field: top, value: news[top] as string | undefined });
    else if (top === "graphics") updates.push({ kind: "updateDevice", device: "graphics", key: "0" });
    else if (device !== undefined && keyed !== null) updates.push({ kind: "updateDevice", device, key: keyed[1]! });
    else if (device !== undefined) {
      for (const k of c.removed ?? []) detaches.push({ kind: "detach", device, key: k });
      for (const k of c.added ?? []) attaches.push({ kind: "attach", device, key: k });
    }
  }
  // Removals first (a re-used target dev or MAC must be free before it is plugged again), then additions.
  ops.live.push(...detaches, ...attaches, ...updates);
  return ops;
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
