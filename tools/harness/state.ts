/**
 * The harness's stack state: a JSON file shaped after a subset of Pulumi's checkpoint
 * (`deployment.resources[]`), plus the graph helpers the engine needs over it: URNs, dependency order, and the
 * delete schedule.
 *
 * Records are kept in dependency order (every resource after its parent, dependencies and provider), as Pulumi
 * keeps its snapshot; `sortByDependencies` restores that order after concurrent steps.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { JsonMap } from "./proto";

/** One resource in the state file. */
export interface ResourceState {
  urn: string;
  /** Type token, e.g. `pulumi-nodejs:dynamic/virt:Volume`, `pulumi:pulumi:Stack`. */
  type: string;
  /** false for the stack and components, which no provider backs. */
  custom: boolean;
  /** Provider-assigned ID (custom resources only). */
  id?: string;
  /** Checked inputs; for dynamic resources they include the serialized provider under `__provider`. */
  inputs: JsonMap;
  /** Outputs (for the stack: the stack outputs). Dynamic resources keep `__provider` here as well. */
  outputs: JsonMap;
  parent?: string;
  /** Every resource this one depends on (`dependsOn` plus the sources of its inputs), as the SDK sends. */
  dependencies: string[];
  /** Input property -> resources its value came from. */
  propertyDependencies?: Record<string, string[]>;
  /** Provider reference `<provider urn>::<provider id>` (custom resources). */
  provider?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
  /** The object was created but did not initialise (`ErrorResourceInitFailed`); the next `up` updates it. */
  initErrors?: string[];
  /** Replaced (create-before-delete) and waiting for deletion. */
  delete?: boolean;
  /** Already deleted by a delete-before-replace whose create has not succeeded yet; the next `up` creates it. */
  pendingReplacement?: boolean;
  created?: string;
  modified?: string;
}

export interface StackState {
  version: 1;
  project: string;
  stack: string;
  resources: ResourceState[];
}

export const STACK_TYPE = "pulumi:pulumi:Stack";
export const DEFAULT_PROVIDER_TYPE = "pulumi:providers:pulumi-nodejs";

/** Reads and writes one stack's state file; writes are atomic (temp file + rename). */
export class StateStore {
  readonly file: string;

  constructor(
    stateDir: string,
    readonly project: string,
    readonly stack: string,
  ) {
    this.file = path.join(stateDir, `${project}.${stack}.json`);
  }

  load(): StackState {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return this.empty();
      throw err;
    }
    const state = JSON.parse(text) as StackState;
    if (state.version !== 1 || !Array.isArray(state.resources)) throw new Error(`${this.file}: not a harness state file`);
    return state;
  }

  save(resources: ResourceState[]): void {
    const state: StackState = { version: 1, project: this.project, stack: this.stack, resources: resources.map(ordered) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
    fs.renameSync(tmp, this.file);
  }

  private empty(): StackState {
    return { version: 1, project: this.project, stack: this.stack, resources: [] };
  }
}

const FIELD_ORDER: (keyof ResourceState)[] = [
  "urn",
  "type",
  "id",
  "custom",
  "parent",
  "provider",
  "protect",
  "retainOnDelete",
  "delete",
  "pendingReplacement",
  "initErrors",
  "dependencies",
  "propertyDependencies",
  "inputs",
  "outputs",
  "created",
  "modified",
];

/** The record with its fields in a fixed, readable order (and undefined fields dropped). */
function ordered(r: ResourceState): ResourceState {
  const out: Record<string, unknown> = {};
  for (const k of FIELD_ORDER) if (r[k] !== undefined) out[k] = r[k];
  return out as unknown as ResourceState;
}

/**
 * `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. The qualified type is the parent's qualified type,
 * `$`, then the type; children of the stack (or of nothing) use their bare type.
 */
export function makeUrn(stack: string, project: string, type: string, name: string, parentUrn?: string): string {
  let qualified = type;
  if (parentUrn) {
    const parentType = urnQualifiedType(parentUrn);
    if (parentType !== STACK_TYPE) qualified = `${parentType}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** The qualified type of a URN (third `::` segment). */
export function urnQualifiedType(urn: string): string {
  return urn.split("::")[2] ?? "";
}

/** The name of a URN (everything after the qualified type; names may contain `::`). */
export function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** URNs a record must come after: parent, dependencies, property dependencies, provider. */
export function dependenciesOf(r: ResourceState): string[] {
  const deps = new Set(r.dependencies);
  if (r.parent) deps.add(r.parent);
  for (const urns of Object.values(r.propertyDependencies ?? {})) for (const u of urns) deps.add(u);
  if (r.provider) deps.add(providerUrn(r.provider));
  deps.delete(r.urn);
  return [...deps];
}

/** The URN part of a provider reference `<urn>::<id>`. */
export function providerUrn(ref: string): string {
  return ref.slice(0, ref.lastIndexOf("::"));
}

/**
 * Stable topological order: each record after the records it depends on, otherwise in the given order.
 * Several records may share a URN (a live resource and its replaced predecessor); a dependency on that URN
 * places the record after all of them.
 */
export function sortByDependencies(records: ResourceState[]): ResourceState[] {
  const byUrn = new Map<string, ResourceState[]>();
  for (const r of records) byUrn.set(r.urn, [...(byUrn.get(r.urn) ?? []), r]);
  const out: ResourceState[] = [];
  const state = new Map<ResourceState, "visiting" | "done">();
  const visit = (r: ResourceState) => {
    if (state.get(r)) return; // done, or a cycle (kept in given order rather than failing)
    state.set(r, "visiting");
    for (const dep of dependenciesOf(r)) for (const d of byUrn.get(dep) ?? []) visit(d);
    state.set(r, "done");
    out.push(r);
  };
  records.forEach(visit);
  return out;
}

/**
 * Splits the records to delete into antichains, as Pulumi's `ScheduleDeletes` does: all deletes of one chain
 * run in parallel, and a chain starts only when the previous one has finished. A record is deleted only after
 * every record in the set that depends on it (dependent, child, or user of a provider).
 */
export function scheduleDeletes(records: ResourceState[]): ResourceState[][] {
  const level = new Map<ResourceState, number>();
  const dependents = new Map<string, ResourceState[]>();
  for (const r of records) {
    for (const dep of dependenciesOf(r)) dependents.set(dep, [...(dependents.get(dep) ?? []), r]);
  }
  const levelOf = (r: ResourceState, seen: Set<ResourceState>): number => {
    const known = level.get(r);
    if (known !== undefined) return known;
    if (seen.has(r)) return 0;
    seen.add(r);
    let l = 0;
    for (const d of dependents.get(r.urn) ?? []) if (d !== r) l = Math.max(l, levelOf(d, seen) + 1);
    seen.delete(r);
    level.set(r, l);
    return l;
  };
  const chains: ResourceState[][] = [];
  for (const r of records) {
    const l = levelOf(r, new Set());
    (chains[l] ??= []).push(r);
  }
  return chains.filter((c) => c && c.length > 0);
}

/** JSON text with sorted keys, for order-insensitive equality. */
export function canonical(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === "object") {
      return Object.fromEntries(
        Object.keys(x as JsonMap)
          .sort()
          .map((k) => [k, sort((x as JsonMap)[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(sort(v)) ?? "undefined";
}

/** Top-level keys whose values differ between two objects (keys in `ignore` skipped). */
export function changedKeys(a: JsonMap, b: JsonMap, ignore: string[] = []): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !ignore.includes(k) && canonical(a[k]) !== canonical(b[k])).sort();
}
