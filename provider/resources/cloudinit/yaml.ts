/**
 * The YAML check of cloud-config and network-config: the `yaml` package (YAML 1.1) reads the text, and this module
 * adds what cloud-init's parser — PyYAML's `safe_load` — refuses that the package accepts: tabs outside quoted
 * strings, block scalars and comments; application tags (`!custom`); more than one document; a repeated anchor;
 * a list or mapping as a key; an empty key; anchor names and `?` inside [ ] as PyYAML scans them. Where PyYAML
 * takes what the package refuses (indentation inside [ ] and { }, `[x]#c`, `&a: 1`), yaml-respace adds spaces that
 * change no value and the package reads that. It is stricter than PyYAML in three places that are mistakes in
 * practice: duplicate keys, quoted strings whose continuation lines are not indented (the spec's rule), and
 * explicit `? ` keys. test/integration/resources/cloudinit-yaml-agreement.test.ts holds it to PyYAML on 30,000
 * mutated documents.
 *
 * Plain scalars resolve as PyYAML's safe loader does (`yes` is true, `010` is 8, `1:30` is 90); the result is
 * plain values so callers can check the shape.
 *
 * Every error names the line and column (1-based) and what is wrong — never the text, since user data is a
 * secret: the package's own messages quote the text, so they are not passed on (yaml-diagnose words them).
 */
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, Scalar } from "yaml";
import type { CST, Document, Node as YamlNode } from "yaml";
import { column, cstFacts, describe, extraProblems, type Facts, lineNo, type Problem } from "./yaml-diagnose";
import { applyDashes, applyInserts, DASH, dashes, type Inserts, originalOffset, respace } from "./yaml-respace";
import { shortKey, YamlError } from "./yaml-errors";
import { resolvePlain, SAFE_TAGS, sexagesimal, type YamlValue } from "./yaml-values";

export { YamlError } from "./yaml-errors";
export type { YamlErrorKind } from "./yaml-errors";
export { kindOf, YamlValue } from "./yaml-values";

/** Parses one YAML document; throws YamlError with line and column. */
export function parseYaml(text: string): YamlValue {
  // Respacing can show more to respace (a comment after a comma inside [ ] that the package first read as a plain
  // value): a few rounds, each in the original text's offsets.
  const inserts: Inserts = new Map();
  const lone = new Set<number>();
  let r = read(text, () => false);
  for (let round = 0; round < 3; round++) {
    const current = applyInserts(text, inserts);
    const more = respace(current, r.facts);
    const dash = [...dashes(current, r.facts)].map((o) => originalOffset(inserts, o)).filter((o) => !lone.has(o));
    if (more.size === 0 && dash.length === 0) break;
    const at = [...more].map(([o, n]) => [originalOffset(inserts, o), n] as const);
    for (const [o, n] of at) inserts.set(o, (inserts.get(o) ?? 0) + n);
    for (const o of dash) lone.add(o);
    r = read(applyInserts(applyDashes(text, lone), inserts), (o) => lone.has(originalOffset(inserts, o)));
  }
  if (r.problems.length > 0) {
    // The first problem in the text; at one place, the order found (tabs first: often the cause of the rest).
    const p = r.problems.reduce((a, b) => (b.offset < a.offset ? b : a));
    const at = Math.max(0, Math.min(text.length, originalOffset(inserts, p.offset)));
    throw new YamlError(lineNo(text, at), column(text, at), p.problem, p.kind);
  }
  return r.value;
}

/** Parses `text` (respaced or not): its syntax facts, its value and its problems. */
function read(text: string, isDash: (offset: number) => boolean): { facts: Facts; value: YamlValue; problems: Problem[] } {
  const lines = new LineCounter();
  const tokens: CST.Token[] = Array.from(new Parser(lines.addNewLine).parse(text));
  const docs = Array.from(new Composer({ version: "1.1", uniqueKeys: false, strict: true, keepSourceTokens: true }).compose(tokens, true, text.length));
  const facts = cstFacts(tokens);
  const problems: Problem[] = extraProblems(text, facts);
  for (const d of docs) {
    for (const e of d.errors) {
      const p = describe(text, facts, e.code, e.message, e.pos[0], e.pos[1]);
      if (p !== undefined) problems.push(p);
    }
  }
  const value =
    docs.length > 0
      ? new Values(
          docs[0]!,
          problems,
          (o) => lines.linePos(o).line,
          isDash,
          facts.leaves.filter((l) => l.type === "tag").map((l) => l.offset),
        ).document()
      : null;
  return { facts, value, problems };
}

const MERGE = "<<";

/** The parsed nodes as plain values, as PyYAML's safe_load constructs them; collects what it refuses. */
class Values {
  private readonly anchors = new Map<string, { value: YamlValue; offset: number }>();
  constructor(
    private readonly doc: Document.Parsed,
    private readonly problems: Problem[],
    private readonly line: (offset: number) => number,
    private readonly isDash: (offset: number) => boolean,
    /** Where the tags are: a problem with a tag is reported at the tag, not at its value. */
    private readonly tags: number[],
  ) {}

  document(): YamlValue {
    return this.node(this.doc.contents);
  }

  private fail(offset: number, problem: string, kind: Problem["kind"] = "syntax"): void {
    this.problems.push({ offset, problem, kind });
  }

  private node(n: YamlNode | null | undefined): YamlValue {
    if (n === null || n === undefined) return null;
    const offset = n.range?.[0] ?? 0;
    if (isAlias(n)) {
      const a = this.anchors.get(n.source);
      if (a === undefined) {
        this.fail(offset, `the alias *${shortKey(n.source)} refers to no anchor (&${shortKey(n.source)}) defined before it`);
        return null;
      }
      return a.value;
    }
    if (isScalar(n)) return this.anchor(n, this.scalar(n));
    if (!this.fits(n, isMap(n) ? "map" : "seq")) return null;
    if (isMap(n)) {
      const out: { [key: string]: YamlValue } = {};
      this.anchor(n, out);
      const seen = new Map<string, number>();
      const merged: { [key: string]: YamlValue }[] = [];
      for (const pair of n.items) {
        const k = pair.key as YamlNode | null;
        const at = k?.range?.[0] ?? offset;
        if (isScalar(k) && k.type === Scalar.PLAIN && k.tag === undefined && k.source === MERGE) {
          merged.push(...this.merge(pair.value as YamlNode | null, at));
          continue;
        }
        const key = this.node(k);
        if (key !== null && typeof key === "object") {
          this.fail(at, "a list or mapping as a key: cloud-init's YAML loader (PyYAML) refuses it; use a plain key");
          continue;
        }
        const name = String(key);
        const first = seen.get(name);
        if (first !== undefined) {
          this.fail(at, `duplicate key "${shortKey(name)}" (first on line ${first}); the later one would silently replace the first`, "duplicate-key");
          continue;
        }
        seen.set(name, this.line(at));
        out[name] = this.node(pair.value as YamlNode | null);
      }
      // `<<: *base`: the merged keys, unless the mapping has them (the first merged mapping wins).
      for (const m of merged) for (const [k, v] of Object.entries(m)) if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = v;
      return out;
    }
    if (isSeq(n)) {
      const out: YamlValue[] = [];
      this.anchor(n, out);
      // !!omap and !!pairs: PyYAML gives [key, value] pairs.
      for (const item of n.items)
        out.push(isPair(item) ? [this.node(item.key as YamlNode | null), this.node(item.value as YamlNode | null)] : this.node(item as YamlNode | null));
      return out;
    }
    return null;
  }

  /** A merge key's value: a mapping or a list of mappings. */
  private merge(v: YamlNode | null, at: number): { [key: string]: YamlValue }[] {
    const isMapping = (x: YamlValue): x is { [key: string]: YamlValue } => x !== null && typeof x === "object" && !Array.isArray(x);
    const value = this.node(v);
    if (isMapping(value)) return [value];
    if (isSeq(v) && Array.isArray(value) && value.every(isMapping)) return value as { [key: string]: YamlValue }[];
    this.fail(at, "the merge key << takes a mapping or a list of mappings (an alias *name to one)");
    return [];
  }

  private tagOf(n: YamlNode): number {
    const at = n.range?.[0] ?? 0;
    return this.tags.filter((t) => t < at).pop() ?? at;
  }

  /** PyYAML refuses a standard tag on the other kind of node (`!!str [1]`, `!!map x`). */
  private fits(n: YamlNode, kind: keyof typeof KIND_TAGS): boolean {
    const name = /^tag:yaml\.org,2002:(\w+)$/.exec(n.tag ?? "")?.[1];
    if (name === undefined || !SAFE_TAGS.has(name) || KIND_TAGS[kind].includes(name)) return true;
    const what = { scalar: "a single value", seq: "a list", map: "a mapping" }[kind];
    this.fail(this.tagOf(n), `the tag !!${name} does not fit ${what}; cloud-init's YAML loader (PyYAML) refuses it`);
    return false;
  }

  private anchor(n: YamlNode, value: YamlValue): YamlValue {
    if (n.anchor === undefined) return value;
    const offset = n.range?.[0] ?? 0;
    const prev = this.anchors.get(n.anchor);
    if (prev !== undefined)
      this.fail(
        offset,
        `the anchor &${shortKey(n.anchor)} is defined a second time (first on line ${this.line(prev.offset)}); cloud-init's YAML loader (PyYAML) refuses that`,
      );
    else this.anchors.set(n.anchor, { value, offset });
    return value;
  }

  private scalar(n: Scalar): YamlValue {
    const source = typeof n.source === "string" ? n.source : String(n.value);
    const at = n.range?.[0] ?? 0;
    if (source === DASH && this.isDash(at)) return "-";
    // PyYAML resolves the non-specific tag ! as it does an untagged plain value, quoted or not.
    if (n.tag === "!") return resolvePlain(source);
    if (n.tag === undefined) return n.type === Scalar.PLAIN ? resolvePlain(source) : withoutAddedBreak(n, source);
    if (!this.fits(n, "scalar")) return null;
    const name = /^tag:yaml\.org,2002:(\w+)$/.exec(n.tag)?.[1];
    if (name !== undefined && name in CONSTRUCT) {
      const v = CONSTRUCT[name]!(source);
      if (v === undefined) this.fail(this.tagOf(n), `the value of this !!${name} does not read as one; cloud-init's YAML loader (PyYAML) refuses it`);
      return v ?? null;
    }
    const v: unknown = n.value;
    if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
    if (typeof v === "bigint") return Number(v);
    if (v instanceof Date) return v.toISOString();
    return source;
  }
}

/** The standard tags PyYAML's safe loader takes on each kind of node. */
const KIND_TAGS = { scalar: ["str", "null", "bool", "int", "float", "binary", "timestamp"], seq: ["seq", "omap", "pairs"], map: ["map", "set"] };

/** YAML 1.1's timestamp (PyYAML's pattern). */
const TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?$/;

/**
 * How PyYAML's safe loader constructs a scalar with an explicit standard tag; undefined: it refuses the value.
 * Plain data has no date or bytes: a timestamp and !!binary stay their text.
 */
const CONSTRUCT: Record<string, (text: string) => YamlValue | undefined> = {
  str: (t) => t,
  null: () => null,
  bool: (t) => ({ yes: true, true: true, on: true, no: false, false: false, off: false })[t.toLowerCase()],
  int: (t) => {
    const v = /^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(:[0-5]?[0-9])*)$/.test(t) ? resolvePlain(t) : undefined;
    return typeof v === "number" ? v : undefined;
  },
  float: (t) => {
    const f = t.toLowerCase().replace(/_/g, "");
    const sign = f.startsWith("-") ? -1 : 1;
    const u = f.replace(/^[-+]/, "");
    if (u === ".inf") return sign * Infinity;
    if (u === ".nan") return NaN;
    if (u.includes(":")) return /^[0-9]+(:[0-9]+)*(\.[0-9]*)?$/.test(u) ? sign * sexagesimal(u) : undefined;
    // Python's float(): decimal with optional point and exponent, or inf/infinity/nan.
    if (/^(inf|infinity)$/.test(u)) return sign * Infinity;
    if (u === "nan") return NaN;
    return /^([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9]+)?$/.test(u) ? sign * Number(u) : undefined;
  },
  timestamp: (t) => (TIMESTAMP.test(t) ? t : undefined),
  binary: (t) => t,
};

/**
 * The package ends a block scalar that runs to the end of the text with a line break the text does not have;
 * PyYAML keeps only the breaks that are there (`a: |` then `  x` at the end of the text is "x").
 */
function withoutAddedBreak(n: Scalar, value: string): string {
  const tok = n.srcToken;
  if (tok?.type !== "block-scalar" || !value.endsWith("\n")) return value;
  const last = tok.source.slice(tok.source.lastIndexOf("\n") + 1);
  if (last === "") return value;
  if (/[^ ]/.test(last)) return value.slice(0, -1);
  // A last line of spaces only is text when it is deeper than the scalar's indentation.
  const header = (tok.props.find((p) => p.type === "block-scalar-header") as CST.SourceToken | undefined)?.source ?? "";
  const digit = /[1-9]/.exec(header);
  const first = /^( *)[^ \n]/m.exec(tok.source);
  const indent = digit !== null ? Math.max(0, tok.indent) + Number(digit[0]) : first !== null ? first[1]!.length : Infinity;
  return last.length > indent ? value.slice(0, -1) : value;
}
