/**
 * The block-structure parser: documents, mappings and sequences by indentation, and the scalars written in
 * them (plain, quoted over several lines, `|` and `>` block scalars). Flow collections (`[...]`, `{...}`) are
 * handed to yaml-flow. Tracks where tabs are allowed, so parseYaml can report the first stray one.
 */
import { shortKey, TAB_ELSEWHERE, TAB_INDENT, unclosed, YamlError } from "./yaml-errors";
import { Flow } from "./yaml-flow";
import { allow, escape, fold, isSeqEntry, keyOf, Line, Ranges } from "./yaml-syntax";
import { resolvePlain, SAFE_TAGS, YamlValue } from "./yaml-values";

export class Parser {
  private readonly lines: Line[];
  private i = 0;
  readonly anchors = new Map<string, YamlValue>();
  /** Where tabs are allowed: per line number, [from, to) columns inside quotes, block scalar text and comments. */
  private readonly tabsOk: Ranges = new Map();

  constructor(text: string) {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.lines = body.split(/\r\n|\r|\n/).map((raw, k) => {
      const indent = raw.length - raw.replace(/^ +/, "").length;
      // A comment line's text may hold tabs wherever the line is (comment, quoted or block scalar text).
      const hash = raw.search(/\S/);
      if (hash >= 0 && raw[hash] === "#") allow(this.tabsOk, k + 1, hash, raw.length);
      return { no: k + 1, indent, text: raw.slice(indent), raw };
    });
  }

  /** The first tab outside quotes, block scalars and comments, before line `line`, column `col`. */
  badTab(line: number, col: number): YamlError | undefined {
    for (const l of this.lines) {
      if (l.no > line) break;
      for (let k = l.raw.indexOf("\t"); k >= 0; k = l.raw.indexOf("\t", k + 1)) {
        if (l.no === line && k + 1 >= col) break;
        if ((this.tabsOk.get(l.no) ?? []).some(([a, b]) => k >= a && k < b)) continue;
        const leading = /^[ \t]*/.exec(l.raw)![0].length;
        return new YamlError(l.no, k + 1, k < leading && leading < l.raw.length ? TAB_INDENT : TAB_ELSEWHERE);
      }
    }
    return undefined;
  }

  allowTabs(no: number, from: number, to: number): void {
    allow(this.tabsOk, no, from, to);
  }

  // --- lines --------------------------------------------------------------------------------------------------

  static blankOrComment(l: Line): boolean {
    const t = l.text.replace(/^[ \t]+/, "");
    return t === "" || t.startsWith("#");
  }

  static isMarker(l: Line, m: "---" | "..."): boolean {
    return l.indent === 0 && l.text.startsWith(m) && (l.text.length === 3 || l.text[3] === " " || l.text[3] === "\t");
  }

  /** The next line with content (skipping blank and comment lines), or null at the end or a document marker. */
  private peek(): Line | null {
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (Parser.blankOrComment(l)) {
        this.i++;
        continue;
      }
      if (Parser.isMarker(l, "---") || Parser.isMarker(l, "...")) return null;
      if (l.text.startsWith("\t")) throw new YamlError(l.no, l.indent + 1, TAB_INDENT);
      return l;
    }
    return null;
  }

  // --- document -----------------------------------------------------------------------------------------------

  document(): YamlValue {
    let started = false;
    // Directives and the optional `---` before the content.
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (Parser.blankOrComment(l)) this.i++;
      else if (!started && l.indent === 0 && l.text.startsWith("%")) {
        this.allowTabs(l.no, 0, l.raw.length);
        this.i++;
      } else if (!started && Parser.isMarker(l, "---")) {
        started = true;
        const rest = l.text.slice(3).replace(/^[ \t]+/, "");
        if (rest !== "" && !rest.startsWith("#")) this.lines[this.i] = { ...l, indent: l.text.length - rest.length, text: rest };
        else this.i++;
      } else break;
    }
    const first = this.peek();
    const value = first === null ? null : this.blockAt(first.indent, -1);
    // After the root: only comments, a `...` end marker, and nothing else.
    const after = this.peek();
    if (after !== null) {
      if (after.indent < first!.indent)
        throw new YamlError(
          after.no,
          after.indent + 1,
          `this line is indented less than the document's first line (column ${first!.indent + 1}, line ${first!.no})`,
        );
      throw new YamlError(after.no, after.indent + 1, "unexpected content after the end of the document's top-level value");
    }
    if (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (Parser.isMarker(l, "---")) throw new YamlError(l.no, 1, "a second YAML document starts here; give one document only");
      // `...`: the document ends; only comments and blank lines may follow.
      for (let k = this.i + 1; k < this.lines.length; k++) {
        const m = this.lines[k]!;
        if (!Parser.blankOrComment(m)) throw new YamlError(m.no, m.indent + 1, "content after the document end marker (...); give one document only");
      }
    }
    return value;
  }

  /** A block node whose first line is the next line, at `indent`; `parent` is the enclosing node's indentation. */
  private blockAt(indent: number, parent: number): YamlValue {
    const l = this.peek()!;
    if (isSeqEntry(l.text)) return this.sequence(indent, false);
    if (l.text.startsWith("? ") || l.text === "?") throw new YamlError(l.no, l.indent + 1, "explicit keys (? ) are not supported here; write key: value");
    if (keyOf(l) !== null) return this.mapping(indent);
    this.i++;
    return this.inline(l, l.indent, parent, "block");
  }

  // --- block collections -------------------------------------------------------------------------------------

  private mapping(indent: number): YamlValue {
    const out: { [key: string]: YamlValue } = {};
    const seen = new Map<string, number>();
    let start = 0;
    for (;;) {
      const l = this.peek();
      if (l === null || l.indent < indent) break;
      start ||= l.no;
      if (l.indent > indent) {
        throw new YamlError(
          l.no,
          l.indent + 1,
          `bad indentation: this line is indented to column ${l.indent + 1}, but the mapping it follows has its keys at column ${indent + 1} (line ${start}) and nothing above it takes a nested value here`,
        );
      }
      if (isSeqEntry(l.text))
        throw new YamlError(
          l.no,
          l.indent + 1,
          `a list item ("- ") where a key was expected: the mapping starting on line ${start} has its keys at column ${indent + 1}; put the list under a key`,
        );
      const k = keyOf(l);
      if (k === null) {
        const hint = /:[^ \t]/.test(l.text) ? " (a key needs a space after its colon)" : "";
        throw new YamlError(l.no, l.indent + 1, `expected "key: value" here, in the mapping starting on line ${start}${hint}`);
      }
      const prev = seen.get(k.key);
      if (prev !== undefined)
        throw new YamlError(l.no, l.indent + 1, `duplicate key "${shortKey(k.key)}" (first on line ${prev}); the later one would silently replace the first`);
      seen.set(k.key, l.no);
      if (k.quoted) this.allowTabs(l.no, l.indent, k.valueCol);
      this.i++;
      out[k.key] = this.inline(l, k.valueCol, indent, "mapping");
    }
    return out;
  }

  private sequence(indent: number, compactInMapping: boolean): YamlValue {
    const out: YamlValue[] = [];
    let start = 0;
    for (;;) {
      const l = this.peek();
      if (l === null || l.indent < indent) break;
      start ||= l.no;
      if (l.indent > indent) {
        throw new YamlError(
          l.no,
          l.indent + 1,
          `bad indentation: this line is indented to column ${l.indent + 1}, but the list it follows has its items ("- ") at column ${indent + 1} (line ${start})`,
        );
      }
      if (!isSeqEntry(l.text)) {
        if (compactInMapping) break; // the list under a key at the key's own indentation ends; the mapping goes on
        throw new YamlError(l.no, l.indent + 1, `expected a list item ("- ") here, in the list starting on line ${start}`);
      }
      // The item's content starts after the dash and its spaces.
      const after = l.text.slice(1);
      const gap = after.length - after.replace(/^[ \t]+/, "").length;
      const col = l.indent + 1 + gap;
      const rest = after.slice(gap);
      if (rest !== "" && !rest.startsWith("#") && (isSeqEntry(rest) || keyOf({ ...l, indent: col, text: rest }) !== null)) {
        // `- - a` or `- key: v`: a nested collection whose indentation is the column after the dash.
        this.lines[this.i] = { ...l, indent: col, text: rest };
        out.push(isSeqEntry(rest) ? this.sequence(col, false) : this.mapping(col));
        continue;
      }
      this.i++;
      out.push(this.inline(l, col, indent, "sequence"));
    }
    return out;
  }

  // --- values after "key:" or "- " ----------------------------------------------------------------------------

  /**
   * The value that starts on line `l` at column `col` (after `key:` or `- `), or on the following lines when
   * nothing is there. `owner` is the indentation of the key or dash: continuation lines must go deeper.
   */
  private inline(l: Line, col: number, owner: number, ctx: "mapping" | "sequence" | "block"): YamlValue {
    let c = col;
    const src = l.raw;
    const skip = () => {
      while (c < src.length && (src[c] === " " || src[c] === "\t")) c++;
    };
    skip();
    let anchor: string | undefined;
    let tag: string | undefined;
    // Properties: an anchor (&name) and/or a tag (!!type), in either order.
    for (;;) {
      const ch = src[c];
      if (ch !== "&" && ch !== "!") break;
      const m = /^[&!][^ \t,[\]{}]*/.exec(src.slice(c))!;
      if (ch === "&") {
        if (m[0].length === 1) throw new YamlError(l.no, c + 1, "an anchor (&) needs a name");
        anchor = m[0].slice(1);
      } else {
        tag = m[0];
        if (!tag.startsWith("!!") || !SAFE_TAGS.has(tag.slice(2))) {
          throw new YamlError(
            l.no,
            c + 1,
            `the tag ${shortKey(tag)} is not one cloud-init's YAML loader (PyYAML safe_load) constructs; use a standard tag such as !!str, or none`,
          );
        }
      }
      c += m[0].length;
      skip();
    }
    let value = this.inlineValue(l, c, owner, ctx, tag === "!!str");
    if (tag === "!!str" && value !== null && typeof value !== "object") value = String(value);
    if (anchor !== undefined) this.anchors.set(anchor, value);
    return value;
  }

  private inlineValue(l: Line, c: number, owner: number, ctx: "mapping" | "sequence" | "block", asString = false): YamlValue {
    const src = l.raw;
    const rest = src.slice(c);
    if (rest === "" || rest.startsWith("#")) {
      // The value is on the following lines (or there is none: null).
      if (rest !== "") this.allowTabs(l.no, c, src.length);
      const next = this.peek();
      if (next !== null && next.indent > owner) return this.blockAt(next.indent, owner);
      if (next !== null && ctx === "mapping" && next.indent === owner && isSeqEntry(next.text)) return this.sequence(owner, true);
      return null;
    }
    const ch = rest[0]!;
    if (ch === "*") {
      const m = /^\*([^ \t,[\]{}]+)/.exec(rest);
      if (m === null) throw new YamlError(l.no, c + 1, "an alias (*) needs a name");
      if (!this.anchors.has(m[1]!))
        throw new YamlError(l.no, c + 1, `the alias *${shortKey(m[1]!)} refers to no anchor (&${shortKey(m[1]!)}) defined before it`);
      this.endOfValue(l, c + m[0].length, "after the alias");
      return this.anchors.get(m[1]!)!;
    }
    if (ch === "|" || ch === ">") return this.blockScalar(l, c, owner);
    if (ch === '"' || ch === "'") return this.quoted(l, c, owner);
    if (ch === "[" || ch === "{") return this.flow(l, c, owner);
    if (ch === "-" && (rest.length === 1 || rest[1] === " " || rest[1] === "\t")) {
      throw new YamlError(
        l.no,
        c + 1,
        ctx === "mapping" ? "a list cannot start on the same line as its key; put the items on the following lines" : "a list item cannot start here",
      );
    }
    if (ch === "?" && (rest.length === 1 || rest[1] === " ")) throw new YamlError(l.no, c + 1, "explicit keys (? ) are not supported here; write key: value");
    if ("@`".includes(ch)) throw new YamlError(l.no, c + 1, `"${ch}" is reserved in YAML and cannot start a plain value; quote the value`);
    if ("%]},".includes(ch)) throw new YamlError(l.no, c + 1, `"${ch}" cannot start a plain value; quote the value`);
    return this.plain(l, c, owner, asString);
  }

  /** After a value on its line: only spaces and a comment. */
  private endOfValue(l: Line, c: number, what: string): void {
    const tail = l.raw.slice(c);
    const t = tail.replace(/^[ \t]+/, "");
    if (t === "") return;
    if (t.startsWith("#")) {
      this.allowTabs(l.no, l.raw.length - t.length, l.raw.length);
      return;
    }
    throw new YamlError(l.no, c + (tail.length - t.length) + 1, `unexpected text ${what}`);
  }

  // --- plain scalars -------------------------------------------------------------------------------------------

  private plain(l: Line, c: number, owner: number, asString = false): YamlValue {
    const first = this.plainPart(l, c);
    const parts = [first.text];
    // Continuation lines: deeper than the owner, not comments; blank lines between them are newlines. A comment
    // ends the scalar.
    let blanks = 0;
    while (!first.comment && this.i < this.lines.length) {
      const m = this.lines[this.i]!;
      if (m.raw.trim() === "") {
        blanks++;
        this.i++;
        continue;
      }
      if (m.indent <= owner || Parser.isMarker(m, "---") || Parser.isMarker(m, "...") || m.text.startsWith("#")) break;
      if (m.text.startsWith("\t")) throw new YamlError(m.no, m.indent + 1, TAB_INDENT);
      if (keyOf(m) !== null && m.indent <= l.indent) {
        const hint = /:[^ \t]/.test(l.text) ? " (a key needs a space after its colon)" : "";
        throw new YamlError(
          m.no,
          m.indent + 1,
          `this "key: value" line follows line ${l.no}, which is a plain value and not a key${hint}; a block holds either keys or one value`,
        );
      }
      if (keyOf(m) !== null) {
        throw new YamlError(
          m.no,
          m.indent + 1,
          `bad indentation: this key is indented deeper (column ${m.indent + 1}) than the entry on line ${l.no}, which already has a value; align it with that entry's key, or put a nested mapping on a line of its own under a key with no value`,
        );
      }
      const part = this.plainPart(m, m.indent);
      parts.push(blanks > 0 ? "\n".repeat(blanks) : " ", part.text);
      blanks = 0;
      this.i++;
      if (part.comment) break;
    }
    return asString ? parts.join("") : resolvePlain(parts.join(""));
  }

  /** One line's part of a plain scalar, from column `c`: up to a comment; ": " inside is an error. */
  private plainPart(l: Line, c: number): { text: string; comment: boolean } {
    const raw = l.raw;
    for (let k = c; k < raw.length; k++) {
      if (raw[k] === "#" && k > c && (raw[k - 1] === " " || raw[k - 1] === "\t")) {
        this.allowTabs(l.no, k, raw.length);
        return { text: raw.slice(c, k).trim(), comment: true };
      }
      if (raw[k] === ":" && (k + 1 >= raw.length || raw[k + 1] === " " || raw[k + 1] === "\t")) {
        throw new YamlError(
          l.no,
          k + 1,
          'a ": " inside a plain value (mapping values are not allowed here); quote the value, or put a nested mapping on its own lines',
        );
      }
    }
    return { text: raw.slice(c).trim(), comment: false };
  }

  // --- quoted scalars ------------------------------------------------------------------------------------------

  private quoted(l: Line, c: number, owner: number): YamlValue {
    const q = l.raw[c]!;
    const what = q === '"' ? "double-quoted" : "single-quoted";
    let line = l;
    let from = c;
    let k = c + 1;
    let out = "";
    for (;;) {
      const s = line.raw;
      let escapedBreak = false;
      while (k < s.length) {
        const ch = s[k]!;
        if (ch === q) {
          if (q === "'" && s[k + 1] === "'") {
            out += "'";
            k += 2;
            continue;
          }
          this.allowTabs(line.no, from, k + 1);
          this.endOfValue(line, k + 1, `after the closing quote of the ${what} string`);
          return out;
        }
        if (q === '"' && ch === "\\") {
          const e = escape(s, k, line.no);
          if (e === null) {
            escapedBreak = true; // a backslash at the end of the line: the next line joins without a space
            break;
          }
          out += e.text;
          k += e.length;
          continue;
        }
        out += ch;
        k++;
      }
      this.allowTabs(line.no, from, s.length);
      // The string goes on: blank lines become line breaks, one line break becomes a space.
      if (!escapedBreak) out = out.replace(/[ \t]+$/, "");
      let breaks = 0;
      for (;;) {
        if (this.i >= this.lines.length) throw unclosed(l.no, c, what, "before the end of the text");
        const next = this.lines[this.i]!;
        if (Parser.isMarker(next, "---") || Parser.isMarker(next, "...")) throw unclosed(l.no, c, what, `before the document marker on line ${next.no}`);
        const t = next.raw.replace(/^[ \t]+/, "");
        if (t !== "" && next.indent <= owner)
          throw unclosed(
            l.no,
            c,
            what,
            `before line ${next.no}, which is back at the indentation of the enclosing block; YAML requires a string's continuation lines to be indented`,
          );
        this.i++;
        this.allowTabs(next.no, 0, next.raw.length);
        if (t === "") {
          breaks++;
          continue;
        }
        out += breaks > 0 ? "\n".repeat(breaks) : escapedBreak ? "" : " ";
        line = next;
        from = 0;
        k = next.raw.length - t.length;
        break;
      }
    }
  }

  // --- block scalars -------------------------------------------------------------------------------------------

  private blockScalar(l: Line, c: number, owner: number): YamlValue {
    const header = /^([|>])([+-]?)([1-9]?)([+-]?)(?=$|[ \t])/.exec(l.raw.slice(c));
    if (header === null || (header[2] && header[4])) {
      throw new YamlError(
        l.no,
        c + 1,
        'invalid block scalar header: write | or > optionally followed by a chomping indicator (+ or -) and an indentation digit, e.g. "|-" or ">2"',
      );
    }
    this.endOfValue(l, c + header[0].length, "after the block scalar indicator (a comment may follow it, the text goes on the next lines)");
    const folded = header[1] === ">";
    const chomp = header[2] || header[4];
    // An indentation digit counts from the owner's indentation (PyYAML: at least column 1 at the top level).
    let contentIndent = header[3] ? Math.max(owner, 0) + Number(header[3]) : -1;
    const body: string[] = [];
    let k = this.i;
    for (; k < this.lines.length; k++) {
      const m = this.lines[k]!;
      if (m.raw.trim() === "") {
        // Blank lines are text; a tab in them counts as text only past the text's indentation.
        if (contentIndent >= 0) this.allowTabs(m.no, contentIndent, m.raw.length);
        body.push(contentIndent >= 0 ? m.raw.slice(contentIndent) : "");
        continue;
      }
      if (contentIndent < 0) {
        if (m.indent <= owner) break; // an empty block scalar
        // The text's indentation is its leading spaces; a tab after them is text (at column 1: a stray tab).
        if (m.indent === 0 && m.raw[0] === "\t") throw new YamlError(m.no, 1, TAB_INDENT);
        contentIndent = m.indent;
      }
      if (m.indent < contentIndent) {
        if (m.indent <= owner || m.text.startsWith("#") || Parser.isMarker(m, "---") || Parser.isMarker(m, "...")) break;
        if (m.raw[m.indent] === "\t") throw new YamlError(m.no, m.indent + 1, TAB_INDENT);
        throw new YamlError(
          m.no,
          m.indent + 1,
          `bad indentation: this line of the block scalar (${header[1]} on line ${l.no}) is indented less than its first line (column ${contentIndent + 1}); indent it to at least column ${contentIndent + 1}`,
        );
      }
      this.allowTabs(m.no, contentIndent, m.raw.length);
      body.push(m.raw.slice(contentIndent));
    }
    this.i = k;
    // Trailing blank lines only matter to the chomping indicator.
    let end = body.length;
    while (end > 0 && body[end - 1]!.trim() === "") end--;
    const kept = body.slice(0, end);
    const trailing = body.length - end;
    if (kept.length === 0) return chomp === "+" ? "\n".repeat(trailing) : "";
    let text = folded ? fold(kept) : kept.join("\n");
    if (chomp === "-") return text;
    text += "\n";
    if (chomp === "+") text += "\n".repeat(trailing);
    return text;
  }

  // --- flow collections ----------------------------------------------------------------------------------------

  private flow(l: Line, c: number, owner: number): YamlValue {
    const f = new Flow(this, this.lines, l.no - 1, c, owner);
    let value: YamlValue;
    try {
      value = f.node();
    } catch (e) {
      // Lines back at the block's indentation are fine inside [ ] (PyYAML takes them), but when the collection
      // then fails, the likely cause is a bracket left open before them.
      const d = f.dedent;
      if (e instanceof YamlError && d !== undefined) {
        throw new YamlError(
          d.open.line,
          d.open.col + 1,
          `the ${d.open.ch} opened here is never closed (before line ${d.line}, which is back at the indentation of the enclosing block); close it with ${d.open.ch === "[" ? "]" : "}"}`,
        );
      }
      throw e;
    }
    this.endOfValue(this.lines[f.li]!, f.ci, `after the closing ${f.lastClose} of the flow collection`);
    this.i = f.li + 1;
    return value;
  }
}
