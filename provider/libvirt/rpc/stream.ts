import { errorFromRemote, ProtocolError } from "../errors";
import { remoteError } from "../protocol/types";
import { decodeAll } from "../xdr";
import { STREAM_CHUNK, Status } from "./packet";

/** What a stream needs from its session: sending packets for its serial, and backpressure. */
export interface StreamSink {
  sendStream(procedure: number, serial: number, status: number, data: Buffer): boolean;
  waitWritable(): Promise<void>;
  release(serial: number): void;
}

/**
 * One libvirt stream (volume upload or download), bound to the serial of the call that opened it.
 *
 * The end-of-stream rules as measured on libvirt 9.0 (libvirt-protocol.md §6):
 * - upload: data goes out as STREAM/CONTINUE; the client ends with STREAM/OK (empty) and waits for the
 *   server's STREAM/OK (or STREAM/ERROR with a remote_error).
 * - download: data comes in as STREAM/CONTINUE; the end of data is an EMPTY STREAM/CONTINUE (not OK). The client
 *   then sends STREAM/OK and waits for the server's STREAM/OK. Waiting for OK first hangs for ever.
 * - abort: the client sends STREAM/ERROR (empty); the server answers STREAM/OK.
 */
export class RpcStream {
  private readonly chunks: Buffer[] = [];
  private dataEnded = false;
  private finished = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private finishWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private sentEnd = false;

  constructor(
    private readonly sink: StreamSink,
    readonly procedure: number,
    readonly procedureName: string,
    readonly serial: number,
  ) {}

  /** Called by the session for each STREAM packet with this serial. */
  receive(status: number, buf: Buffer, start: number, end: number): void {
    if (status === Status.CONTINUE) {
      if (end > start) {
        this.chunks.push(Buffer.from(buf.subarray(start, end)));
      } else {
        this.dataEnded = true;
        // The daemon waits for our OK before it confirms the end of a download.
        if (!this.sentEnd) {
          this.sentEnd = true;
          this.sink.sendStream(this.procedure, this.serial, Status.OK, Buffer.alloc(0));
        }
      }
      this.notify();
    } else if (status === Status.OK) {
      this.dataEnded = true;
      this.settle(null);
    } else if (status === Status.ERROR) {
      let err: Error;
      try {
        err = errorFromRemote(decodeAll(remoteError, buf, start, end), this.procedureName);
      } catch (e) {
        err = new ProtocolError(`undecodable stream error for ${this.procedureName}`, { cause: e });
      }
      this.settle(err);
    } else {
      this.settle(new ProtocolError(`stream packet with unknown status ${status} for ${this.procedureName}`));
    }
  }

  /** The session failed (connection closed, protocol error): the stream fails with it. */
  fail(err: Error): void {
    if (!this.finished) this.settle(err);
  }

  private settle(err: Error | null): void {
    if (this.finished) return;
    this.finished = true;
    this.error = err;
    this.sink.release(this.serial);
    this.notify();
    if (this.finishWaiter) {
      if (err) this.finishWaiter.reject(err);
      else this.finishWaiter.resolve();
      this.finishWaiter = null;
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Sends data (split into libvirt's chunk size), waiting when the transport pushes back. */
  async write(data: Buffer): Promise<void> {
    for (let off = 0; off < data.length; off += STREAM_CHUNK) {
      if (this.finished) throw this.error ?? new ProtocolError(`${this.procedureName} stream already finished`);
      const ok = this.sink.sendStream(this.procedure, this.serial, Status.CONTINUE, data.subarray(off, off + STREAM_CHUNK));
      if (!ok) await this.sink.waitWritable();
    }
  }

  /** Ends an upload: sends STREAM/OK and resolves when the daemon confirms (its write errors reject here). */
  finish(): Promise<void> {
    if (!this.sentEnd && !this.finished) {
      this.sentEnd = true;
      this.sink.sendStream(this.procedure, this.serial, Status.OK, Buffer.alloc(0));
    }
    return this.done();
  }

  /** Resolves when the daemon has closed the stream. */
  done(): Promise<void> {
    if (this.finished) return this.error ? Promise.reject(this.error) : Promise.resolve();
    return new Promise((resolve, reject) => {
      this.finishWaiter = { resolve, reject };
    });
  }

  /** Aborts the transfer: sends STREAM/ERROR; resolves when the daemon acknowledges. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.sentEnd = true;
    this.sink.sendStream(this.procedure, this.serial, Status.ERROR, Buffer.alloc(0));
    await this.done().catch(() => undefined);
  }

  /** Download side: yields data chunks until the end of the stream; throws the stream's error. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.chunks.length > 0) {
        yield this.chunks.shift()!;
        continue;
      }
      if (this.error) throw this.error;
      if (this.dataEnded) {
        await this.done();
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
