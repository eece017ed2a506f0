/**
 * ISO 9660 field encoders (ECMA-119 §7), identifiers and the sector size: the bytes every other part of the
 * seed writer (iso.ts) is made of.
 */

export const SECTOR = 2048;

/** 7.3.3: a 32-bit number little-endian then big-endian (8 bytes). */
export function both32(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  b.writeUInt32BE(n, 4);
  return b;
}

/** 7.2.3: a 16-bit number little-endian then big-endian (4 bytes). */
export function both16(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(n, 0);
  b.writeUInt16BE(n, 2);
  return b;
}

/** A fixed-width ASCII field padded with spaces (a- and d-characters; longer text is cut). */
export function ascii(s: string, width: number): Buffer {
  return Buffer.from(s.slice(0, width).padEnd(width, " "), "latin1");
}

/** A fixed-width Joliet field: UCS-2 big-endian, padded with U+0020; an odd width ends in one zero byte. */
export function ucs2(s: string, width: number): Buffer {
  const b = Buffer.alloc(width);
  for (let i = 0; i < Math.floor(width / 2); i++) b.writeUInt16BE(i < s.length ? s.charCodeAt(i) : 0x20, i * 2);
  return b;
}

/** A name as UCS-2 big-endian, no padding (Joliet file identifiers). */
export function ucs2Name(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return b;
}

/** 9.1.5: the 7-byte recording date of a directory record (UTC, offset 0). */
export function dirDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}

/** 8.4.26.1: the 17-byte volume descriptor date, `YYYYMMDDHHMMSScc` in digits plus the offset byte; null = unset. */
export function descriptorDate(d: Date | null): Buffer {
  if (d === null) return Buffer.concat([Buffer.from("0".repeat(16), "latin1"), Buffer.from([0])]);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(Math.floor(d.getUTCMilliseconds() / 10))}`;
  return Buffer.concat([Buffer.from(s, "latin1"), Buffer.from([0])]);
}

/** Sectors that `bytes` take (at least one: an empty directory still has its sector). */
export function sectorsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / SECTOR));
}

// ---------------------------------------------------------------------------------------------------------------
// Names

/**
 * The ISO 9660 level-1 identifier of a file: upper case, d-characters only (others become `_`), 8.3, `;1`.
 * `user-data` → `USER_DAT.;1`, `network-config` → `NETWORK_.;1`. `taken` resolves clashes (`USER_DA1.;1`).
 */
export function isoName(name: string, taken: Set<string> = new Set()): string {
  const dot = name.lastIndexOf(".");
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  const base = clean(dot > 0 ? name.slice(0, dot) : name).slice(0, 8) || "_";
  const ext = dot > 0 ? clean(name.slice(dot + 1)).slice(0, 3) : "";
  let id = `${base}.${ext};1`;
  for (let n = 1; taken.has(id); n++) {
    const digits = String(n);
    id = `${base.slice(0, 8 - digits.length)}${digits}.${ext};1`;
  }
  taken.add(id);
  return id;
}
