/** YAML errors: every one names the line and column (1-based) and what is wrong, never the text (a secret). */

/**
 * What kind of problem: PyYAML refuses "syntax", "tab", "tag" and "documents" too; "duplicate-key",
 * "explicit-key" and "quoted-continuation" are ours alone (stricter than PyYAML on purpose).
 */
export type YamlErrorKind = "syntax" | "tab" | "tag" | "documents" | "duplicate-key" | "explicit-key" | "quoted-continuation";

export class YamlError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly problem: string,
    readonly kind: YamlErrorKind = "syntax",
  ) {
    super(`line ${line}, column ${column}: ${problem}`);
    this.name = "YamlError";
  }
}

const MAX_KEY = 40;
/** A key or tag as messages quote it: cut to 40 characters. */
export const shortKey = (k: string) => (k.length > MAX_KEY ? `${k.slice(0, MAX_KEY)}…` : k);
export const TAB_INDENT = "a tab character is used for indentation; YAML indents with spaces only";
export const TAB_ELSEWHERE =
  "a tab character here: cloud-init's YAML parser (PyYAML) takes tabs only inside quoted strings, block scalars (| or >) and comments; use spaces";
