import { Libvirt } from "../libvirt";
import { describePlan, elementType, plan, Plan, PropSpec, ResourceSpec, UNKNOWN } from "../diff";
import { checkInputs } from "./check";
import { whileReconnecting } from "./retry";
import { connect, resolveUri, stateUri, uriProblem } from "./connections";
import { CheckFailure, DiffResult, PartialCreateError, PartialUpdateError, Props, report, ResourceImpl } from "./provider";
import type { ConnectionInput } from "./shapes";

/** Inputs every resource has: where it lives, and whether to take over an existing object. */
export const commonInputs: Record<string, PropSpec> = {
  connection: {
    type: { kind: "object", name: "Connection", properties: { uri: { type: { kind: "string" }, doc: "libvirt URI.", update: "replace" } } },
    doc:
      "Where the object lives: `{ uri }` with a libvirt URI (`qemu:///system`, `qemu+ssh://root@host/system`, ...). " +
      "Falls back to stack config `virt:uri`, then `LIBVIRT_DEFAULT_URI`, then `qemu:///system` as root or `qemu:///session`. " +
      "A change of host replaces the object.",
    update: "replace",
    control: true,
  },
  adopt: {
    type: { kind: "boolean" },
    doc:
      "Take over an existing object of this name instead of failing, then bring it to this spec. The way to bring " +
      "hand-made objects under management (Pulumi's import does not work for dynamic resources). Default false.",
    update: "live",
    control: true,
  },
};

/** What one resource kind provides; the wrapper does check, diff and connection handling. */
export interface ResourceDef {
  spec: ResourceSpec;
  /** Resource-specific checks after the spec-driven ones (cross-field rules, shrink refusal, ...). */
  validate?(inputs: Props, olds: Props | undefined): CheckFailure[];
  /** Replacement must delete the old object first (libvirt names are unique on a host). */
  deleteBeforeReplace: boolean;
  create(lv: Libvirt, inputs: Props): Promise<{ id: string; outs: Props }>;
  /** The object as it is now, in the input shape; null when libvirt says it does not exist (not-found only). */
  read(lv: Libvirt, id: string, props: Props): Promise<Props | null>;
  update(lv: Libvirt, id: string, p: Plan, olds: Props, news: Props): Promise<Props>;
  delete(lv: Libvirt, id: string, props: Props): Promise<void>;
}

/**
 * A check failure as Pulumi shows it: the engine prints the property itself ("property memory value {…} has a
 * problem: …"), so a reason that starts with its own property ("memory: …") would repeat it. The checks write
 * reasons that read alone (with the property first); the prefix is dropped here, once.
 */
export function withoutProperty(f: CheckFailure): CheckFailure {
  for (const prefix of [`${f.property}: `, `${f.property} is required`]) {
    if (f.reason.startsWith(prefix)) return { property: f.property, reason: f.reason.slice(f.property.length).replace(/^: /, "").trimStart() };
  }
  return f;
}

/** What taking an object over means for its deletion, said in the plan of a resource that adopts. */
const ADOPTED_DELETE: Record<string, string> = {
  "virt:Volume": "deletes the volume and the data in its file",
  "virt:CloudInitDisk": "deletes the volume",
  "virt:Domain": "shuts the domain down and undefines it (its disks, separate volumes, stay)",
  "virt:Network": "stops and undefines the network",
  "virt:StoragePool": "stops and undefines the pool (its directory, which this stack did not make, stays)",
};

export function adoptNotice(token: string, name: string): string {
  const what = ADOPTED_DELETE[token] ?? "deletes it";
  return (
    `${token} ${name}: adopt: true takes over an existing object of this name; from then on this stack owns it, and ` +
    `destroying (or replacing) the resource ${what}, as for one it made. To keep it when the resource goes, give the ` +
    `resource option retainOnDelete: true`
  );
}

/** The name a resource is shown under in plans: its libvirt name. */
function label(props: Props): string {
  const n = props["name"];
  return typeof n === "string" && n !== UNKNOWN ? n : "(unnamed)";
}

/**
 * Outputs as Pulumi can store them: protobuf's Struct refuses `undefined` anywhere ("Unexpected struct type"),
 * so absent values are dropped at every depth.
 */
export function jsonClean(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(jsonClean);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = jsonClean(x);
    return out;
  }
  return v;
}

const clean = (p: Props): Props => jsonClean(p) as Props;

function inputOnly(spec: ResourceSpec, props: Props): Props {
  const out: Props = {};
  for (const k of Object.keys(spec.inputs)) if (props[k] !== undefined) out[k] = props[k];
  return out;
}

/**
 * Whether a check failure's property path (`userData`, `graphics.password`, `disks[0].source`) is or lies under a
 * secret input. The Pulumi engine prints a failure that names a property with that property's value
 * ("property userData value {…} has a problem", pkg/resource/deploy/step_generator.go issueCheckFailures), the
 * plain text of a secret included, so such failures go out without a property; every reason names its path itself.
 */
export function isSecretPath(spec: Record<string, PropSpec>, path: string): boolean {
  let props: Record<string, PropSpec> | undefined = spec;
  for (const seg of path.split(".")) {
    const prop: PropSpec | undefined = props?.[seg.replace(/\[.*$/, "")];
    if (prop === undefined) return false;
    if (prop.secret) return true;
    const t = elementType(prop.type);
    props = t.kind === "object" ? t.properties : undefined;
  }
  return false;
}

/**
 * Readies an error for Pulumi's dynamic provider host, which prints the errors of check, diff, read and delete to
 * the plugin's stderr as `${err}: ${err.stack}` before the engine shows the message itself: the user read the
 * message twice, the second time with a stack trace of our internals. The error keeps its class and message (the
 * engine's line) but prints as one short line that points at that message; the trace moves to `internalStack`
 * (PULUMI_VIRT_DEBUG=1 keeps errors as they are). Used by the SDK's forwarder only: in-process callers (tests,
 * the harness) get the errors untouched.
 */
export function reported(e: unknown, props: Props, op: string): unknown {
  if (!(e instanceof Error) || process.env["PULUMI_VIRT_DEBUG"] === "1") return e;
  const line = `pulumi-virt: ${op} of ${label(props)} failed`;
  Object.defineProperty(e, "internalStack", { value: e.stack, enumerable: false, configurable: true });
  Object.defineProperty(e, "stack", { value: "the reason is in the error message", enumerable: false, writable: true, configurable: true });
  Object.defineProperty(e, "toString", { value: () => line, enumerable: false, configurable: true });
  return e;
}

/** The URI is judged at check (syntax, transport, driver), so preview refuses one no host could ever take. */
function connectionFailures(conn: ConnectionInput | undefined): CheckFailure[] {
  const pending = (conn as unknown) === UNKNOWN || (conn !== null && typeof conn === "object" && (conn.uri as unknown) === UNKNOWN);
  if (pending || (conn !== undefined && (conn === null || typeof conn !== "object"))) return [];
  const explicit = conn?.uri !== undefined && conn.uri !== "";
  const problem = uriProblem(resolveUri(conn));
  if (problem === undefined) return [];
  return [{ property: "connection.uri", reason: explicit ? problem : `${problem} (from stack config virt:uri or LIBVIRT_DEFAULT_URI)` }];
}

/** Check: the spec's rules, the connection, then the resource's cross-field rules. */
function checkResource(def: ResourceDef, inputs: Record<string, PropSpec>, olds: Props, news: Props): { inputs: Props; failures: CheckFailure[] } {
  const r = checkInputs(inputs, news);
  const failures = [...r.failures, ...connectionFailures(r.inputs["connection"] as ConnectionInput | undefined)];
  // Cross-field rules run even when some property failed, so every problem is reported in one round; a
  // rule that trips over a value the spec check already refused adds nothing.
  if (def.validate) {
    try {
      for (const f of def.validate(r.inputs, Object.keys(olds).length > 0 ? olds : undefined)) {
        if (!failures.some((x) => x.property === f.property)) failures.push(f);
      }
    } catch {
      if (failures.length === 0) throw new Error("input validation failed unexpectedly");
    }
  }
  if (failures.length === 0 && r.inputs["adopt"] === true && Object.keys(olds).length === 0) report(adoptNotice(def.spec.token, label(r.inputs)));
  // A failure on a secret path goes out without a property (the engine would print the secret value with it).
  return { inputs: r.inputs, failures: failures.map((f) => (isSecretPath(inputs, f.property) ? { property: "", reason: f.reason } : withoutProperty(f))) };
}

export function makeResource(def: ResourceDef): ResourceImpl {
  const inputs = { ...def.spec.inputs, ...commonInputs };
  const withUri = async <T>(props: Props, fn: (lv: Libvirt) => Promise<T>): Promise<T> => fn(await connect(stateUri(props)));

  return {
    async check(olds, news) {
      return checkResource(def, inputs, olds, news);
    },

    async diff(_id, olds, news): Promise<DiffResult> {
      const p = plan(def.spec.inputs, olds, news);
      const replaces = [...p.replaceKeys];
      const newUri = resolveUri(news["connection"] as ConnectionInput | undefined);
      const oldUri = typeof olds["uri"] === "string" ? olds["uri"] : undefined;
      if (oldUri !== undefined && news["connection"] !== UNKNOWN && newUri !== oldUri) {
        replaces.push("connection");
        p.changes.push({ path: "connection.uri", from: oldUri, to: newUri, how: "replace" });
      }
      const changes = p.changes.length > 0;
      if (changes) for (const line of describePlan(def.spec.token, label(news), def.spec.inputs, p)) report(line);
      return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && def.deleteBeforeReplace };
    },

    async create(props) {
      const uri = stateUri(props);
      try {
        const { id, outs } = await withUri(props, (lv) => def.create(lv, props));
        return { id, outs: clean({ ...inputOnly(def.spec, props), ...outs, uri }) };
      } catch (e) {
        if (!(e instanceof PartialCreateError)) throw e;
        // Pulumi stores these properties as the half-created object's state verbatim: without `__provider` and
        // `uri`, a later delete or refresh of it could not run.
        throw new PartialCreateError(
          e.message,
          e.id,
          clean({ ...inputOnly(def.spec, props), ...e.properties, uri, __provider: props["__provider"] }),
          e.reasons,
        );
      }
    },

    async read(id, props) {
      const current = await withUri(props, (lv) => def.read(lv, id, props));
      // Only a real not-found (null) reports the object gone; any other error propagated from def.read.
      if (current === null) return { id: "", props: {} };
      return { id, props: clean({ ...props, ...current, uri: stateUri(props) }) };
    },

    async update(id, olds, news) {
      const p = plan(def.spec.inputs, olds, news);
      // The update's outputs replace the state: carry the computed ones it did not recompute (e.g. builtTarget).
      const carried: Props = {};
      for (const [k, v] of Object.entries(olds)) if (!(k in inputs) && !k.startsWith("__")) carried[k] = v;
      let outs: Props;
      try {
        outs = await withUri(olds, (lv) => def.update(lv, id, p, olds, news));
      } catch (e) {
        if (!(e instanceof PartialUpdateError)) throw e;
        // Stored as the object's outputs verbatim (with the new inputs): `__provider` and `uri` must be in them.
        const properties = clean({ ...carried, ...inputOnly(def.spec, news), ...e.properties, uri: stateUri(olds), __provider: news["__provider"] });
        throw new PartialUpdateError(e.message, e.id, properties, e.reasons);
      }
      return { outs: clean({ ...carried, ...inputOnly(def.spec, news), ...outs, uri: stateUri(olds) }) };
    },

    async delete(id, props) {
      // A daemon restart during a delete is waited out (each delete looks its object up first, so a retry is safe).
      await whileReconnecting(() => withUri(props, (lv) => def.delete(lv, id, props)), 60000);
    },
  };
}
