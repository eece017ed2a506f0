/**
 * Golden packet fixtures (test/fixtures/packets/*.txt): libvirt RPC packets captured from a real daemon, written
 * as readable text with one line per wire field, and read back into bytes by the unit tests.
 *
 * A fixture file:
 *
 *   # free text (what the exchange is, how it was captured)
 *   # fact libvirt: 9.0.0                      host facts, read back by `facts`
 *   == call DOMAIN_LOOKUP_BY_NAME serial 8     a packet starts: direction, procedure, serial
 *   0000003c                 # header.length: 60 bytes
 *   20008086                 # header.program: 0x20008086 REMOTE
 *   ...
 *   00000012                 # .name length: 18
 *   7076742d676f6c64656e2d…  # .name bytes: "pvt-golden-missing"
 *   0000                     # .name padding: 2 zero bytes
 *
 * Only the hex before `#` is data; everything after `#` is commentary for the reader. The annotations are
 * written by `annotate` below from its own description of each structure (`Layout`), not by the client's codecs,
 * so a fixture checked against the codecs is not the codecs checking themselves.
 */

// ---------------------------------------------------------------------------------------------------------------
// Reading fixtures back (the tests)

export interface FixturePacket {
  /** "call" (client to daemon) or "reply" (daemon to client), from the `==` line. */
  direction: "call" | "reply";
  /** The procedure's name as the `==` line gives it, without REMOTE_PROC_ (e.g. `DOMAIN_LOOKUP_BY_NAME`). */
  procedure: string;
  serial: number;
  /** The whole packet, length word included. */
  bytes: Buffer;
  /** The annotated lines, `path: meaning` text after `#`, in order (for messages). */
  notes: string[];
}

export interface Fixture {
  /** `# fact key: value` lines of the header. */
  facts: Record<string, string>;
  packets: FixturePacket[];
}

/** Parses a fixture's text; throws naming the line when a hex field is malformed or a length word is wrong. */
export function parseFixture(text: string, name = "fixture"): Fixture {
  const facts: Record<string, string> = {};
  const packets: FixturePacket[] = [];
  let current: { head: Omit<FixturePacket, "bytes" | "notes">; chunks: Buffer[]; notes: string[]; line: number } | null = null;
  const finish = (): void => {
    if (current === null) return;
    const bytes = Buffer.concat(current.chunks);
    if (bytes.length < 4 || bytes.readUInt32BE(0) !== bytes.length) {
      throw new Error(
        `${name}:${current.line}: the packet has ${bytes.length} bytes but its length word says ${bytes.length >= 4 ? bytes.readUInt32BE(0) : "nothing"}`,
      );
    }
    packets.push({ ...current.head, bytes, notes: current.notes });
    current = null;
  };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    const where = `${name}:${i + 1}`;
    if (line.trim() === "") continue;
    if (line.startsWith("==")) {
      finish();
      const m = /^== (call|reply) ([A-Z0-9_]+) serial (\d+)\b/.exec(line);
      if (!m) throw new Error(`${where}: a packet line reads "== call|reply PROCEDURE serial N": ${line}`);
      current = { head: { direction: m[1] as "call" | "reply", procedure: m[2]!, serial: Number(m[3]) }, chunks: [], notes: [], line: i + 1 };
      continue;
    }
    if (line.startsWith("#")) {
      const fact = /^# fact ([A-Za-z0-9_.-]+): (.*)$/.exec(line);
      if (fact && current === null) facts[fact[1]!] = fact[2]!;
      continue;
    }
    if (current === null) throw new Error(`${where}: data before the first "==" packet line`);
    const hash = line.indexOf("#");
    const hex = (hash === -1 ? line : line.slice(0, hash)).replace(/\s+/g, "");
    if (!/^([0-9a-f]{2})+$/.test(hex)) throw new Error(`${where}: not whole lower-case hex bytes: ${line}`);
    current.chunks.push(Buffer.from(hex, "hex"));
    if (hash !== -1) current.notes.push(line.slice(hash + 1).trim());
  }
  finish();
  return { facts, packets };
}

// ---------------------------------------------------------------------------------------------------------------
// Writing fixtures (test/support/capture-packets.ts)

/** How to read one XDR item, for annotation; `note` turns a number into its meaning (an enum name, flags). */
export type Layout =
  | { kind: "int" | "uint"; note?: (v: number) => string }
  | { kind: "hyper" | "uhyper"; note?: (v: bigint) => string }
  | { kind: "string" }
  | { kind: "uuid" }
  | { kind: "optional"; of: Layout }
  | { kind: "array"; of: Layout }
  | { kind: "struct"; fields: Record<string, Layout> }
  | { kind: "void" };

export const L = {
  int: (note?: (v: number) => string): Layout => (note ? { kind: "int", note } : { kind: "int" }),
  uint: (note?: (v: number) => string): Layout => (note ? { kind: "uint", note } : { kind: "uint" }),
  hyper: (note?: (v: bigint) => string): Layout => (note ? { kind: "hyper", note } : { kind: "hyper" }),
  uhyper: (note?: (v: bigint) => string): Layout => (note ? { kind: "uhyper", note } : { kind: "uhyper" }),
  string: { kind: "string" } as Layout,
  uuid: { kind: "uuid" } as Layout,
  void: { kind: "void" } as Layout,
  optional: (of: Layout): Layout => ({ kind: "optional", of }),
  array: (of: Layout): Layout => ({ kind: "array", of }),
  struct: (fields: Record<string, Layout>): Layout => ({ kind: "struct", fields }),
};

export interface Line {
  hex: string;
  note: string;
}

const BYTES_PER_LINE = 16;

/** The annotated lines of one XDR item at `pos`; returns them and the position after it. Throws past `end`. */
function walk(buf: Buffer, pos: number, end: number, layout: Layout, path: string, out: Line[]): number {
  const take = (n: number, what: string): Buffer => {
    if (pos + n > end) throw new Error(`${path}: ${what} needs ${n} bytes at offset ${pos}, only ${end - pos} left`);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const label = path === "" ? "body" : path;
  switch (layout.kind) {
    case "void":
      return pos;
    case "int":
    case "uint": {
      const b = take(4, layout.kind);
      const v = layout.kind === "int" ? b.readInt32BE(0) : b.readUInt32BE(0);
      out.push({ hex: b.toString("hex"), note: `${label}: ${layout.kind} ${v}${layout.note ? ` ${layout.note(v)}` : ""}` });
      return pos;
    }
    case "hyper":
    case "uhyper": {
      const b = take(8, layout.kind);
      const v = layout.kind === "hyper" ? b.readBigInt64BE(0) : b.readBigUInt64BE(0);
      out.push({
        hex: b.toString("hex"),
        note: `${label}: ${layout.kind === "hyper" ? "hyper" : "unsigned hyper"} ${v}${layout.note ? ` ${layout.note(v)}` : ""}`,
      });
      return pos;
    }
    case "uuid": {
      const b = take(16, "uuid");
      const h = b.toString("hex");
      const text = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      out.push({ hex: h, note: `${label}: uuid ${text} (16 bytes, fixed length: no length word)` });
      return pos;
    }
    case "string": {
      const n = take(4, "string length").readUInt32BE(0);
      out.push({ hex: buf.toString("hex", pos - 4, pos), note: `${label} length: ${n} bytes` });
      const body = take(n, "string bytes");
      for (let i = 0; i < n; i += BYTES_PER_LINE) {
        const piece = body.subarray(i, Math.min(n, i + BYTES_PER_LINE));
        const range = n > BYTES_PER_LINE ? ` [${i}, ${i + piece.length})` : "";
        out.push({ hex: piece.toString("hex"), note: `${label} bytes${range}: ${JSON.stringify(piece.toString("utf8"))}` });
      }
      const pad = (4 - (n & 3)) & 3;
      if (pad > 0) {
        const p = take(pad, "string padding");
        out.push({ hex: p.toString("hex"), note: `${label} padding: ${pad} zero byte${pad === 1 ? "" : "s"} (to a multiple of 4)` });
      }
      return pos;
    }
    case "optional": {
      const flag = take(4, "optional flag").readUInt32BE(0);
      out.push({
        hex: buf.toString("hex", pos - 4, pos),
        note: `${label} present: ${flag} ${flag === 0 ? "(NULL: nothing follows)" : flag === 1 ? "(a value follows)" : "(INVALID)"}`,
      });
      return flag === 1 ? walk(buf, pos, end, layout.of, path, out) : pos;
    }
    case "array": {
      const n = take(4, "array count").readUInt32BE(0);
      out.push({ hex: buf.toString("hex", pos - 4, pos), note: `${label} count: ${n} element${n === 1 ? "" : "s"}` });
      for (let i = 0; i < n; i++) pos = walk(buf, pos, end, layout.of, `${path}[${i}]`, out);
      return pos;
    }
    case "struct":
      for (const [name, f] of Object.entries(layout.fields)) pos = walk(buf, pos, end, f, `${path}.${name}`, out);
      return pos;
  }
}

export const PacketTypeName: Record<number, string> = {
  0: "CALL",
  1: "REPLY",
  2: "MESSAGE",
  3: "STREAM",
  4: "CALL_WITH_FDS",
  5: "REPLY_WITH_FDS",
  6: "STREAM_HOLE",
};
export const StatusName: Record<number, string> = { 0: "OK", 1: "ERROR", 2: "CONTINUE" };

/**
 * Every line of a whole packet: the 7 header words, then the body walked with `body`. Throws when the layout
 * does not account for every byte (so a fixture never carries bytes nobody explained).
 */
export function annotate(packet: Buffer, procedureName: string, body: Layout): Line[] {
  const w = (i: number): string => packet.toString("hex", i, i + 4);
  const program = packet.readUInt32BE(4);
  const type = packet.readInt32BE(16);
  const status = packet.readInt32BE(24);
  const out: Line[] = [
    { hex: w(0), note: `header.length: ${packet.readUInt32BE(0)} bytes, this word included` },
    { hex: w(4), note: `header.program: 0x${program.toString(16)}${program === 0x20008086 ? " REMOTE_PROGRAM" : ""}` },
    { hex: w(8), note: `header.version: ${packet.readUInt32BE(8)} REMOTE_PROTOCOL_VERSION` },
    { hex: w(12), note: `header.procedure: ${packet.readInt32BE(12)} REMOTE_PROC_${procedureName}` },
    { hex: w(16), note: `header.type: ${type} ${PacketTypeName[type] ?? "?"}` },
    { hex: w(20), note: `header.serial: ${packet.readUInt32BE(20)}` },
    { hex: w(24), note: `header.status: ${status} ${StatusName[status] ?? "?"}` },
  ];
  if (packet.length === 28) {
    out.push({ hex: "", note: "(no body: the procedure's arguments or result are void)" });
    return out;
  }
  const end = walk(packet, 28, packet.length, body, "", out);
  if (end !== packet.length) throw new Error(`${procedureName}: the layout read ${end} of ${packet.length} bytes`);
  return out;
}

/** The column the notes of these lines align at (a file aligns all its packets at the widest). */
export function noteColumn(lines: Line[]): number {
  return Math.min(2 * BYTES_PER_LINE, Math.max(...lines.map((l) => l.hex.length)));
}

/** Formats lines as `hex  # note`, the notes aligned. An empty hex (a note only) becomes a comment line. */
export function formatLines(lines: Line[], width = noteColumn(lines)): string {
  return lines.map((l) => (l.hex === "" ? `# ${l.note}` : `${l.hex.padEnd(width)}  # ${l.note}`)).join("\n");
}
