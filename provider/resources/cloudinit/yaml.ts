/**
 * A YAML well-formedness check for the subset cloud-config and network-config use: block mappings and
 * sequences (including `- key: value` items and lists at their key's indentation), plain, single- and
 * double-quoted scalars (multi-line too), block scalars `|` and `>` with chomping and indentation indicators,
 * flow collections `[...]` and `{...}`, comments, anchors, aliases and standard `!!` tags, one document
 * (`---`, `...`).
 *
 * cloud-init reads YAML with PyYAML (`safe_load`), so this follows PyYAML where it is stricter than the YAML spec
 * — tabs only inside quotes, block scalars and comments; YAML 1.1 scalars (`yes` is true, `010` is 8); no
 * application tags — and is stricter than PyYAML in three places that are mistakes in practice: duplicate keys,
 * quoted strings whose continuation lines are not indented (the spec's rule), and explicit `? ` keys (not
 * supported). It parses to plain values so callers can check the shape.
 *
 * Every error names the line and column (1-based) and what is wrong — never the text, since user data is a secret.
 *
 * The parts: yaml-block (indentation structure and block scalars), yaml-flow ([...] and {...}), yaml-syntax
 * (lines, keys, escapes, folding), yaml-values (results and YAML 1.1 resolution), yaml-errors.
 */
import { Parser } from "./yaml-block";
import { YamlError } from "./yaml-errors";
import type { YamlValue } from "./yaml-values";

export { YamlError } from "./yaml-errors";
export { kindOf, YamlValue } from "./yaml-values";

/** Parses one YAML document; throws YamlError with line and column. */
export function parseYaml(text: string): YamlValue {
  const p = new Parser(text);
  let value: YamlValue;
  try {
    value = p.document();
  } catch (e) {
    // A stray tab before the point of failure is the earlier problem (and often its cause).
    if (e instanceof YamlError) throw p.badTab(e.line, e.column) ?? e;
    throw e;
  }
  const tab = p.badTab(Infinity, 0);
  if (tab !== undefined) throw tab;
  return value;
}
