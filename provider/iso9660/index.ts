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
 * This module lays the image out; the parts are in encoding (fields, names), rockridge (SUSP/RRIP entries),
 * directory (directory records, path tables) and descriptors (volume descriptors). Pure bytes: no I/O, and it knows
 * nothing of cloud-init, libvirt or Pulumi (its own layer: provider/resources may import it, it imports nothing of ours).
 *
 * References: ECMA-119 (ISO 9660) §8–9, the Joliet specification (1995), SUSP 1.12 and RRIP 1.12 (IEEE P1281/P1282).
 */

import { terminator, volumeDescriptor } from "./descriptors";
import { dirRecord, packRecords, rootPathTable } from "./directory";
import { isoName, SECTOR, ucs2Name } from "./encoding";
import { RR_FLAGS, rripNM, rripPX, rripRR, rripTF, suspCE, suspER, suspSP } from "./rockridge";

export { SECTOR } from "./encoding";

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

/** The fixed sectors (see the map above). */
const PVD = 16;
const PT_L = 19;
const PT_M = 20;
const JPT_L = 21;
const JPT_M = 22;
const CE = 23;

/** A file with its ISO 9660 name and, once placed, its first sector. */
type Placed = IsoFile & { iso: string; lba: number };
type Extent = { lba: number; sectors: number };

/** The primary root's records: `.` (with SUSP SP, RRIP and the CE pointer to ER), `..`, then the files in ISO order. */
function primaryRecords(files: Placed[], date: Date, root: Extent, erLength: number): Buffer[] {
  const dir = (id: number, first: boolean) =>
    dirRecord({
      lba: root.lba,
      size: root.sectors * SECTOR,
      date,
      directory: true,
      id: Buffer.from([id]),
      systemUse: Buffer.concat([
        ...(first ? [suspSP()] : []),
        rripRR(RR_FLAGS.PX | RR_FLAGS.TF),
        rripPX(DIR_MODE, 2),
        rripTF(date),
        ...(first ? [suspCE(CE, 0, erLength)] : []),
      ]),
    });
  const file = (f: Placed) =>
    dirRecord({
      lba: f.lba,
      size: f.data.length,
      date,
      directory: false,
      id: Buffer.from(f.iso, "latin1"),
      systemUse: Buffer.concat([rripRR(RR_FLAGS.PX | RR_FLAGS.TF | RR_FLAGS.NM), rripNM(f.name), rripPX(FILE_MODE, 1), rripTF(date)]),
    });
  return [dir(0, true), dir(1, false), ...files.map(file)];
}

/** The Joliet root's records: `.`, `..`, then the files by UCS-2 name. */
function jolietRecords(files: Placed[], date: Date, root: Extent): Buffer[] {
  const size = root.sectors * SECTOR;
  return [
    dirRecord({ lba: root.lba, size, date, directory: true, id: Buffer.from([0]) }),
    dirRecord({ lba: root.lba, size, date, directory: true, id: Buffer.from([1]) }),
    ...files.map((f) => dirRecord({ lba: f.lba, size: f.data.length, date, directory: false, id: ucs2Name(f.name) })),
  ];
}

/** Gives each file its sectors from `first` on; returns the image's size in sectors. */
function placeFiles(files: Placed[], first: number): number {
  let next = first;
  for (const f of files) {
    // An empty file has no extent; it points at LBA 0 with length 0 (nothing is read).
    f.lba = f.data.length === 0 ? 0 : next;
    next += Math.ceil(f.data.length / SECTOR);
  }
  return next;
}

/** Builds the image in memory and says where everything went. */
export function buildIsoWithLayout(opts: IsoOptions): { image: Buffer; layout: IsoLayout } {
  validate(opts);
  const date = opts.date ?? new Date();
  // Names and orders: the primary tree is sorted by ISO identifier, Joliet's by UCS-2 name (ECMA-119 §9.3).
  const taken = new Set<string>();
  const files: Placed[] = opts.files.map((f) => ({ ...f, iso: isoName(f.name, taken), lba: 0 }));
  const primaryOrder = [...files].sort((a, b) => compareIsoIds(a.iso, b.iso));
  const jolietOrder = [...files].sort((a, b) => Buffer.compare(ucs2Name(a.name), ucs2Name(b.name)));

  // The root directories' sizes depend only on the names: measure them, then place the file data after them.
  const er = suspER();
  const none = { lba: 0, sectors: 0 };
  const primaryRoot = { lba: CE + 1, sectors: packRecords(primaryRecords(primaryOrder, date, none, er.length)).length / SECTOR };
  const jolietRoot = { lba: primaryRoot.lba + primaryRoot.sectors, sectors: packRecords(jolietRecords(jolietOrder, date, none)).length / SECTOR };
  const totalSectors = placeFiles(primaryOrder, jolietRoot.lba + jolietRoot.sectors);

  const image = Buffer.alloc(totalSectors * SECTOR);
  const put = (lba: number, b: Buffer) => b.copy(image, lba * SECTOR);
  const rootRecord = (r: Extent) => dirRecord({ lba: r.lba, size: r.sectors * SECTOR, date, directory: true, id: Buffer.from([0]) });
  const common = {
    systemId: opts.systemId ?? "LINUX",
    volumeId: opts.volumeId,
    applicationId: opts.applicationId ?? "PULUMI-VIRT CLOUD-INIT SEED",
    totalSectors,
    pathTableSize: 10,
    date,
  };
  put(PVD, volumeDescriptor({ ...common, joliet: false, pathTableL: PT_L, pathTableM: PT_M, root: rootRecord(primaryRoot) }));
  put(PVD + 1, volumeDescriptor({ ...common, joliet: true, pathTableL: JPT_L, pathTableM: JPT_M, root: rootRecord(jolietRoot) }));
  put(PVD + 2, terminator());
  put(PT_L, rootPathTable(primaryRoot.lba, false));
  put(PT_M, rootPathTable(primaryRoot.lba, true));
  put(JPT_L, rootPathTable(jolietRoot.lba, false));
  put(JPT_M, rootPathTable(jolietRoot.lba, true));
  put(CE, er);
  put(primaryRoot.lba, packRecords(primaryRecords(primaryOrder, date, primaryRoot, er.length)));
  put(jolietRoot.lba, packRecords(jolietRecords(jolietOrder, date, jolietRoot)));
  for (const f of files) if (f.data.length > 0) put(f.lba, f.data);

  const placed = primaryOrder.map((f) => ({ name: f.name, isoName: f.iso, lba: f.lba, size: f.data.length }));
  return {
    image,
    layout: {
      totalSectors,
      primaryPathTableL: PT_L,
      primaryPathTableM: PT_M,
      jolietPathTableL: JPT_L,
      jolietPathTableM: JPT_M,
      continuationArea: CE,
      primaryRoot,
      jolietRoot,
      files: placed,
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
