import { ProtocolError } from "../errors";
import { HEADER_SIZE, MESSAGE_MAX } from "./packet";

/**
 * Cuts a byte stream into packets. Bytes in, packets out: no I/O, so tests push buffers split anywhere.
 *
 * `onPacket(buf, start, end)` gets the packet's bytes (length word included) as a range of a buffer that is only
 * valid during the callback. When a chunk holds whole packets, no bytes are copied; only a packet split across
 * chunks is assembled in a buffer of its exact size (allocated after its length word was checked).
 */
export class Framer {
  private partial: Buffer | null = null;
  private filled = 0;
  /** Up to 3 bytes of a length word split across chunks. */
  private lenBytes: Buffer | null = null;
  private failed = false;

  constructor(private readonly onPacket: (buf: Buffer, start: number, end: number) => void) {}

  private static checkLength(len: number): void {
    if (len < HEADER_SIZE || len > MESSAGE_MAX) {
      throw new ProtocolError(`packet length ${len} is outside the protocol's range [${HEADER_SIZE}, ${MESSAGE_MAX}]`);
    }
  }

  /** Feeds bytes; throws a `ProtocolError` on a bad length, after which the framer refuses further input. */
  push(chunk: Buffer): void {
    if (this.failed) throw new ProtocolError("framer used after a protocol error");
    try {
      this.consume(chunk);
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  private consume(chunk: Buffer): void {
    let pos = 0;
    const n = chunk.length;
    if (this.lenBytes !== null) {
      const need = 4 - this.lenBytes.length;
      const take = Math.min(need, n);
      this.lenBytes = Buffer.concat([this.lenBytes, chunk.subarray(0, take)]);
      pos = take;
      if (this.lenBytes.length < 4) return;
      const len = this.lenBytes.readUInt32BE(0);
      Framer.checkLength(len);
      this.partial = Buffer.allocUnsafe(len);
      this.lenBytes.copy(this.partial, 0);
      this.filled = 4;
      this.lenBytes = null;
    }
    if (this.partial !== null) {
      const take = Math.min(this.partial.length - this.filled, n - pos);
      chunk.copy(this.partial, this.filled, pos, pos + take);
      this.filled += take;
      pos += take;
      if (this.filled < this.partial.length) return;
      const whole = this.partial;
      this.partial = null;
      this.onPacket(whole, 0, whole.length);
    }
    while (pos < n) {
      if (n - pos < 4) {
        this.lenBytes = Buffer.from(chunk.subarray(pos));
        return;
      }
      const len = chunk.readUInt32BE(pos);
      Framer.checkLength(len);
      if (n - pos >= len) {
        this.onPacket(chunk, pos, pos + len);
        pos += len;
      } else {
        this.partial = Buffer.allocUnsafe(len);
        chunk.copy(this.partial, 0, pos, n);
        this.filled = n - pos;
        return;
      }
    }
  }

  /** Bytes of an unfinished packet still buffered (non-zero at EOF means the peer stopped mid-packet). */
  get pending(): number {
    return this.partial !== null ? this.filled : this.lenBytes !== null ? this.lenBytes.length : 0;
  }
}
