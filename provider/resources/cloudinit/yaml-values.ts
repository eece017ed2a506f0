/**
 * What a YAML document parses to, and how a plain scalar resolves: YAML 1.1 as PyYAML's safe loader (which
 * cloud-init uses) does it — `yes` is true, `010` is 8, `1:30` is 90.
 */

/** A parsed value: what PyYAML's safe_load gives, as JSON-like data. */
export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

/** The `!!` tags PyYAML's safe loader constructs. */
export const SAFE_TAGS = new Set(["null", "bool", "int", "float", "binary", "timestamp", "omap", "pairs", "set", "str", "seq", "map"]);

/** YAML 1.1 scalar resolution as PyYAML's safe loader does it (null, bool, int, float; the rest are strings). */
export function resolvePlain(text: string): YamlValue {
  if (/^(~|null|Null|NULL|)$/.test(text)) return null;
  if (/^(yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text)) return true;
  if (/^(no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(text)) return false;
  const sign = text.startsWith("-") ? -1 : 1;
  const unsigned = text.replace(/^[-+]/, "").replace(/_/g, "");
  if (/^[-+]?0b[01_]+$/.test(text)) return sign * parseInt(unsigned.slice(2), 2);
  if (/^[-+]?0x[0-9a-fA-F_]+$/.test(text)) return sign * parseInt(unsigned.slice(2), 16);
  if (/^[-+]?0[0-7_]+$/.test(text)) return sign * parseInt(unsigned, 8);
  if (/^[-+]?(0|[1-9][0-9_]*)$/.test(text)) return sign * Number(unsigned);
  if (/^[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+$/.test(text)) return sign * sexagesimal(unsigned);
  if (/^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$/.test(text)) return sign * sexagesimal(unsigned);
  if (/^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$/.test(text) && /[0-9]/.test(text)) return sign * Number(unsigned);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return sign * Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return NaN;
  return text;
}

/** Base 60: `1:30` is 90, `1:30.5` is 90.5 (the digits already checked, no sign or underscores). */
export const sexagesimal = (digits: string): number => digits.split(":").reduce((a, d) => a * 60 + Number(d), 0);

/** A short description of a parsed value's kind, for messages. */
export function kindOf(v: YamlValue): string {
  if (v === null) return "empty";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v === "string" ? "string" : typeof v}`;
}
