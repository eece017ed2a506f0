/**
 * System Use entries (SUSP 1.12 §5, RRIP 1.12 §4; RRIP_1991A lengths as genisoimage writes them): the Rock
 * Ridge records that give the primary tree's files their real names and POSIX modes.
 */
import { both32, dirDate } from "./encoding";

const RR_ID = "RRIP_1991A";
const RR_DESCRIPTION = "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
const RR_SOURCE = "PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";

function entry(sig: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(sig, "latin1"), Buffer.from([4 + body.length, 1]), body]);
}

/** SP: the SUSP indicator in the root's `.` record (check bytes BE EF, nothing skipped). */
export function suspSP(): Buffer {
  return entry("SP", Buffer.from([0xbe, 0xef, 0]));
}

/** CE: the rest of the System Use entries are at `lba`+`offset`, `length` bytes. */
export function suspCE(lba: number, offset: number, length: number): Buffer {
  return entry("CE", Buffer.concat([both32(lba), both32(offset), both32(length)]));
}

/** ER: this volume uses the Rock Ridge extension (RRIP_1991A, version 1). */
export function suspER(): Buffer {
  const id = Buffer.from(RR_ID, "latin1");
  const des = Buffer.from(RR_DESCRIPTION, "latin1");
  const src = Buffer.from(RR_SOURCE, "latin1");
  return entry("ER", Buffer.concat([Buffer.from([id.length, des.length, src.length, 1]), id, des, src]));
}

/** RR (RRIP 1991A): which Rock Ridge entries follow; Linux stops reading a record whose RR flags lack PX/NM. */
export const RR_FLAGS = { PX: 0x01, PN: 0x02, SL: 0x04, NM: 0x08, CL: 0x10, PL: 0x20, RE: 0x40, TF: 0x80 } as const;
export function rripRR(flags: number): Buffer {
  return entry("RR", Buffer.from([flags]));
}

/** PX: POSIX mode, links, uid, gid (the 36-byte RRIP_1991A form, without a serial number). */
export function rripPX(mode: number, links: number, uid = 0, gid = 0): Buffer {
  return entry("PX", Buffer.concat([both32(mode), both32(links), both32(uid), both32(gid)]));
}

/** TF: modification, access and attribute-change times, 7-byte form. */
export function rripTF(d: Date): Buffer {
  const t = dirDate(d);
  return entry("TF", Buffer.concat([Buffer.from([0x0e]), t, t, t]));
}

/** NM: the file's real name (flags 0: complete, not continued). */
export function rripNM(name: string): Buffer {
  return entry("NM", Buffer.concat([Buffer.from([0]), Buffer.from(name, "latin1")]));
}
