/** Flow collections: `[...]` and `{...}`, which may span lines, parsed from the raw text. */
import { shortKey, unclosed, YamlError } from "./yaml-errors";
import { escape, Line } from "./yaml-syntax";
import { resolvePlain, SAFE_TAGS, YamlValue } from "./yaml-values";

/** What a flow collection needs of the block parser around it (yaml-block's Parser is one): no import cycle. */
export interface FlowHost {
  /** Marks tabs on line `no` from column `from` to `to` as allowed (inside quotes). */
  allowTabs(no: number, from: number, to: number): void;
  /** Anchors defined so far, by name. */
  readonly anchors: Map<string, YamlValue>;
}

/**
 * A cursor over the raw text for `[...]` and `{...}`, which may span lines. Inside them indentation does not
 * matter (as in PyYAML): `[` on a key's line and `]` back at the key's column is fine.
 */
export class Flow {
  li: number;
  ci: number;
  lastClose = "]";
  /** Whether the last scalar read went over more than one line (then it cannot be a key). */
  private multiline = false;
  private readonly open: { ch: string; line: number; col: number }[] = [];
  /** The first line inside the collection that is back at the enclosing block's indentation. */
  dedent: { line: number; col: number; open: { ch: string; line: number; col: number } } | undefined;

  constructor(
    private readonly parser: FlowHost,
    readonly lines: Line[],
    li: number,
    ci: number,
    private readonly owner: number,
  ) {
    this.li = li;
    this.ci = ci;
  }

  private get s(): string {
    return this.lines[this.li]!.raw;
  }

  private get no(): number {
    return this.lines[this.li]!.no;
  }

  private err(problem: string, line = this.no, col = this.ci + 1): YamlError {
    return new YamlError(line, col, problem);
  }

  private unclosed(reason: string): YamlError {
    const o = this.open[this.open.length - 1]!;
    return this.err(`the ${o.ch} opened here is never closed (${reason}); close it with ${o.ch === "[" ? "]" : "}"}`, o.line, o.col + 1);
  }

  /** Skips spaces, comments and line breaks. */
  private ws(): void {
    for (;;) {
      while (this.ci < this.s.length && (this.s[this.ci] === " " || this.s[this.ci] === "\t")) this.ci++;
      if (this.ci < this.s.length && this.s[this.ci] === "#" && (this.ci === 0 || /[ \t]/.test(this.s[this.ci - 1]!))) {
        this.parser.allowTabs(this.no, this.ci, this.s.length);
        this.ci = this.s.length;
      }
      if (this.ci < this.s.length) return;
      if (this.li + 1 >= this.lines.length) throw this.unclosed("before the end of the text");
      const next = this.lines[this.li + 1]!;
      if (/^(---|\.\.\.)([ \t]|$)/.test(next.raw)) throw this.unclosed(`before the document marker on line ${next.no}`);
      const t = next.raw.replace(/^[ \t]+/, "");
      if (this.dedent === undefined && t !== "" && !"#]},".includes(t[0]!) && next.indent <= this.owner) {
        this.dedent = { line: next.no, col: next.indent + 1, open: this.open[this.open.length - 1]! };
      }
      this.li++;
      this.ci = 0;
    }
  }

  node(): YamlValue {
    this.ws();
    const ch = this.s[this.ci]!;
    if (ch === "[") return this.seq();
    if (ch === "{") return this.map();
    if (ch === "]" || ch === "}") {
      const o = this.open[this.open.length - 1];
      throw this.err(o === undefined ? `unexpected ${ch}: no ${ch === "]" ? "[" : "{"} is open here` : `expected a value before ${ch}`);
    }
    if (ch === '"' || ch === "'") return this.quoted(ch);
    if (ch === ",") throw this.err("a value is missing before this comma");
    if (ch === "*") {
      const m = /^\*([^ \t,[\]{}]+)/.exec(this.s.slice(this.ci));
      if (m === null) throw this.err("an alias (*) needs a name");
      if (!this.parser.anchors.has(m[1]!)) throw this.err(`the alias *${shortKey(m[1]!)} refers to no anchor (&${shortKey(m[1]!)}) defined before it`);
      this.ci += m[0].length;
      this.multiline = false;
      return this.parser.anchors.get(m[1]!)!;
    }
    if (ch === "&" || ch === "!") {
      const m = /^[&!][^ \t,[\]{}]*/.exec(this.s.slice(this.ci))!;
      if (ch === "!" && (!m[0].startsWith("!!") || !SAFE_TAGS.has(m[0].slice(2)))) {
        throw this.err(
          `the tag ${shortKey(m[0])} is not one cloud-init's YAML loader (PyYAML safe_load) constructs; use a standard tag such as !!str, or none`,
        );
      }
      if (m[0] === "&") throw this.err("an anchor (&) needs a name");
      this.ci += m[0].length;
      let v = this.node();
      if (m[0] === "!!str" && v !== null && typeof v !== "object") v = String(v);
      if (ch === "&") this.parser.anchors.set(m[0].slice(1), v);
      return v;
    }
    if ("@`|>%:".includes(ch) || (ch === "-" && /^-([ \t,[\]{}]|$)/.test(this.s.slice(this.ci)))) {
      throw this.err(`"${ch}" cannot start a plain value inside [ ] or { }; quote the value`);
    }
    return this.plain();
  }

  private close(expected: string): void {
    const o = this.open.pop()!;
    const ch = this.s[this.ci];
    if (ch !== expected) {
      if (ch === "]" || ch === "}") throw this.err(`${ch} does not match the ${o.ch} opened on line ${o.line}, column ${o.col + 1}`);
      throw this.err(`expected , or ${expected} in the ${o.ch === "[" ? "list" : "mapping"} opened on line ${o.line}, column ${o.col + 1}`);
    }
    this.lastClose = expected;
    this.ci++;
  }

  private seq(): YamlValue {
    this.open.push({ ch: "[", line: this.no, col: this.ci });
    this.ci++;
    const out: YamlValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.ci] === "]") break;
      const at = { line: this.no, col: this.ci + 1 };
      let item = this.node();
      const multi = this.multiline;
      this.ws();
      if (this.s[this.ci] === ":") {
        if (multi) throw this.err("a key inside [ ] must be on one line", at.line, at.col);
        // a single-pair mapping inside a list: [a: 1]
        this.ci++;
        this.ws();
        const v = this.s[this.ci] === "," || this.s[this.ci] === "]" ? null : this.node();
        item = { [String(item)]: v };
        this.ws();
      }
      out.push(item);
      if (this.s[this.ci] === ",") {
        this.ci++;
        continue;
      }
      break;
    }
    this.close("]");
    return out;
  }

  private map(): YamlValue {
    const open = { ch: "{", line: this.no, col: this.ci };
    this.open.push(open);
    this.ci++;
    const out: { [key: string]: YamlValue } = {};
    for (;;) {
      this.ws();
      if (this.s[this.ci] === "}") break;
      const keyAt = { line: this.no, col: this.ci + 1 };
      const ch = this.s[this.ci];
      if (ch === "[" || ch === "{") throw this.err("a [ ] or { } as a key is not supported here");
      const key = this.node();
      const multi = this.multiline;
      this.ws();
      let value: YamlValue = null;
      if (this.s[this.ci] === ":") {
        if (multi) throw this.err("a key inside { } must be on one line", keyAt.line, keyAt.col);
        this.ci++;
        this.ws();
        if (this.s[this.ci] !== "," && this.s[this.ci] !== "}") value = this.node();
        this.ws();
      }
      const k = String(key);
      if (Object.prototype.hasOwnProperty.call(out, k))
        throw this.err(`duplicate key "${shortKey(k)}" in the mapping opened on line ${open.line}, column ${open.col + 1}`, keyAt.line, keyAt.col);
      out[k] = value;
      if (this.s[this.ci] === ",") {
        this.ci++;
        continue;
      }
      break;
    }
    this.close("}");
    return out;
  }

  private quoted(q: string): YamlValue {
    const start = { line: this.no, col: this.ci };
    const what = q === '"' ? "double-quoted" : "single-quoted";
    let from = this.ci;
    this.ci++;
    this.multiline = false;
    let out = "";
    for (;;) {
      const s = this.s;
      let escapedBreak = false;
      while (this.ci < s.length) {
        const ch = s[this.ci]!;
        if (ch === q) {
          if (q === "'" && s[this.ci + 1] === "'") {
            out += "'";
            this.ci += 2;
            continue;
          }
          this.ci++;
          this.parser.allowTabs(this.no, from, this.ci);
          return out;
        }
        if (q === '"' && ch === "\\") {
          const e = escape(s, this.ci, this.no);
          if (e === null) {
            escapedBreak = true;
            break;
          }
          out += e.text;
          this.ci += e.length;
          continue;
        }
        out += ch;
        this.ci++;
      }
      this.parser.allowTabs(this.no, from, s.length);
      if (this.li + 1 >= this.lines.length) throw unclosed(start.line, start.col, what, "before the end of the text");
      this.multiline = true;
      this.li++;
      this.ci = 0;
      from = 0;
      if (!escapedBreak) out = out.replace(/[ \t]+$/, "") + " ";
      while (this.ci < this.s.length && (this.s[this.ci] === " " || this.s[this.ci] === "\t")) this.ci++;
    }
  }

  /** A plain scalar in a flow: ends at , [ ] { } or ": "; may go on over lines (joined with spaces). */
  private plain(): YamlValue {
    const parts: string[] = [];
    this.multiline = false;
    for (;;) {
      const s = this.s;
      let k = this.ci;
      let stop = false;
      for (; k < s.length; k++) {
        const ch = s[k]!;
        if (
          ",[]{}".includes(ch) ||
          (ch === ":" && (k + 1 >= s.length || " \t,[]{}".includes(s[k + 1]!))) ||
          (ch === "#" && k > this.ci && /[ \t]/.test(s[k - 1]!))
        ) {
          stop = true;
          break;
        }
      }
      parts.push(s.slice(this.ci, k).trim());
      this.ci = k;
      if (stop) break;
      // The end of the line: the scalar goes on when the next text is not a flow indicator.
      const li = this.li;
      this.ws();
      const ch = this.s[this.ci];
      if (this.li === li || ch === undefined || ",[]{}:#".includes(ch) || ch === '"' || ch === "'") break;
      this.multiline = true;
    }
    return resolvePlain(parts.filter((p) => p !== "").join(" "));
  }
}
