import type { Change, Plan } from "./plan";
import type { PropSpec, PropType } from "./spec";
import { formatSize } from "./units";

const DEFAULT_VERB = {
  live: "changed in place",
  config: "saved in the config; takes effect at the next start",
  replace: "replaces it",
} as const;

/**
 * The plan in words a person reads, one line per change, e.g.
 * `virt:Volume data: capacity 10GiB → 20GiB (grown in place)`.
 */
export function describePlan(token: string, name: string, spec: Record<string, PropSpec>, p: Plan): string[] {
  if (p.changes.length === 0) return [`${token} ${name}: no changes`];
  return p.changes.map((c) => `${token} ${name}: ${describeChange(c, typeAt(spec, c.path))}`);
}

function describeChange(c: Change, type: PropType | undefined): string {
  const how = c.how === "replace" ? DEFAULT_VERB.replace : (c.verb ?? DEFAULT_VERB[c.how]);
  if (c.unknown) return `${c.path} → (known after apply) (${how} if it changes)`;
  if (c.added !== undefined || c.removed !== undefined) {
    const parts = [...(c.added ?? []).map((k) => `+${k}`), ...(c.removed ?? []).map((k) => `-${k}`)];
    return `${c.path} ${parts.join(" ")} (${how})`;
  }
  return `${c.path} ${show(c.from, type, c.secret)} → ${show(c.to, type, c.secret)} (${how})`;
}

function show(v: unknown, type: PropType | undefined, secret?: boolean): string {
  if (v === undefined || v === null) return "(none)";
  if (secret) return "[secret]";
  if (type?.kind === "size" && typeof v === "number") return formatSize(v);
  if (typeof v === "string") {
    // Long or multi-line values (user data, network config) are summarised: the plan stays one line each.
    if (v.length <= 60 && !v.includes("\n")) return v;
    const first = v.split("\n")[0]!.slice(0, 40);
    return `"${first}…" (${v.split("\n").length} lines, ${Buffer.byteLength(v)} bytes)`;
  }
  return JSON.stringify(masked(v, type));
}

/** An object or list with every secret field inside it (e.g. graphics.password) shown as [secret]. */
function masked(v: unknown, type: PropType | undefined): unknown {
  if (type === undefined || v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return type.kind === "array" ? v.map((x) => masked(x, type.items)) : v;
  if (type.kind !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const sub = type.properties[k];
    out[k] = sub?.secret && x !== undefined && x !== null ? "[secret]" : masked(x, sub?.type);
  }
  return out;
}

/** The type at a dotted/keyed path (`ips[10.0.0.1].dhcp.hosts`), for formatting. */
function typeAt(spec: Record<string, PropSpec>, path: string): PropType | undefined {
  const parts = path.replace(/\[[^\]]*\]/g, "").split(".");
  let props: Record<string, PropSpec> | undefined = spec;
  let type: PropType | undefined;
  for (const part of parts) {
    const p: PropSpec | undefined = props?.[part];
    if (!p) return undefined;
    type = p.type;
    while (type.kind === "array") type = type.items;
    props = type.kind === "object" ? type.properties : undefined;
  }
  return type;
}
