/** Volume descriptors (ECMA-119 §8.4, §8.5; Joliet §4): the primary and Joliet descriptors and the set terminator. */
import { ascii, both16, both32, descriptorDate, SECTOR, ucs2 } from "./encoding";

export interface DescriptorFields {
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

export function volumeDescriptor(f: DescriptorFields): Buffer {
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

export function terminator(): Buffer {
  const d = Buffer.alloc(SECTOR);
  d[0] = 255;
  d.write("CD001", 1, "latin1");
  d[6] = 1;
  return d;
}
