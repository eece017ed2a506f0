/**
 * The spec table: one per resource, property → type, required/optional/computed, default, units, update class
 * and docs. check, diff, the plan's wording, the SDK's TSDoc and schema.json are all driven by it, so they
 * cannot drift apart. Special cases are data here (e.g. `key` for matching list items), not branches in code.
 */

/**
 * How a change of the property is applied:
 * - `live`: to the running object and its persistent config, no restart;
 * - `config`: persisted now, takes effect at the next start (reported as pending);
 * - `replace`: the object is deleted and created again (the plan says so before anything runs).
 */
export type UpdateClass = "live" | "config" | "replace";

export type PropType =
  | { kind: "string"; enum?: readonly string[]; format?: StringFormat }
  | { kind: "integer"; min?: number; max?: number }
  | { kind: "boolean" }
  /** A size in bytes: a number, or a string with a unit ("10GiB", "512MiB", "1G" = GiB, "1GB" = 10^9). */
  | { kind: "size"; min?: number }
  /**
   * `name`: the SDK's name for this shape (`DomainDisk` gives the input interface `DomainDiskArgs` and the output
   * interface `DomainDisk`); default: the owner's name and the property path (`DomainCpu`). `doc`: the shape's own
   * TSDoc, for a shape several properties share (default: the doc of the property that holds it).
   */
  | { kind: "object"; properties: Record<string, PropSpec>; name?: string; doc?: string }
  /** A list; `key` names the field that identifies an item (DHCP hosts by MAC), so order changes are no change. */
  | { kind: "array"; items: PropType; key?: string };

export type StringFormat =
  /** libvirt object names as we allow them: letters, digits, `_ . + -`, not starting with a dash, ≤ 100 chars. */
  | "name"
  | "absolutePath"
  | "mac"
  | "ipv4"
  | "ipv6"
  | "ip"
  /** An octal permission string such as "0755". */
  | "octalMode"
  | "url"
  | "bridgeName";

export interface PropSpec {
  type: PropType;
  /** Shown in the SDK's TSDoc and schema.json. Say units and what a change does. */
  doc: string;
  required?: boolean;
  /** Filled in by check when the input is absent (and what read reports when libvirt says nothing). */
  default?: unknown;
  update: UpdateClass;
  /** How the plan words an in-place change, e.g. "grown in place". */
  verb?: string;
  /** The value is a secret: never printed in plans or errors. */
  secret?: boolean;
  /** Not sent to libvirt: steers the provider (e.g. `allowShrink`); a change is never a diff on its own. */
  control?: boolean;
  /**
   * With `control`: a later operation reads the value from the state (delete's `shutdownTimeout`), so a change on
   * its own is an update that only records it (no host change); without that, delete would use the old value.
   */
  recorded?: boolean;
  /**
   * Inside a list item: a different update class when a sibling field has a value — e.g. a disk's `source`
   * changes live when `device` is "cdrom" (media change) and only in the config otherwise.
   */
  updateWhen?: { field: string; equals: unknown; update: UpdateClass; verb?: string }[];
  /**
   * How the resource applies a change other than by rewriting the object's config: the name of one of its own
   * operations (Domain: provider/resources/domain/ops.ts), and `persists` when that operation also writes the
   * persistent config, or the property is not config at all (power state), so a change needs no redefinition.
   * Data for the resource; the diff engine never reads it.
   */
  apply?: { op: string; persists?: boolean };
  /**
   * A leaf the table maps to the object's XML by path (tuning: "memtune/hard_limit"); `scale`: the property's unit
   * per libvirt's (bytes → KiB: 1024). Read and written without per-property code (xml/domain/tuning.ts).
   */
  xml?: { path: string; scale?: number };
  /**
   * A leaf changed live by one of libvirt's typed-parameter setters: `family` memory (virDomainSetMemoryParameters),
   * blkio (virDomainSetBlkioParameters) or scheduler (virDomainSetSchedulerParametersFlags), the parameter's
   * `field` and `type` (in libvirt's unit, as `xml`); `unset`: the value that removes it live ("unlimited"; absent:
   * a removal waits for the next start). Changes of several leaves of one family go in one call.
   */
  tune?: { family: TuneFamily; field: string; type: "uint" | "ullong"; unset?: number };
}

/** libvirt's typed-parameter tuning calls; see PropSpec.tune. */
export type TuneFamily = "memory" | "blkio" | "scheduler";

export interface OutputSpec {
  type: PropType;
  doc: string;
  /** Not always present (the SDK types it `T | undefined`). */
  optional?: boolean;
}

export interface ResourceSpec {
  /** The type token users see in plans, e.g. `virt:Volume`. */
  token: string;
  /** The SDK class name, e.g. `Volume`. */
  className: string;
  /**
   * The folder under provider/resources that implements it; the implementation is exported there under the class
   * name in lowerCamelCase (`storagePool`). The SDK's forwarder requires it by this path.
   */
  module: string;
  /**
   * Whether the SDK passes the `__owner` input (who the resource is, for resuming an interrupted create; see
   * provider/resources/ownership.ts). Default true.
   */
  ownerMark?: boolean;
  doc: string;
  inputs: Record<string, PropSpec>;
  /** Computed outputs (inputs are outputs too, normalised). */
  outputs: Record<string, OutputSpec>;
}

/** Pulumi's marker for a value not known during preview (the dynamic provider sees the raw string). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** The type of a list's items, through nested lists; any other type as it is. */
export function elementType(t: PropType): PropType {
  while (t.kind === "array") t = t.items;
  return t;
}

/** A value of a `PropSpec.xml`-mapped leaf in libvirt's unit (bytes → KiB with scale 1024), whole. */
export function toXmlUnit(p: PropSpec, value: number): number {
  return Math.floor(value / (p.xml?.scale ?? 1));
}

/** A `PropSpec.xml`-mapped leaf's value read from libvirt (its unit) in the property's unit. */
export function fromXmlUnit(p: PropSpec, value: number): number {
  return value * (p.xml?.scale ?? 1);
}

/** A property's default in a spec table, by dotted path into objects and list items ("waitForIp.source"). */
export function defaultOf(props: Record<string, PropSpec>, path: string): unknown {
  const [head, ...rest] = path.split(".");
  const p = props[head!];
  if (p === undefined) throw new Error(`spec table: no property ${head}`);
  if (rest.length === 0) return p.default;
  const t = elementType(p.type);
  if (t.kind !== "object") throw new Error(`spec table: ${head} has no fields`);
  return defaultOf(t.properties, rest.join("."));
}
