import { XdrError } from "./errors";

/**
 * Bounded XDR decoder over one buffer.
 *
 * Every read checks the remaining length first, so a short or hostile payload throws an `XdrError` naming the
 * field being decoded (`ret.leases[3].hostname`) instead of reading past the end. Lengths of strings, opaques
 * and arrays are checked against their protocol maximum before anything is allocated.
 */
export class XdrReader {
  private pos: number;
  private readonly end: number;
  /** Field path of the value being decoded, kept by the codecs for error messages. */
  readonly path: string[] = [];

  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    const where = this.path.length > 0 ? this.path.join("") : "value";
    throw new XdrError(`${where}: ${message} (at byte ${this.pos})`);
  }

  private need(n: number): void {
    if (this.end - this.pos < n) this.fail(`needs ${n} bytes, ${this.end - this.pos} left`);
  }

  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  hyper(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length word for a string, opaque or array, checked against `max` before anything is read. */
  length(max: number): number {
    const n = this.uint();
    if (n > max) this.fail(`length ${n} exceeds the maximum ${max}`);
    return n;
  }

  /** `n` raw bytes plus their padding; returns a copy so the packet buffer can be reused. */
  padded(n: number): Buffer {
    const pad = (4 - (n & 3)) & 3;
    this.need(n + pad);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n + pad;
    return out;
  }

  string(max: number): string {
    const n = this.length(max);
    const pad = (4 - (n & 3)) & 3;
    this.need(n + pad);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n + pad;
    return s;
  }
}
