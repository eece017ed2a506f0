import type { Plan } from "./plan";

/** One live operation on a running domain (its persistent config is redefined separately, first). */
export type DomainOp =
  | { kind: "setMemory"; bytes: number }
  | { kind: "setVcpus"; count: number }
  | { kind: "setMetadata"; field: "title" | "description"; value: string | undefined }
  | { kind: "attach"; device: "disk" | "interface"; key: string }
  | { kind: "detach"; device: "disk" | "interface"; key: string }
  | { kind: "updateDevice"; device: "disk" | "interface" | "graphics"; key: string };

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
}

const LIST_DEVICE: Record<string, "disk" | "interface"> = { disks: "disk", networkInterfaces: "interface" };
const NOT_CONFIG = new Set(["autostart", "running"]);

/**
 * Turns a domain plan into operations. Every change except autostart and power state is written to the
 * persistent config by one redefinition; the live-class ones are then also applied to the running domain:
 * currentMemory → setMemory, vcpus → setVcpus, title/description → setMetadata, disks/NICs added or removed →
 * attach/detach, a CD-ROM's media, a NIC's link state and the graphics password → updateDevice. Everything of
 * class `config` is pending until the next boot. Pure: no I/O.
 */
export function planDomainOps(p: Plan, news: Record<string, unknown>): DomainOps {
  const ops: DomainOps = { redefine: false, live: [], pending: [] };
  const detaches: DomainOp[] = [];
  const attaches: DomainOp[] = [];
  const updates: DomainOp[] = [];
  for (const c of p.changes) {
    const top = c.path.split(/[.[]/)[0]!;
    if (top === "autostart") ops.autostart = news["autostart"] === true;
    else if (top === "running") ops.running = news["running"] !== false;
    if (NOT_CONFIG.has(top)) continue;
    ops.redefine = true;
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
