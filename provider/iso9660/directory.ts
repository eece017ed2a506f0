/** Directory records and path tables (ECMA-119 §9.1, §9.4), packed into sectors. */
import { both16, both32, dirDate, SECTOR, sectorsFor } from "./encoding";

export interface DirRecordFields {
  lba: number;
  size: number;
  date: Date;
  directory: boolean;
  /** The identifier's bytes: 0x00 for `.`, 0x01 for `..`, else the name (ASCII or UCS-2). */
  id: Buffer;
  systemUse?: Buffer;
}

/** One directory record: 33 fixed bytes, the identifier, a pad byte when its length is even, System Use. */
export function dirRecord(f: DirRecordFields): Buffer {
  const pad = f.id.length % 2 === 0 ? 1 : 0;
  let su = f.systemUse ?? Buffer.alloc(0);
  if ((33 + f.id.length + pad + su.length) % 2 === 1) su = Buffer.concat([su, Buffer.alloc(1)]);
  const len = 33 + f.id.length + pad + su.length;
  if (len > 255) throw new Error(`ISO directory record of ${len} bytes is over the 255-byte limit`);
  const r = Buffer.alloc(len);
  r[0] = len;
  r[1] = 0; // extended attribute record length
  both32(f.lba).copy(r, 2);
  both32(f.size).copy(r, 10);
  dirDate(f.date).copy(r, 18);
  r[25] = f.directory ? 0x02 : 0x00;
  r[26] = 0; // file unit size (not interleaved)
  r[27] = 0; // interleave gap
  both16(1).copy(r, 28); // volume sequence number
  r[32] = f.id.length;
  f.id.copy(r, 33);
  su.copy(r, 33 + f.id.length + pad);
  return r;
}

/** A path table holding only the root (directory number 1, its own parent): 10 bytes. */
export function rootPathTable(lba: number, bigEndian: boolean): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 1; // identifier length
  b[1] = 0; // extended attribute record length
  if (bigEndian) {
    b.writeUInt32BE(lba, 2);
    b.writeUInt16BE(1, 6);
  } else {
    b.writeUInt32LE(lba, 2);
    b.writeUInt16LE(1, 6);
  }
  b[8] = 0; // the root's identifier
  b[9] = 0; // pad to even
  return b;
}

/** Packs records into sectors: a record never crosses a sector boundary (ECMA-119 §6.8.1.1). */
export function packRecords(records: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let used = 0;
  for (const r of records) {
    if (used + r.length > SECTOR) {
      out.push(Buffer.alloc(SECTOR - used));
      used = 0;
    }
    out.push(r);
    used += r.length;
  }
  const total = Buffer.concat(out);
  return Buffer.concat([total, Buffer.alloc(sectorsFor(total.length) * SECTOR - total.length)]);
}
