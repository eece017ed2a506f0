/**
 * The lexical pieces of YAML's block syntax that the block and flow parsers share: lines, where tabs are
 * allowed, list entries, `key:` prefixes, double-quote escapes and `>` folding.
 */
import { YamlError } from "./yaml-errors";

export interface Line {
  /** 1-based line number. */
  no: number;
  /** Column (0-based) where `text` starts. */
  indent: number;
  /** The line from its first non-space character (or from the split point of a compact `- ` item). */
  text: string;
  /** The whole line as written. */
  raw: string;
}

/** Where tabs are allowed: per line number, [from, to) columns inside quotes, block scalar text and comments. */
export type Ranges = Map<number, [number, number][]>;

/** Records that tabs are fine on line `no` in columns [from, to). */
export function allow(ranges: Ranges, no: number, from: number, to: number): void {
  const list = ranges.get(no);
  if (list === undefined) ranges.set(no, [[from, to]]);
  else list.push([from, to]);
}

/** Whether a line's text is a list entry: a dash followed by a space, a tab or nothing. */
export function isSeqEntry(text: string): boolean {
  return text.startsWith("-") && (text.length === 1 || text[1] === " " || text[1] === "\t");
}

/**
 * When the line is `key: ...` (plain or quoted key, on one line): the key and where its value starts. PyYAML's
 * rule: a plain key ends at the first `:` followed by a space, a tab or the end of the line; quotes inside a plain
 * key are ordinary characters.
 */
export function keyOf(l: Line): { key: string; valueCol: number; quoted: boolean } | null {
  const t = l.text;
  const q = t[0];
  if (q === '"' || q === "'") {
    let k = 1;
    let key = "";
    for (; k < t.length; k++) {
      if (t[k] === q) {
        if (q === "'" && t[k + 1] === "'") {
          key += "'";
          k++;
          continue;
        }
        break;
      }
      if (q === '"' && t[k] === "\\") {
        const e = escape(t, k, l.no, l.indent);
        if (e === null) return null;
        key += e.text;
        k += e.length - 1;
        continue;
      }
      key += t[k];
    }
    if (k >= t.length) return null; // not closed on this line: a multi-line quoted value, not a key
    let j = k + 1;
    while (t[j] === " " || t[j] === "\t") j++;
    if (t[j] !== ":" || !(j + 1 >= t.length || t[j + 1] === " " || t[j + 1] === "\t")) return null;
    return { key, valueCol: l.indent + j + 1, quoted: true };
  }
  if (q === "[" || q === "{" || q === "#" || q === "|" || q === ">" || q === "*" || (q === "-" && isSeqEntry(t))) return null;
  if (q !== undefined && ",]}%@`".includes(q)) {
    const colon = /:([ \t]|$)/.exec(t);
    if (colon !== null) throw new YamlError(l.no, l.indent + 1, `"${q}" cannot start a plain key; quote the key`);
    return null;
  }
  for (let k = 0; k < t.length; k++) {
    const ch = t[k];
    if (ch === "#" && k > 0 && (t[k - 1] === " " || t[k - 1] === "\t")) return null;
    if (ch === ":" && (k + 1 >= t.length || t[k + 1] === " " || t[k + 1] === "\t")) {
      if (k === 0) throw new YamlError(l.no, l.indent + 1, "a key is missing before this colon");
      let key = t.slice(0, k).replace(/[ \t]+$/, "");
      // Properties on a key (&anchor / !tag) are dropped; the name is what is left.
      key = key.replace(/^(?:[&!][^ \t]*[ \t]+)+/, "");
      return { key, valueCol: l.indent + k + 1, quoted: false };
    }
  }
  return null;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\x85",
  _: "\xa0",
  L: "\u2028",
  P: "\u2029",
};

/** A `\` escape in a double-quoted string at s[k]: its text and length, or null for an escaped line break. */
export function escape(s: string, k: number, no: number, offset = 0): { text: string; length: number } | null {
  const ch = s[k + 1];
  if (ch === undefined) return null;
  if (ch in SIMPLE_ESCAPES) return { text: SIMPLE_ESCAPES[ch]!, length: 2 };
  const hex = ch === "x" ? 2 : ch === "u" ? 4 : ch === "U" ? 8 : 0;
  if (hex > 0) {
    const digits = s.slice(k + 2, k + 2 + hex);
    if (!new RegExp(`^[0-9A-Fa-f]{${hex}}$`).test(digits)) throw new YamlError(no, offset + k + 1, `the escape \\${ch} needs ${hex} hexadecimal digits`);
    return { text: String.fromCodePoint(parseInt(digits, 16)), length: 2 + hex };
  }
  throw new YamlError(no, offset + k + 1, `unknown escape \\${ch} in a double-quoted string (write \\\\ for a backslash, or use single quotes)`);
}

/**
 * `>`: a line break between two text lines becomes a space; n blank lines between them become n breaks; lines
 * indented further than the first keep their breaks.
 */
export function fold(lines: string[]): string {
  let out = "";
  let prev: string | undefined;
  let blanks = 0;
  for (const cur of lines) {
    if (cur === "") {
      blanks++;
      continue;
    }
    if (prev === undefined) out += "\n".repeat(blanks);
    else {
      const spaced = /^[ \t]/.test(prev) || /^[ \t]/.test(cur);
      out += blanks > 0 ? "\n".repeat(spaced ? blanks + 1 : blanks) : spaced ? "\n" : " ";
    }
    out += cur;
    prev = cur;
    blanks = 0;
  }
  return out;
}
