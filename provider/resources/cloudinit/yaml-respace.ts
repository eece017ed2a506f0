/**
 * Where PyYAML reads text that the `yaml` package does not, and spaces make the package read it the same way:
 * yaml.ts parses the respaced text and maps positions back. Spaces added here change no value.
 *
 * - `&a: 1`, `*a]`: PyYAML's anchor and alias names end at any character other than a letter, digit, - or _
 *   (the package's go on); a space after the name says the same to the package.
 * - `[x]#c`, `'x'#c`, `|#c`: a # where a token may start is a comment to PyYAML; the package wants a space first.
 * - `a: [\n1]`: PyYAML ignores indentation inside [ ] and { }; the package wants the lines indented more than the
 *   enclosing block.
 * - `a:\n|\n  x`: a block scalar indicator on the line after its key, at the key's indentation.
 *
 * And one character: `[-, x]`: a lone - before , ] or } inside [ ] or { } is a plain value to PyYAML and a list
 * item to the package; dashes() finds them, the text read has another character there and the value is put back.
 */
import type { CST } from "yaml";
import type { Facts } from "./yaml-diagnose";

/** Spaces to insert: at an offset of the original text, how many. */
export type Inserts = Map<number, number>;

export function respace(text: string, f: Facts): Inserts {
  const ins: Inserts = new Map();
  const add = (at: number, n: number) => ins.set(at, Math.max(ins.get(at) ?? 0, n));
  for (const l of f.leaves) {
    const end = l.offset + l.source.length;
    if (l.type === "anchor" || l.type === "alias") {
      const name = /^[A-Za-z0-9_-]*/.exec(l.source.slice(1))![0];
      const next = l.source[name.length + 1];
      if (name !== "" && next !== undefined && "?:,]}%@`".includes(next)) add(l.offset + 1 + name.length, 1);
    }
    const tokenEnd = ["flow-seq-end", "flow-map-end", "flow-seq-start", "flow-map-start", "comma", "single-quoted-scalar", "double-quoted-scalar"];
    if (tokenEnd.includes(l.type) && text[end] === "#") add(end, 1);
  }
  for (const c of f.collections) {
    if (c.type !== "flow-collection" || c.inFlow) continue;
    const close = c.end.find((t: CST.SourceToken) => t.type === "flow-seq-end" || t.type === "flow-map-end");
    if (close !== undefined) continue;
    const end = flowEnd(text, c.offset);
    if (end === undefined) continue;
    const need = c.parentIndent + 1;
    for (let k = text.indexOf("\n", c.offset); k !== -1 && k < end; k = text.indexOf("\n", k + 1)) {
      let spaces = 0;
      while (text[k + 1 + spaces] === " ") spaces++;
      if (spaces < need && !"\t\r\n".includes(text[k + 1 + spaces] ?? "\n")) add(k + 1, need - spaces);
    }
  }
  // A block scalar header alone on the line after "key:", not deeper than the key.
  const lines = text.split("\n");
  let at = 0;
  let prev: { indent: number; opens: boolean } | undefined;
  for (const line of lines) {
    const spaces = line.length - line.replace(/^ +/, "").length;
    const body = line.slice(spaces);
    if (body.trim() !== "" && !body.startsWith("#")) {
      if (prev?.opens === true && spaces === prev.indent && /^[|>][-+1-9]*[ \t]*(#.*)?\r?$/.test(body)) add(at, prev.indent + 1 - spaces);
      prev = { indent: spaces, opens: /^[^#'"]*:[ \t]*(#.*)?\r?$/.test(body) && !/^- /.test(body) };
    }
    at += line.length + 1;
  }
  return ins;
}

/**
 * Where the [ or { at `start` closes as PyYAML reads it (indentation does not matter inside), or undefined if it
 * does not before the end of the text or a document marker.
 */
function flowEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let nodeStart = true;
  for (let k = start; k < text.length; k++) {
    const c = text[k]!;
    if (c === "\n") {
      if (/^(---|\.\.\.)([ \t\r\n]|$)/.test(text.slice(k + 1, k + 5))) return undefined;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") continue;
    if (c === "#" && " \t\n[]{},:'\"".includes(text[k - 1] ?? " ")) {
      const eol = text.indexOf("\n", k);
      if (eol === -1) return undefined;
      k = eol - 1;
      continue;
    }
    if ((c === '"' || c === "'") && nodeStart) {
      const re = c === '"' ? /"(?:[^"\\]|\\[\s\S])*"/y : /'(?:[^']|'')*'/y;
      re.lastIndex = k;
      const m = re.exec(text);
      if (m === null) return undefined;
      k += m[0].length - 1;
      nodeStart = false;
      continue;
    }
    if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") {
      depth--;
      if (depth === 0) return k + 1;
    }
    nodeStart = "[{,:?".includes(c);
  }
  return undefined;
}

/** The text with the spaces in. */
export function applyInserts(text: string, ins: Inserts): string {
  if (ins.size === 0) return text;
  let out = "";
  let from = 0;
  for (const at of [...ins.keys()].sort((a, b) => a - b)) {
    out += text.slice(from, at) + " ".repeat(ins.get(at)!);
    from = at;
  }
  return out + text.slice(from);
}

/** An offset in the respaced text as an offset in the original (inside inserted spaces: the character after). */
export function originalOffset(ins: Inserts, offset: number): number {
  let shift = 0;
  for (const at of [...ins.keys()].sort((a, b) => a - b)) {
    if (offset < at + shift) return offset - shift;
    const n = ins.get(at)!;
    if (offset < at + shift + n) return at;
    shift += n;
  }
  return offset - shift;
}

/** Offsets of a lone - before , ] or } inside [ ] or { } (see above). */
export function dashes(text: string, f: Facts): Set<number> {
  const out = new Set<number>();
  for (const l of f.leaves) if (l.type === "seq-item-ind" && ",]}".includes(text[l.offset + 1] ?? " ")) out.add(l.offset);
  return out;
}

/** The text with a placeholder for each lone dash. */
export const DASH = "\u2010";
export function applyDashes(text: string, at: Set<number>): string {
  if (at.size === 0) return text;
  const chars = text.split("");
  for (const k of at) chars[k] = DASH;
  return chars.join("");
}
