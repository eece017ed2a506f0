import { isUnknown, parseSize, PropSpec, PropType, StringFormat } from "../diff";
import { ipVersion } from "./ip";

/** One check failure as Pulumi reports it: the property and why (with the bad value and what is allowed). */
export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult {
  /** The inputs normalised (sizes in bytes, defaults filled, MACs lower-case), unknowns kept as they are. */
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const BRIDGE_RE = /^[A-Za-z0-9_.:-]{1,15}$/;

/**
 * Validates and normalises inputs against a spec table, before anything touches a host. Every property is
 * checked (all failures are reported at once, not just the first). Values not known yet (preview) pass.
 * Keys starting with `__` belong to Pulumi (`__provider`) and are kept untouched.
 */
export function checkInputs(spec: Record<string, PropSpec>, news: Record<string, unknown>): CheckResult {
  const failures: CheckFailure[] = [];
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(news)) {
    if (k.startsWith("__")) inputs[k] = v;
    else if (!(k in spec)) failures.push({ property: k, reason: `unknown property "${k}"; known: ${Object.keys(spec).join(", ")}` });
  }
  checkProps(spec, news, "", inputs, failures);
  return { inputs, failures };
}

function checkProps(
  spec: Record<string, PropSpec>,
  src: Record<string, unknown>,
  prefix: string,
  out: Record<string, unknown>,
  failures: CheckFailure[],
  secret = false,
): void {
  for (const [name, prop] of Object.entries(spec)) {
    const path = prefix + name;
    const v = src[name];
    if (v === undefined || v === null) {
      if (prop.required) failures.push({ property: path, reason: `${path} is required: ${firstSentence(prop.doc)}` });
      else if (prop.default !== undefined) out[name] = structuredClone(prop.default);
      continue;
    }
    const r = checkValue(prop.type, v, path, failures, secret || prop.secret === true);
    if (r !== undefined) out[name] = r;
  }
}

function firstSentence(doc: string): string {
  const i = doc.indexOf(". ");
  return (i === -1 ? doc : doc.slice(0, i + 1)).trim();
}

/**
 * Returns the normalised value, or undefined after recording a failure. A secret's value is never quoted in a
 * failure: it shows as [secret].
 */
function checkValue(type: PropType, v: unknown, path: string, failures: CheckFailure[], secret = false): unknown {
  if (isUnknown(v)) return v;
  const fail = (reason: string): undefined => {
    failures.push({ property: path, reason: `${path}: ${reason}` });
    return undefined;
  };
  const describe = (x: unknown): string => (secret ? "[secret]" : describeValue(x));
  const quoted = (x: string): string => (secret ? "[secret]" : `"${x}"`);
  switch (type.kind) {
    case "string": {
      if (typeof v !== "string") return fail(`must be a string, got ${describe(v)}`);
      if (type.enum && !type.enum.includes(v)) return fail(`${quoted(v)} is not one of ${type.enum.map((e) => `"${e}"`).join(", ")}`);
      if (type.format) {
        const err = checkFormat(type.format, v);
        if (err) return fail(secret ? err.split(`"${v}"`).join("[secret]") : err);
        if (type.format === "mac") return v.toLowerCase();
      }
      return v;
    }
    case "integer": {
      if (typeof v !== "number" || !Number.isInteger(v)) return fail(`must be a whole number, got ${describe(v)}`);
      if (type.min !== undefined && v < type.min) return fail(`${secret ? "[secret]" : v} is below the minimum ${type.min}`);
      if (type.max !== undefined && v > type.max) return fail(`${secret ? "[secret]" : v} is above the maximum ${type.max}`);
      return v;
    }
    case "boolean":
      if (typeof v !== "boolean") return fail(`must be true or false, got ${describe(v)}`);
      return v;
    case "size": {
      const r = parseSize(v);
      if ("error" in r) return fail(secret ? "is not a size" : r.error);
      if (type.min !== undefined && r.bytes < type.min) return fail(`${secret ? "[secret]" : String(v)} is below the minimum of ${type.min} bytes`);
      return r.bytes;
    }
    case "object": {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return fail(`must be an object, got ${describe(v)}`);
      const src = v as Record<string, unknown>;
      for (const k of Object.keys(src)) {
        if (!(k in type.properties))
          failures.push({ property: `${path}.${k}`, reason: `${path}.${k}: unknown property; known: ${Object.keys(type.properties).join(", ")}` });
      }
      const out: Record<string, unknown> = {};
      checkProps(type.properties, src, `${path}.`, out, failures, secret);
      return out;
    }
    case "array": {
      if (!Array.isArray(v)) return fail(`must be a list, got ${describe(v)}`);
      const out = v.map((item, i) => checkValue(type.items, item, `${path}[${i}]`, failures, secret));
      if (type.key !== undefined) {
        const seen = new Map<string, number>();
        out.forEach((item, i) => {
          const key = item !== null && typeof item === "object" ? (item as Record<string, unknown>)[type.key!] : item;
          if (key === undefined || isUnknown(key)) return;
          const k = String(key);
          const first = seen.get(k);
          if (first !== undefined)
            failures.push({ property: `${path}[${i}]`, reason: `${path}[${i}]: ${type.key} "${k}" is already used by ${path}[${first}]; each must be unique` });
          else seen.set(k, i);
        });
      }
      return out;
    }
  }
}

function checkFormat(format: StringFormat, v: string): string | undefined {
  switch (format) {
    case "name":
      return NAME_RE.test(v) ? undefined : `"${v}" is not a valid name: use 1 to 100 letters, digits and _ . + - (not starting with . + or -)`;
    case "absolutePath":
      return v.startsWith("/") && !v.includes("\0") && !/(^|\/)\.\.(\/|$)/.test(v)
        ? undefined
        : `"${v}" must be an absolute path (starting with /, without ..)`;
    case "mac":
      return MAC_RE.test(v.toLowerCase()) ? undefined : `"${v}" is not a MAC address like 52:54:00:12:34:56`;
    case "ipv4":
      return ipVersion(v) === 4 ? undefined : `"${v}" is not an IPv4 address`;
    case "ipv6":
      return ipVersion(v) === 6 ? undefined : `"${v}" is not an IPv6 address`;
    case "ip":
      return ipVersion(v) !== 0 ? undefined : `"${v}" is not an IP address`;
    case "octalMode":
      return /^0?[0-7]{3,4}$/.test(v) ? undefined : `"${v}" is not an octal mode like "0755"`;
    case "url":
      return /^https?:\/\/[^\s]+$/.test(v) ? undefined : `"${v}" is not an http(s) URL`;
    case "bridgeName":
      return BRIDGE_RE.test(v) ? undefined : `"${v}" is not a valid bridge name: 1 to 15 letters, digits and _ . : -`;
  }
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "string") return `"${v}"`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}
