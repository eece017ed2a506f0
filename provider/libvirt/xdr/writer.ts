import { XdrError } from "./errors";

/**
 * XDR (RFC 4506) encoder into one growable buffer.
 *
 * Every item is a multiple of 4 bytes, big-endian. The writer reserves room for the 28-byte packet header
 * at the start when asked, so a call is encoded into its final buffer in one pass (no concat per call).
 */
export class XdrWriter {
  private buf: Buffer;
  private pos: number;

  constructor(initialSize = 256, reserve = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(initialSize, reserve + 16));
    this.pos = reserve;
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new XdrError(`int out of range: ${v}`);
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new XdrError(`unsigned int out of range: ${v}`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  hyper(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  uhyper(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Raw bytes padded with zeros to a multiple of 4 (fixed opaque, or the body of variable opaque). */
  padded(bytes: Uint8Array): void {
    const n = bytes.length;
    const pad = (4 - (n & 3)) & 3;
    this.ensure(n + pad);
    this.buf.set(bytes, this.pos);
    this.pos += n;
    for (let i = 0; i < pad; i++) this.buf[this.pos++] = 0;
  }

  /** A string: u32 byte length, UTF-8 bytes, zero padding. Encoded in place, without a temporary buffer. */
  string(s: string): void {
    const max = Buffer.byteLength(s, "utf8");
    const pad = (4 - (max & 3)) & 3;
    this.ensure(4 + max + pad);
    this.buf.writeUInt32BE(max, this.pos);
    this.pos += 4;
    this.pos += this.buf.write(s, this.pos, "utf8");
    for (let i = 0; i < pad; i++) this.buf[this.pos++] = 0;
  }

  /** Writes a u32 at an earlier position (used for the packet length word). */
  patchUint(offset: number, v: number): void {
    this.buf.writeUInt32BE(v, offset);
  }

  /** The encoded bytes; a view of the internal buffer, valid until the next write. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
