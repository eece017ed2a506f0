/**
 * What yaml.ts reports, in words of its own: the checks the `yaml` package leaves to us (what PyYAML refuses
 * beyond it, and our stricter rules), read from the package's concrete syntax tree, and the package's errors
 * reworded — its messages quote the text, which is a secret — and placed where the mistake is.
 */
import type { CST, ErrorCode } from "yaml";
import { shortKey, TAB_ELSEWHERE, TAB_INDENT, type YamlErrorKind } from "./yaml-errors";
import { SAFE_TAGS } from "./yaml-values";

/** A problem at an offset of the text. */
export interface Problem {
  offset: number;
  problem: string;
  kind: YamlErrorKind;
}

/** A token of the syntax tree that has text of its own. */
interface Leaf {
  type: string;
  offset: number;
  source: string;
}

type Collection = (CST.BlockMap | CST.BlockSequence | CST.FlowCollection) & { parentIndent: number; inFlow: boolean };

/** The parts of the syntax tree the checks read. */
export interface Facts {
  leaves: Leaf[];
  collections: Collection[];
  documents: CST.Document[];
  blockScalars: { token: CST.BlockScalar; parentIndent: number }[];
  /** Plain scalars inside [ ] or { }. */
  flowPlain: Leaf[];
}

export function cstFacts(tokens: CST.Token[]): Facts {
  const f: Facts = { leaves: [], collections: [], documents: [], blockScalars: [], flowPlain: [] };
  const walk = (t: unknown, parentIndent: number, inFlow: boolean): void => {
    if (Array.isArray(t)) {
      for (const x of t) walk(x, parentIndent, inFlow);
      return;
    }
    if (t === null || typeof t !== "object") return;
    const o = t as Record<string, unknown>;
    let inner = parentIndent;
    let flow = inFlow;
    if (typeof o["type"] === "string" && typeof o["offset"] === "number") {
      const type = o["type"];
      if (type === "document") f.documents.push(o as unknown as CST.Document);
      if (type === "block-map" || type === "block-seq" || type === "flow-collection") {
        f.collections.push(Object.assign(o as unknown as CST.BlockMap, { parentIndent, inFlow }));
        if (type !== "flow-collection") inner = o["indent"] as number;
        flow = type === "flow-collection";
      }
      if (type === "block-scalar") f.blockScalars.push({ token: o as unknown as CST.BlockScalar, parentIndent });
      if (typeof o["source"] === "string") f.leaves.push({ type, offset: o["offset"], source: o["source"] });
      if (type === "scalar" && inFlow) f.flowPlain.push({ type, offset: o["offset"], source: o["source"] as string });
    }
    for (const k of ["start", "props", "key", "sep", "value", "items", "end"]) if (k in o) walk(o[k], inner, flow);
  };
  walk(tokens, -1, false);
  f.leaves.sort((a, b) => a.offset - b.offset);
  f.collections.sort((a, b) => a.offset - b.offset);
  return f;
}

// --- places in the text --------------------------------------------------------------------------------------

const lineStart = (text: string, offset: number) => text.lastIndexOf("\n", offset - 1) + 1;
/** The 1-based line and column of an offset. */
export const lineNo = (text: string, offset: number) => {
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) n++;
  return n;
};
export const column = (text: string, offset: number) => offset - lineStart(text, offset) + 1;
/** The first character at or after `k` that is not a space or tab. */
function skipSpaces(text: string, k: number): number {
  while (text[k] === " " || text[k] === "\t") k++;
  return k;
}
/** The first character of the line that is not a space or tab (the line's end if none). */
function firstOnLine(text: string, offset: number): number {
  return skipSpaces(text, lineStart(text, offset));
}
// --- what the package accepts and PyYAML (or we) do not ------------------------------------------------------

export function extraProblems(text: string, f: Facts): Problem[] {
  // In this order: at one place, the first found is reported (a tab first: often the cause of the rest).
  const tab = badTab(text, f);
  return [
    ...(tab !== undefined ? [tab] : []),
    ...tokens(text, f),
    ...emptyKeys(text, f),
    ...flowKeys(text, f),
    ...noSpaceAfter(text, f),
    ...flowPlainValues(f),
    ...anchorNames(f),
    ...blockScalarIndent(f),
    ...secondDocument(f),
  ];
}

/** Tags PyYAML does not construct, explicit keys, quoted strings the package closed early. */
function tokens(text: string, f: Facts): Problem[] {
  const out: Problem[] = [];
  for (const l of f.leaves) {
    if (l.type === "tag" && !safeTag(l.source)) {
      out.push({
        offset: l.offset,
        kind: "tag",
        problem: `the tag ${shortKey(l.source)} is not one cloud-init's YAML loader (PyYAML safe_load) constructs; use a standard tag such as !!str, or none`,
      });
    }
    if (l.type === "explicit-key-ind")
      out.push({ offset: l.offset, kind: "explicit-key", problem: "explicit keys (? ) are not supported here; write key: value" });
    if (l.type === "single-quoted-scalar" || l.type === "double-quoted-scalar") {
      const p = unclosedQuote(text, l);
      if (p !== undefined) out.push(p);
    }
  }
  return out;
}

/** A colon with no key before it (PyYAML: an anchor or tag alone is an empty key on its line). */
function emptyKeys(text: string, f: Facts): Problem[] {
  const out: Problem[] = [];
  for (const c of f.collections) {
    if (c.type === "block-seq") continue;
    for (const it of c.items as CST.BlockMap["items"]) {
      const colon = it.sep?.find((t) => t.type === "map-value-ind");
      if (colon === undefined || ("key" in it && it.key !== null && it.key !== undefined)) continue;
      const props = it.start.find((t) => t.type === "anchor" || t.type === "tag");
      if (props !== undefined && c.type === "block-map" && column(text, props.offset) !== c.indent + 1) {
        out.push({
          offset: props.offset,
          kind: "syntax",
          problem: `bad indentation: this key is at column ${column(text, props.offset)}, but the mapping it is in has its keys at column ${c.indent + 1}`,
        });
        continue;
      }
      if (it.start.some((t) => t.type === "explicit-key-ind" || t.type === "anchor" || t.type === "tag")) continue;
      // `&a: 1`: the anchor (or tag) is on the empty key for PyYAML, wherever the package puts it.
      const prev = leafBefore(f, colon.offset);
      if (prev !== undefined && (prev.type === "anchor" || prev.type === "tag") && lineNo(text, prev.offset) === lineNo(text, colon.offset)) continue;
      out.push({ offset: colon.offset, kind: "syntax", problem: "a key is missing before this colon" });
    }
  }
  return out;
}

/** A key inside [ ] or { } on another line than its colon. */
function flowKeys(text: string, f: Facts): Problem[] {
  const out: Problem[] = [];
  for (const c of f.collections) {
    if (c.type !== "flow-collection") continue;
    for (const it of c.items) {
      const colon = it.sep?.find((t) => t.type === "map-value-ind");
      const key = "key" in it ? it.key : undefined;
      if (colon === undefined || key === null || key === undefined || it.start.some((t) => t.type === "explicit-key-ind")) continue;
      if (lineNo(text, key.offset) !== lineNo(text, colon.offset))
        out.push({ offset: key.offset, kind: "syntax", problem: "a key inside [ ] or { } must be on one line with its colon" });
    }
  }
  return out;
}

/** A tag or block scalar header with text right after it. */
function noSpaceAfter(text: string, f: Facts): Problem[] {
  const out: Problem[] = [];
  for (const l of f.leaves) {
    const next = text[l.offset + l.source.length];
    if (next === undefined || " \r\n".includes(next)) continue;
    if (l.type === "tag") out.push({ offset: l.offset, kind: "syntax", problem: "a tag (!) needs a space after it" });
    if (l.type === "block-scalar-header")
      out.push({
        offset: l.offset + l.source.length,
        kind: "syntax",
        problem: "unexpected text after the block scalar indicator; put a space before a comment",
      });
  }
  return out;
}

/** ? and : in plain values inside [ ] or { }, as PyYAML scans them. */
function flowPlainValues(f: Facts): Problem[] {
  const out: Problem[] = [];
  for (const l of f.flowPlain) {
    const q = l.source.indexOf("?");
    if (q === 0) out.push({ offset: l.offset, kind: "explicit-key", problem: "explicit keys (? ) are not supported here; write key: value" });
    else if (q > 0)
      out.push({
        offset: l.offset + q,
        kind: "syntax",
        problem: 'a "?" inside a plain value in [ ] or { }: cloud-init\'s YAML parser (PyYAML) reads it as a key indicator; quote the value',
      });
    if (l.source.startsWith(":")) out.push({ offset: l.offset, kind: "syntax", problem: '":" cannot start a plain value inside [ ] or { }; quote the value' });
  }
  return out;
}

/** Anchor and alias names as PyYAML scans them. */
function anchorNames(f: Facts): Problem[] {
  const out: Problem[] = [];
  for (const l of f.leaves) {
    if (l.type !== "anchor" && l.type !== "alias") continue;
    const name = /^[A-Za-z0-9_-]*/.exec(l.source.slice(1))![0];
    if (name.length + 1 < l.source.length || name === "") {
      const what = l.type === "anchor" ? "an anchor (&)" : "an alias (*)";
      out.push({
        offset: l.offset,
        kind: "syntax",
        problem: `${what} name takes letters, digits, - and _ only (cloud-init's YAML parser, PyYAML, ends it at anything else)`,
      });
    }
  }
  return out;
}

/** Block scalar text at or left of its parent's column. */
function blockScalarIndent(f: Facts): Problem[] {
  const out: Problem[] = [];
  for (const { token, parentIndent } of f.blockScalars) {
    const min = Math.max(1, parentIndent + 1);
    const last = token.props[token.props.length - 1] as CST.SourceToken | undefined;
    let at = last === undefined ? token.offset : last.offset + last.source.length;
    for (const line of token.source.split("\n")) {
      const spaces = line.length - line.replace(/^ +/, "").length;
      if (line.trim() !== "" && spaces < min) {
        out.push({ offset: at + spaces, kind: "syntax", problem: `the text of a block scalar (| or >) must be indented to at least column ${min + 1}` });
        break;
      }
      at += line.length + 1;
    }
  }
  return out;
}

/** More than one document. */
function secondDocument(f: Facts): Problem[] {
  const out: Problem[] = [];
  const second = f.documents[1];
  if (second !== undefined) {
    const marker = second.start.find((t) => t.type === "doc-start");
    if (marker !== undefined) out.push({ offset: marker.offset, kind: "documents", problem: "a second YAML document starts here; give one document only" });
    else out.push({ offset: firstContent(second), kind: "documents", problem: "content after the document end marker (...); give one document only" });
  }
  return out;
}

/** The last leaf before `offset` that is not a space or a line break. */
function leafBefore(f: Facts, offset: number): Leaf | undefined {
  let prev: Leaf | undefined;
  for (const l of f.leaves) {
    if (l.offset >= offset) break;
    if (l.type !== "space" && l.type !== "newline") prev = l;
  }
  return prev;
}

function firstContent(d: CST.Document): number {
  const v = d.value;
  return v !== undefined ? v.offset : d.offset;
}

function safeTag(tag: string): boolean {
  if (tag === "!") return true;
  const m = /^!!([A-Za-z]+)$/.exec(tag) ?? /^!<tag:yaml\.org,2002:([A-Za-z]+)>$/.exec(tag);
  return m !== null && SAFE_TAGS.has(m[1]!);
}

/**
 * The first tab outside quoted strings, comments and block scalar text (PyYAML's rule). In a block scalar, tabs
 * are text only at or after its content indentation (PyYAML's: the spaces of its first line, at least one more
 * than the enclosing collection's).
 */
function badTab(text: string, f: Facts): Problem | undefined {
  const allowed: [number, number][] = [];
  for (const l of f.leaves) {
    if (l.type === "single-quoted-scalar" || l.type === "double-quoted-scalar" || l.type === "comment") allowed.push([l.offset, l.offset + l.source.length]);
  }
  for (const { token, parentIndent } of f.blockScalars) {
    const last = token.props[token.props.length - 1] as CST.SourceToken | undefined;
    const start = last === undefined ? token.offset : last.offset + last.source.length;
    const header = (token.props.find((p) => p.type === "block-scalar-header") as CST.SourceToken | undefined)?.source ?? "";
    const min = Math.max(1, parentIndent + 1);
    const digit = /[1-9]/.exec(header);
    let indent = min;
    const lines = token.source.split("\n");
    if (digit !== null) indent = min + Number(digit[0]) - 1;
    else {
      for (const line of lines) {
        const spaces = line.length - line.replace(/^ +/, "").length;
        indent = Math.max(indent, spaces);
        if (spaces < line.length && line[spaces] !== "\r") break;
      }
    }
    let at = start;
    for (const line of lines) {
      if (line.length > indent) allowed.push([at + indent, at + line.length]);
      at += line.length + 1;
    }
  }
  for (let k = text.indexOf("\t"); k !== -1; k = text.indexOf("\t", k + 1)) {
    if (allowed.some(([a, b]) => a <= k && k < b)) continue;
    const first = firstOnLine(text, k);
    const eol = text.indexOf("\n", k);
    const rest = text.slice(first, eol === -1 ? text.length : eol).trim();
    return { offset: k, kind: "tab", problem: k < first && rest !== "" ? TAB_INDENT : TAB_ELSEWHERE };
  }
  return undefined;
}

/**
 * A quoted string the package ended early: never closed, or closed only after a line back at the indentation of
 * the enclosing block (PyYAML takes that; the spec and we do not: in practice it is a quote left open).
 */
function unclosedQuote(text: string, l: Leaf): Problem | undefined {
  const q = l.source[0]!;
  const what = q === '"' ? "double-quoted" : "single-quoted";
  const whole = q === '"' ? /"(?:[^"\\]|\\[\s\S])*"/y : /'(?:[^']|'')*'/y;
  whole.lastIndex = 0;
  const m = whole.exec(l.source);
  if (m !== null && m[0].length === l.source.length) return undefined;
  whole.lastIndex = l.offset;
  const rest = whole.exec(text);
  const say = (reason: string, kind: YamlErrorKind): Problem => ({
    offset: l.offset,
    kind,
    problem: `the ${what} string starting here is never closed (${reason}); close it with ${q}`,
  });
  if (rest === null) return say("before the end of the text", "syntax");
  const marker = /\n(?:---|\.\.\.)(?=[ \t\r\n]|$)/.exec(rest[0]);
  if (marker !== null) return say(`before the document marker on line ${lineNo(text, l.offset + marker.index + 1)}`, "syntax");
  const next = lineNo(text, l.offset + l.source.length) + (text[l.offset + l.source.length] === "\n" || l.source.endsWith("\n") ? 1 : 0);
  return say(
    `before line ${Math.max(next, lineNo(text, l.offset) + 1)}, which is back at the indentation of the enclosing block; YAML requires a string's continuation lines to be indented`,
    "quoted-continuation",
  );
}

// --- the package's errors, in our words ----------------------------------------------------------------------

const GENERIC: Partial<Record<ErrorCode, string>> = {
  ALIAS_PROPS: "an alias (*) cannot have a tag or anchor",
  BAD_ALIAS: "an alias (*) needs a name",
  BAD_DIRECTIVE: "a bad % directive",
  BAD_INDENT: "bad indentation here",
  BAD_PROP_ORDER: "an anchor (&) or tag (!) here is out of order",
  BAD_SCALAR_START: "this character cannot start a plain value; quote the value",
  BLOCK_AS_IMPLICIT_KEY: "a block value cannot be a key here",
  BLOCK_IN_FLOW: "a block value (a list item, key: value or | >) cannot be inside [ ] or { }",
  DUPLICATE_KEY: "a duplicate key",
  IMPOSSIBLE: "this is not valid YAML here",
  KEY_OVER_1024_CHARS: "a key longer than 1024 characters; put it on its own, or shorten it",
  MISSING_CHAR: "something is missing here (an unclosed bracket or quote, a colon or a comma)",
  MULTILINE_IMPLICIT_KEY: "a key must be on one line",
  MULTIPLE_ANCHORS: "more than one anchor (&) on one value",
  MULTIPLE_DOCS: "a second YAML document starts here; give one document only",
  MULTIPLE_TAGS: "more than one tag (!) on one value",
  NON_STRING_KEY: "a key that is not a string",
  TAB_AS_INDENT: TAB_INDENT,
  TAG_RESOLVE_FAILED: "a tag (!) that does not resolve; use a standard tag such as !!str, or none",
  UNEXPECTED_TOKEN: "unexpected text here",
  BAD_COLLECTION_TYPE: "a tag (!) that does not fit this kind of value",
};

/** The package's error (code, and where) as a problem in our words, placed where the mistake is. */
/** `message` is the package's, only read (it may quote the text). */
export function describe(text: string, f: Facts, code: ErrorCode, message: string, start: number, end: number): Problem | undefined {
  const p = place(text, f, code, message, start, end);
  if (p === null) return undefined;
  return { offset: p?.offset ?? start, problem: p?.problem ?? GENERIC[code] ?? "this is not valid YAML here", kind: p?.kind ?? "syntax" };
}

/** null: not a problem for PyYAML nor for us (a [ ] or { } over lines back at the enclosing indentation). */
function place(text: string, f: Facts, code: ErrorCode, message: string, start: number, end: number): Partial<Problem> | undefined | null {
  const ch = text[start] ?? "";
  const leafAt = (o: number) => f.leaves.find((l) => l.offset === o);
  const prev = leafBefore(f, start);
  if (code !== "TAB_AS_INDENT" && prev?.type === "block-scalar-header" && lineNo(text, prev.offset) === lineNo(text, start)) return { problem: AFTER_HEADER };
  switch (code) {
    case "TAB_AS_INDENT":
      return { offset: text.indexOf("\t", lineStart(text, start)), problem: TAB_INDENT, kind: "tab" };
    case "BAD_DQ_ESCAPE": {
      const e = text[start + 1] ?? "";
      const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      return {
        problem:
          hex > 0
            ? `the escape \\${e} needs ${hex} hexadecimal digits`
            : `unknown escape \\${e} in a double-quoted string (write \\\\ for a backslash, or use single quotes)`,
      };
    }
    case "BAD_SCALAR_START":
      if ("@`".includes(ch)) return { problem: `"${ch}" is reserved in YAML and cannot start a plain value; quote the value` };
      return { problem: `"${ch}" cannot start a plain value; quote the value` };
    case "UNEXPECTED_TOKEN":
      return unexpected(text, f, start, prev);
    case "MISSING_CHAR": {
      if (/quote/.test(ch) || leafAt(start)?.type.endsWith("quoted-scalar")) return { problem: "a quoted string is never closed" };
      const flow = openFlow(text, f, start);
      if (flow !== undefined) return flow;
      if (text.slice(start, end).includes(":") === false && leafAt(start)?.type === "scalar") {
        const hint = /:[^ \t\r\n]/.test(text.slice(start, end)) ? " (a key needs a space after its colon)" : "";
        return { offset: start, problem: `expected "key: value" here${hint}` };
      }
      return inFlow(text, f, start) ?? lineContext(text, f, start);
    }
    case "BAD_INDENT": {
      const flow = openFlow(text, f, start);
      if (flow !== undefined) return flow;
      if (/^Flow (sequence|mapping) in block collection must be sufficiently indented/.test(message)) return null;
      return badIndent(text, f, skipBlank(text, firstOnLine(text, start)));
    }
    case "BLOCK_AS_IMPLICIT_KEY":
      return blockAsKey(text, f, start);
    case "MULTILINE_IMPLICIT_KEY": {
      for (const c of f.collections) {
        if (c.type !== "block-map") continue;
        for (const it of c.items) {
          if (it.key?.offset !== start) continue;
          const colon = it.sep?.find((t) => t.type === "map-value-ind");
          if (colon !== undefined) return multilineKey(text, start, colon.offset, false);
        }
      }
      return dashInFlow(text, f, start) ?? lineContext(text, f, start);
    }
    case "BLOCK_IN_FLOW":
      return dashInFlow(text, f, start);
    default:
      return undefined;
  }
}

/** Unexpected text: after what (a quote, a bracket, an alias), or what the line should have been. */
function unexpected(text: string, f: Facts, start: number, prev: Leaf | undefined): Partial<Problem> {
  const ch = text[start] ?? "";
  const leaf = f.leaves.find((l) => l.offset === start);
  if (ch === "-" && (leaf?.type === "seq-item-ind" || leaf?.type === "error"))
    return {
      problem:
        prev?.type === "map-value-ind"
          ? "a list cannot start on the same line as its key; put the items on the following lines"
          : "a list item cannot start here",
    };
  if ("]},".includes(ch) && ch !== "") {
    const lead = text.slice(lineStart(text, start), start).trim();
    if (lead === "" || lead.endsWith(":") || lead.endsWith("-")) return { problem: `"${ch}" cannot start a plain value; quote the value` };
    return { problem: ch === "," ? "unexpected , outside [ ] or { }" : `unexpected ${ch}: no ${ch === "]" ? "[" : "{"} is open here` };
  }
  if (prev?.type === "single-quoted-scalar" || prev?.type === "double-quoted-scalar") return { problem: "unexpected text after the closing quote" };
  if (prev?.type === "flow-seq-end" || prev?.type === "flow-map-end") return { problem: `unexpected text after the closing ${prev.source}` };
  if (prev?.type === "alias") return { problem: "unexpected text after the alias" };
  return inFlow(text, f, start) ?? lineContext(text, f, start) ?? { problem: "unexpected text here" };
}

/** A block mapping where a key's value was being read: a ": " inside a value, or a key deeper than its entry. */
function blockAsKey(text: string, f: Facts, start: number): Partial<Problem> {
  // The mapping the package found in the value: at the error, or after its anchor or tag.
  const map = f.collections.find((c) => c.offset >= start && c.type === "block-map") as CST.BlockMap | undefined;
  const colon = map?.items[0]?.sep?.find((t) => t.type === "map-value-ind");
  if (map !== undefined && colon !== undefined) {
    if (lineNo(text, colon.offset) === lineNo(text, start)) {
      return {
        offset: colon.offset,
        problem: 'a ": " inside a plain value (mapping values are not allowed here); quote the value, or put a nested mapping on its own lines',
      };
    }
    return multilineKey(text, start, colon.offset, true);
  }
  return badIndent(text, f, firstOnLine(text, start));
}

/** The innermost [ ] or { } that `at` is inside (open there, closed after it or never). */
function flowAround(f: Facts, at: number): CST.FlowCollection | undefined {
  let inner: CST.FlowCollection | undefined;
  for (const c of f.collections) {
    if (c.offset >= at) break;
    if (c.type !== "flow-collection") continue;
    const close = c.end.find((t) => t.type === "flow-seq-end" || t.type === "flow-map-end");
    if (close === undefined || close.offset >= at) inner = c;
  }
  return inner;
}

/** Something missing inside [ ] or { }: a comma or the closing bracket. */
function inFlow(text: string, f: Facts, at: number): Partial<Problem> | undefined {
  const c = flowAround(f, at);
  if (c === undefined) return undefined;
  const list = c.start.source === "[";
  return {
    offset: at,
    problem: `expected , or ${list ? "]" : "}"} in the ${list ? "list" : "mapping"} opened on line ${lineNo(text, c.offset)}, column ${column(text, c.offset)}`,
  };
}

/** `[- b]`: a - inside [ ] or { } reads as a list item to the package, and PyYAML refuses it as a value's start. */
function dashInFlow(text: string, f: Facts, at: number): Partial<Problem> | undefined {
  if (text[at] !== "-" || flowAround(f, at) === undefined) return undefined;
  return { offset: at, problem: '"-" cannot start a plain value inside [ ] or { }; quote the value' };
}

/**
 * An error at the first token of a line: what the line should have been, read from the block collections still
 * open above it (a list item in a list, key: value in a mapping) or from the document's first line.
 */
function lineContext(text: string, f: Facts, offset: number): Partial<Problem> | undefined {
  // At the line's first token, or after only a tag or anchor there.
  const props = /^ *([!&][^ \t\r\n]* *)+$/.test(text.slice(lineStart(text, offset), offset));
  const at = props ? firstOnLine(text, offset) : skipBlank(text, offset);
  if (at >= text.length || firstOnLine(text, at) !== at) return undefined;
  if (text[at] === ":") return { offset: at, problem: "a key is missing before this colon" };
  const col = column(text, at);
  const first = f.documents[0]?.value;
  if (first !== undefined && first.offset < at && lineNo(text, first.offset) < lineNo(text, at) && column(text, first.offset) > col) {
    return {
      offset: at,
      problem: `this line is indented less than the document's first line (column ${column(text, first.offset)}, line ${lineNo(text, first.offset)})`,
    };
  }
  let same: { offset: number; list: boolean } | undefined;
  for (const c of f.collections) {
    if (c.offset >= at) break;
    if (c.type !== "flow-collection" && column(text, c.offset) === col && openAt(text, c.offset, at)) same = { offset: c.offset, list: c.type === "block-seq" };
  }
  // Where the package's tree lost the collection (it can, after an error), the lines above say the same.
  same ??= sameColumn(text, at);
  if (same === undefined) {
    if (f.collections.some((c) => c.offset < at && c.type !== "flow-collection")) return badIndent(text, f, at);
    return first !== undefined && first.offset < at ? { offset: at, problem: "unexpected content after the end of the document's top-level value" } : undefined;
  }
  const where = `starting on line ${lineNo(text, same.offset)}`;
  const item = /^-([ \t\r\n]|$)/.test(text.slice(at, at + 2));
  if (same.list) return item ? undefined : { offset: at, problem: `expected a list item ("- ") here, in the list ${where}` };
  if (item)
    return { offset: at, problem: `a list item ("- ") where a key was expected: the mapping ${where} has its keys at column ${col}; put the list under a key` };
  const eol = text.indexOf("\n", at);
  const hint = /:[^ \t\r\n]/.test(text.slice(at, eol === -1 ? text.length : eol)) ? " (a key needs a space after its colon)" : "";
  return { offset: at, problem: `expected "key: value" here, in the mapping ${where}${hint}` };
}

/** The run of lines above `at` that start at its column with nothing shallower between: where it starts, and if a list. */
function sameColumn(text: string, at: number): { offset: number; list: boolean } | undefined {
  const col = column(text, at);
  let found: { offset: number; list: boolean } | undefined;
  for (let end = lineStart(text, at) - 1; end > 0;) {
    const start = lineStart(text, end);
    const c = skipSpaces(text, start);
    end = start - 1;
    if (c >= text.length || "\r\n#".includes(text[c]!)) continue;
    if (c - start + 1 < col) break;
    if (c - start + 1 > col) continue;
    const list = /^-([ \t\r\n]|$)/.test(text.slice(c, c + 2));
    if (found !== undefined && found.list !== list) break;
    found = { offset: c, list };
  }
  return found;
}

/**
 * Whether the block collection whose first entry is at `start` is still open at `at`: no line between is less
 * indented, or at its column and of the other kind (a key after a list's items, an item after a mapping's keys).
 */
function openAt(text: string, start: number, at: number): boolean {
  const col = column(text, start);
  const list = text[start] === "-";
  for (let k = text.indexOf("\n", start); k !== -1 && k < lineStart(text, at); k = text.indexOf("\n", k + 1)) {
    const c = skipSpaces(text, k + 1);
    if (c >= text.length || "\r\n#".includes(text[c]!)) continue;
    if (c - k < col || (c - k === col && /^-([ \t\r\n]|$)/.test(text.slice(c, c + 2)) !== list)) return false;
  }
  return true;
}

const AFTER_HEADER = "unexpected text after the block scalar indicator (a comment may follow it, the text goes on the next lines)";

/** A plain value running on to a later line that has a colon: that line reads as a key. */
function multilineKey(text: string, valueAt: number, colonAt: number, hasKey: boolean): Partial<Problem> {
  const at = firstOnLine(text, colonAt);
  const line = lineNo(text, valueAt);
  const eol = text.indexOf("\n", valueAt);
  const firstLine = text.slice(lineStart(text, valueAt), eol === -1 ? text.length : eol);
  if (hasKey && column(text, at) > column(text, firstOnLine(text, valueAt))) {
    return {
      offset: at,
      problem: `bad indentation: this key is indented deeper (column ${column(text, at)}) than the entry on line ${line}, which already has a value; align it with that entry's key, or put a nested mapping on a line of its own under a key with no value`,
    };
  }
  const hint = /:[^ \t\r\n]/.test(firstLine) ? " (a key needs a space after its colon)" : "";
  return {
    offset: at,
    problem: `this "key: value" line follows line ${line}, which is a plain value and not a key${hint}; a block holds either keys or one value`,
  };
}

/** A [ or { left open (or closed with the other bracket) before the error at `at`. */
function openFlow(text: string, f: Facts, at: number): Partial<Problem> | undefined {
  let open: CST.FlowCollection | undefined;
  for (const c of f.collections) {
    if (c.offset > at) break;
    if (c.type !== "flow-collection") continue;
    const want = c.start.source === "[" ? "flow-seq-end" : "flow-map-end";
    const close = c.end.find((t) => t.type === "flow-seq-end" || t.type === "flow-map-end");
    if (close === undefined || close.type !== want || close.offset >= at) open = c;
  }
  if (open === undefined) return undefined;
  const o = open.start.source;
  const shut = o === "[" ? "]" : "}";
  const close = open.end.find((t) => t.type === "flow-seq-end" || t.type === "flow-map-end");
  if (close !== undefined && close.source !== shut) {
    return {
      offset: close.offset,
      problem: `${close.source} does not match the ${o} opened on line ${lineNo(text, open.offset)}, column ${column(text, open.offset)}`,
    };
  }
  if (close !== undefined) return undefined;
  const next = skipBlank(text, at);
  const reason =
    next >= text.length ? "before the end of the text" : `before line ${lineNo(text, next)}, which is back at the indentation of the enclosing block`;
  return { offset: open.offset, problem: `the ${o} opened here is never closed (${reason}); close it with ${shut}` };
}

/** The next character that is not a space, tab or line break. */
function skipBlank(text: string, offset: number): number {
  let k = offset;
  while (k < text.length && " \t\r\n".includes(text[k]!)) k++;
  return k;
}

/** A line indented to no level: says which collection it follows and where that has its entries. */
function badIndent(text: string, f: Facts, at: number): Partial<Problem> {
  const col = column(text, at);
  // The line under a block scalar's item, indented less than the scalar's text: a scalar line too short.
  for (const c of f.collections) {
    if (c.type !== "block-map" || c.offset >= at) continue;
    for (let i = 1; i < c.items.length; i++) {
      if (c.items[i]!.key?.offset !== at && !c.items[i]!.start.some((t) => t.offset === at)) continue;
      const v = c.items[i - 1]!.value;
      if (v?.type !== "block-scalar" || col - 1 <= c.indent) continue;
      const header = v.props.find((p) => p.type === "block-scalar-header") as CST.SourceToken | undefined;
      const first = /^( *)\S/m.exec(v.source);
      const want = (first?.[1]?.length ?? 0) + 1;
      return {
        offset: at,
        problem: `bad indentation: this line of the block scalar (${header?.source[0] ?? "|"} on line ${lineNo(text, v.offset)}) is indented less than its first line (column ${want}); indent it to at least column ${want}`,
      };
    }
  }
  let parent: Collection | undefined;
  for (const c of f.collections) {
    if (c.offset >= at) break;
    if (c.type !== "flow-collection" && c.indent < col - 1) parent = c;
  }
  if (parent === undefined) return { offset: at, problem: `bad indentation: this line is indented to column ${col}, deeper than the value above it allows` };
  const where = `column ${parent.indent + 1} (line ${lineNo(text, parent.offset)})`;
  if (parent.type === "block-seq")
    return { offset: at, problem: `bad indentation: this line is indented to column ${col}, but the list it follows has its items ("- ") at ${where}` };
  return {
    offset: at,
    problem: `bad indentation: this line is indented to column ${col}, but the mapping it follows has its keys at ${where} and nothing above it takes a nested value here`,
  };
}
