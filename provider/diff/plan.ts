import { containsUnknown, PropSpec, PropType, UpdateClass } from "./spec";

/** One changed property (or list item), and how it will be applied. */
export interface Change {
  /** Dotted path, e.g. `capacity`, `ips[10.0.0.1].dhcp.hosts`. */
  path: string;
  from: unknown;
  to: unknown;
  how: UpdateClass;
  /** The spec's wording for an in-place change, e.g. "grown in place". */
  verb?: string;
  /** For keyed lists: the keys added and removed. */
  added?: string[];
  removed?: string[];
  /** The new value is not known yet (preview). */
  unknown?: boolean;
  secret?: boolean;
}

export interface Plan {
  changes: Change[];
  /** Top-level input names whose change replaces the object (what Pulumi's diff calls `replaces`). */
  replaceKeys: string[];
  /** Whether any change is config-only (takes effect at the next start). */
  pending: boolean;
}

/**
 * Plans the update from the old state (previous outputs, normalised the way check normalises inputs) to the new
 * inputs, property by property, using each property's update class from the spec. Pure: no I/O.
 */
export function plan(spec: Record<string, PropSpec>, olds: Record<string, unknown>, news: Record<string, unknown>): Plan {
  const changes: Change[] = [];
  for (const [name, prop] of Object.entries(spec)) {
    if (prop.control && !prop.recorded) continue;
    // A recorded control input: its default counts as the value (older states may lack it).
    if (prop.control) {
      const [from, to] = [olds[name] ?? prop.default, news[name] ?? prop.default];
      if (containsUnknown(to) || !deepEqual(from, to))
        changes.push({ path: name, from, to, how: "live", verb: RECORDED_VERB, ...(containsUnknown(to) ? { unknown: true } : {}) });
      continue;
    }
    diffValue(name, prop, prop.type, olds[name], news[name], changes);
  }
  const replaceKeys = [...new Set(changes.filter((c) => c.how === "replace").map((c) => topKey(c.path)))];
  return { changes, replaceKeys, pending: changes.some((c) => c.how === "config") };
}

/** How the plan words a change of a recorded control input. */
export const RECORDED_VERB = "recorded in the state for later operations; nothing changes on the host";

function topKey(path: string): string {
  return path.split(/[.[]/)[0]!;
}

function diffValue(path: string, prop: PropSpec, type: PropType, from: unknown, to: unknown, out: Change[]): void {
  const base = { how: prop.update, ...(prop.verb !== undefined ? { verb: prop.verb } : {}), ...(prop.secret ? { secret: true } : {}) };
  if (containsUnknown(to)) {
    out.push({ path, from, to, ...base, unknown: true });
    return;
  }
  if (type.kind === "object" && isRecord(from) && isRecord(to)) {
    for (const [k, sub] of Object.entries(type.properties)) {
      if (sub.control) continue;
      diffValue(`${path}.${k}`, sub, sub.type, from[k], to[k], out);
    }
    return;
  }
  // An object that appears or disappears changes as a whole, by its own class — but a field inside it whose
  // class is replace (os.firmware going from the default to efi) still replaces.
  if (type.kind === "object" && (isRecord(from) || isRecord(to)) && !deepEqual(from, to)) {
    const f = isRecord(from) ? from : {};
    const t = isRecord(to) ? to : {};
    for (const [k, sub] of Object.entries(type.properties)) {
      if (sub.update === "replace" && !sub.control && !deepEqual(f[k], t[k])) out.push({ path: `${path}.${k}`, from: f[k], to: t[k], how: "replace" });
    }
    out.push({ path, from, to, ...base });
    return;
  }
  // A keyed list that is absent on one side is an empty list: its items are added or removed one by one.
  if (type.kind === "array" && type.key !== undefined && (Array.isArray(from) || from === undefined) && (Array.isArray(to) || to === undefined)) {
    diffKeyedList(
      path,
      prop,
      type as PropType & { kind: "array"; key: string },
      (from as unknown[] | undefined) ?? [],
      (to as unknown[] | undefined) ?? [],
      out,
    );
    return;
  }
  if (!deepEqual(from, to)) out.push({ path, from, to, ...base });
}

function diffKeyedList(
  path: string,
  prop: PropSpec,
  type: { kind: "array"; items: PropType; key: string },
  from: unknown[],
  to: unknown[],
  out: Change[],
): void {
  const keyOf = (item: unknown): string => String(isRecord(item) ? item[type.key] : item);
  const olds = new Map(from.map((i) => [keyOf(i), i]));
  const news = new Map(to.map((i) => [keyOf(i), i]));
  const added = [...news.keys()].filter((k) => !olds.has(k));
  const removed = [...olds.keys()].filter((k) => !news.has(k));
  if (added.length > 0 || removed.length > 0) {
    out.push({
      path,
      from: from.filter((i) => removed.includes(keyOf(i))),
      to: to.filter((i) => added.includes(keyOf(i))),
      how: prop.update,
      ...(prop.verb !== undefined ? { verb: prop.verb } : {}),
      added,
      removed,
    });
  }
  // Items present on both sides: compare field by field with the item's own update classes.
  for (const [k, n] of news) {
    const o = olds.get(k);
    if (o === undefined) continue;
    if (type.items.kind === "object" && isRecord(o) && isRecord(n)) {
      for (const [f, sub] of Object.entries(type.items.properties)) {
        if (sub.control) continue;
        diffValue(`${path}[${k}].${f}`, forItem(sub, n), sub.type, o[f], n[f], out);
      }
    } else if (!deepEqual(o, n)) {
      out.push({ path: `${path}[${k}]`, from: o, to: n, how: prop.update });
    }
  }
}

/** The property's spec for this list item: `updateWhen` picks another update class from a sibling's value. */
function forItem(sub: PropSpec, item: Record<string, unknown>): PropSpec {
  const rule = sub.updateWhen?.find((r) => deepEqual(item[r.field], r.equals));
  if (rule === undefined) return sub;
  return { ...sub, update: rule.update, ...(rule.verb !== undefined ? { verb: rule.verb } : {}) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Structural equality where an absent value equals `undefined` (JSON state drops undefined fields). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return (a ?? undefined) === (b ?? undefined);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (typeof a === "object" && typeof b === "object") {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    for (const k of keys) if (!deepEqual(ra[k], rb[k])) return false;
    return true;
  }
  return false;
}
