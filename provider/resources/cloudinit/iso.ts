/**
 * A small ISO 9660 writer for cloud-init NoCloud seeds: one root directory of files, with a Joliet
 * supplementary volume descriptor (UCS-2 names) and Rock Ridge (SUSP SP/CE/ER, RRIP RR/PX/TF/NM) in the primary
 * tree, so both Linux readers (Rock Ridge first, then Joliet) see the files under their real names — the
 * plain ISO 9660 names are upper-case 8.3 (`USER_DAT.;1`), useless to cloud-init. The layout matches what
 * `genisoimage -volid cidata -joliet -rock` writes, without its 300 KiB of trailing padding:
 *
 *   0–15  system area (zeros)           16  primary volume descriptor   17  Joliet supplementary descriptor
 *   18    set terminator                19/20 primary path table L/M    21/22 Joliet path table L/M
 *   23    SUSP continuation area (ER)   24… primary root directory      …   Joliet root directory, then file data
 *
 * References: ECMA-119 (ISO 9660) §8–9, the Joliet specification (1995), SUSP 1.12 and RRIP 1.12 (IEEE P1281/P1282).
 */

export const SECTOR = 2048;
/** The largest file this writer takes; seeds are kilobytes, the limit only guards memory. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** File names: printable ASCII without the characters Joliet forbids, at most 100 characters. */
const FILE_NAME_RE = /^[A-Za-z0-9._+=@%,~-][A-Za-z0-9._+=@%,~ -]{0,99}$/;

export interface IsoFile {
  /** The file's name as Rock Ridge and Joliet show it, e.g. `user-data`. */
  name: string;
  data: Buffer;
}

export interface IsoOptions {
  /** Volume identifier (the label blkid reports), at most 16 characters (the Joliet limit), e.g. `cidata`. */
  volumeId: string;
  files: IsoFile[];
  /** Recording date of the volume and every file; default: now. A fixed date gives byte-identical images. */
  date?: Date;
  /** Default `LINUX`, like genisoimage. */
  systemId?: string;
  applicationId?: string;
}

/** Where each structure went, for tests and diagnostics. */
export interface IsoLayout {
  totalSectors: number;
  primaryPathTableL: number;
  primaryPathTableM: number;
  jolietPathTableL: number;
  jolietPathTableM: number;
  continuationArea: number;
  primaryRoot: { lba: number; sectors: number };
  jolietRoot: { lba: number; sectors: number };
  files: { name: string; isoName: string; lba: number; size: number }[];
}

// ---------------------------------------------------------------------------------------------------------------
// Field encoders (ECMA-119 §7)

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
function ascii(s: string, width: number): Buffer {
  return Buffer.from(s.slice(0, width).padEnd(width, " "), "latin1");
}

/** A fixed-width Joliet field: UCS-2 big-endian, padded with U+0020; an odd width ends in one zero byte. */
function ucs2(s: string, width: number): Buffer {
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

// ---------------------------------------------------------------------------------------------------------------
// System Use entries (SUSP 1.12 §5, RRIP 1.12 §4; RRIP_1991A lengths as genisoimage writes them)

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

// ---------------------------------------------------------------------------------------------------------------
// Directory records and path tables (ECMA-119 §9.1, §9.4)

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

function sectorsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / SECTOR));
}

// ---------------------------------------------------------------------------------------------------------------
// Volume descriptors (ECMA-119 §8.4, §8.5; Joliet §4)

interface DescriptorFields {
  joliet: boolean;
  systemId: string;
  volumeId: string;
  applicationId: string;
  totalSectors: number;
  pathTableSize: number;
  pathTableL: number;
  pathTableM: number;
  root: Buffer;
  date: Date;
}

function volumeDescriptor(f: DescriptorFields): Buffer {
  const d = Buffer.alloc(SECTOR);
  const text = f.joliet ? ucs2 : ascii;
  d[0] = f.joliet ? 2 : 1;
  d.write("CD001", 1, "latin1");
  d[6] = 1; // version
  text(f.systemId, 32).copy(d, 8);
  text(f.volumeId, 32).copy(d, 40);
  both32(f.totalSectors).copy(d, 80);
  if (f.joliet) d.write("%/E", 88, "latin1"); // UCS-2 level 3
  both16(1).copy(d, 120); // volume set size
  both16(1).copy(d, 124); // volume sequence number
  both16(SECTOR).copy(d, 128); // logical block size
  both32(f.pathTableSize).copy(d, 132);
  d.writeUInt32LE(f.pathTableL, 140);
  d.writeUInt32BE(f.pathTableM, 148);
  f.root.copy(d, 156);
  text("", 128).copy(d, 190); // volume set
  text("", 128).copy(d, 318); // publisher
  text("", 128).copy(d, 446); // data preparer
  text(f.applicationId, 128).copy(d, 574);
  text("", 37).copy(d, 702); // copyright file
  text("", 37).copy(d, 739); // abstract file
  text("", 37).copy(d, 776); // bibliographic file
  descriptorDate(f.date).copy(d, 813); // creation
  descriptorDate(f.date).copy(d, 830); // modification
  descriptorDate(null).copy(d, 847); // expiration
  descriptorDate(null).copy(d, 864); // effective
  d[881] = 1; // file structure version
  return d;
}

function terminator(): Buffer {
  const d = Buffer.alloc(SECTOR);
  d[0] = 255;
  d.write("CD001", 1, "latin1");
  d[6] = 1;
  return d;
}

// ---------------------------------------------------------------------------------------------------------------

function validate(opts: IsoOptions): void {
  if (!/^[A-Za-z0-9_]{1,16}$/.test(opts.volumeId)) throw new Error(`ISO volume id "${opts.volumeId}" must be 1 to 16 letters, digits or _`);
  const seen = new Set<string>();
  for (const f of opts.files) {
    if (!FILE_NAME_RE.test(f.name)) throw new Error(`ISO file name "${f.name}" must be 1 to 100 printable ASCII characters without / \\ : ; * ? " < > |`);
    if (seen.has(f.name)) throw new Error(`ISO file name "${f.name}" is given twice`);
    seen.add(f.name);
    if (f.data.length > MAX_FILE_BYTES) throw new Error(`ISO file "${f.name}" is ${f.data.length} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
  }
}

const FILE_MODE = 0o100444; // regular file, r--r--r-- (genisoimage -r: uid/gid 0, write bits cleared)
const DIR_MODE = 0o040555; // directory, r-xr-xr-x

/** Builds the image in memory and says where everything went. */
export function buildIsoWithLayout(opts: IsoOptions): { image: Buffer; layout: IsoLayout } {
  validate(opts);
  const date = opts.date ?? new Date();
  const systemId = opts.systemId ?? "LINUX";
  const applicationId = opts.applicationId ?? "PULUMI-VIRT CLOUD-INIT SEED";

  // Names and orders: the primary tree is sorted by ISO identifier, Joliet's by UCS-2 name (ECMA-119 §9.3).
  const taken = new Set<string>();
  const files = opts.files.map((f) => ({ ...f, iso: isoName(f.name, taken), lba: 0 }));
  const primaryOrder = [...files].sort((a, b) => compareIsoIds(a.iso, b.iso));
  const jolietOrder = [...files].sort((a, b) => Buffer.compare(ucs2Name(a.name), ucs2Name(b.name)));

  // Fixed sectors, then the two root directories (their sizes depend only on names), then the file data.
  const PVD = 16;
  const ptL = 19;
  const ptM = 20;
  const jptL = 21;
  const jptM = 22;
  const ceLba = 23;
  const er = suspER();
  const primaryRecords = (rootLba: number, rootSize: number): Buffer[] => [
    dirRecord({
      lba: rootLba,
      size: rootSize,
      date,
      directory: true,
      id: Buffer.from([0]),
      systemUse: Buffer.concat([suspSP(), rripRR(RR_FLAGS.PX | RR_FLAGS.TF), rripPX(DIR_MODE, 2), rripTF(date), suspCE(ceLba, 0, er.length)]),
    }),
    dirRecord({ lba: rootLba, size: rootSize, date, directory: true, id: Buffer.from([1]), systemUse: Buffer.concat([rripRR(RR_FLAGS.PX | RR_FLAGS.TF), rripPX(DIR_MODE, 2), rripTF(date)]) }),
    ...primaryOrder.map((f) =>
      dirRecord({
        lba: f.lba,
        size: f.data.length,
        date,
        directory: false,
        id: Buffer.from(f.iso, "latin1"),
        systemUse: Buffer.concat([rripRR(RR_FLAGS.PX | RR_FLAGS.TF | RR_FLAGS.NM), rripNM(f.name), rripPX(FILE_MODE, 1), rripTF(date)]),
      }),
    ),
  ];
  const jolietRecords = (rootLba: number, rootSize: number): Buffer[] => [
    dirRecord({ lba: rootLba, size: rootSize, date, directory: true, id: Buffer.from([0]) }),
    dirRecord({ lba: rootLba, size: rootSize, date, directory: true, id: Buffer.from([1]) }),
    ...jolietOrder.map((f) => dirRecord({ lba: f.lba, size: f.data.length, date, directory: false, id: ucs2Name(f.name) })),
  ];
  const primaryRoot = { lba: ceLba + 1, sectors: packRecords(primaryRecords(0, 0)).length / SECTOR };
  const jolietRoot = { lba: primaryRoot.lba + primaryRoot.sectors, sectors: packRecords(jolietRecords(0, 0)).length / SECTOR };
  let next = jolietRoot.lba + jolietRoot.sectors;
  for (const f of primaryOrder) {
    // An empty file has no extent; it points at LBA 0 with length 0 (nothing is read).
    f.lba = f.data.length === 0 ? 0 : next;
    next += Math.ceil(f.data.length / SECTOR);
  }
  const totalSectors = next;

  const image = Buffer.alloc(totalSectors * SECTOR);
  const put = (lba: number, b: Buffer) => b.copy(image, lba * SECTOR);
  const primaryRootRecord = dirRecord({ lba: primaryRoot.lba, size: primaryRoot.sectors * SECTOR, date, directory: true, id: Buffer.from([0]) });
  const jolietRootRecord = dirRecord({ lba: jolietRoot.lba, size: jolietRoot.sectors * SECTOR, date, directory: true, id: Buffer.from([0]) });
  const common = { systemId, volumeId: opts.volumeId, applicationId, totalSectors, pathTableSize: 10, date };
  put(PVD, volumeDescriptor({ ...common, joliet: false, pathTableL: ptL, pathTableM: ptM, root: primaryRootRecord }));
  put(PVD + 1, volumeDescriptor({ ...common, joliet: true, pathTableL: jptL, pathTableM: jptM, root: jolietRootRecord }));
  put(PVD + 2, terminator());
  put(ptL, rootPathTable(primaryRoot.lba, false));
  put(ptM, rootPathTable(primaryRoot.lba, true));
  put(jptL, rootPathTable(jolietRoot.lba, false));
  put(jptM, rootPathTable(jolietRoot.lba, true));
  put(ceLba, er);
  put(primaryRoot.lba, packRecords(primaryRecords(primaryRoot.lba, primaryRoot.sectors * SECTOR)));
  put(jolietRoot.lba, packRecords(jolietRecords(jolietRoot.lba, jolietRoot.sectors * SECTOR)));
  for (const f of files) if (f.data.length > 0) put(f.lba, f.data);

  return {
    image,
    layout: {
      totalSectors,
      primaryPathTableL: ptL,
      primaryPathTableM: ptM,
      jolietPathTableL: jptL,
      jolietPathTableM: jptM,
      continuationArea: ceLba,
      primaryRoot,
      jolietRoot,
      files: primaryOrder.map((f) => ({ name: f.name, isoName: f.iso, lba: f.lba, size: f.data.length })),
    },
  };
}

/** Builds an ISO 9660 image (Joliet and Rock Ridge) holding `files` in its root directory. */
export function buildIso(opts: IsoOptions): Buffer {
  return buildIsoWithLayout(opts).image;
}

/** ECMA-119 §9.3: by name, then extension (both padded with spaces), then version. */
function compareIsoIds(a: string, b: string): number {
  const split = (s: string) => {
    const [nameExt, version = ""] = s.split(";");
    const dot = nameExt!.indexOf(".");
    return [nameExt!.slice(0, dot).padEnd(8, " "), nameExt!.slice(dot + 1).padEnd(3, " "), version] as const;
  };
  const [an, ae, av] = split(a);
  const [bn, be, bv] = split(b);
  return an < bn ? -1 : an > bn ? 1 : ae < be ? -1 : ae > be ? 1 : bv > av ? -1 : bv < av ? 1 : 0;
}
