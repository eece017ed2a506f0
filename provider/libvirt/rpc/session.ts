import { ArgumentError, ConnectionClosedError, errorFromRemote, ProtocolError } from "../errors";
import type { Procedure } from "../protocol/procedures";
import { remoteError } from "../protocol/types";
import { decodeAll, XdrError, XdrWriter } from "../xdr";
import { Framer } from "./framer";
import {
  emptyPacket,
  HEADER_SIZE,
  KeepaliveProc,
  MESSAGE_MAX,
  PacketType,
  Program,
  PROTOCOL_VERSION,
  readHeader,
  Status,
  streamPacket,
  writeHeader,
} from "./packet";
import { RpcStream } from "./stream";

/** Where the session writes. A Node `Writable` (every transport's Duplex) fits. */
export interface Sink {
  write(buf: Buffer): boolean;
  cork(): void;
  uncork(): void;
  once(event: "drain", listener: () => void): unknown;
}

/** An event message (type MESSAGE) of the REMOTE program; the payload range is valid only during the call. */
export type EventHandler = (procedure: number, buf: Buffer, start: number, end: number) => void;

interface Pending {
  name: string;
  decode: (buf: Buffer, start: number, end: number) => unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a pending call resolves with its procedure's reply type
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

/**
 * The RPC session over one byte channel: numbers calls, matches replies by serial (any number in flight),
 * routes stream packets to their stream, answers keepalive PINGs and hands event messages on.
 *
 * It does no I/O of its own: bytes come in through `receive`, go out through the `Sink`. Any framing or
 * decoding error is fatal to the session — every pending call and stream is rejected with a `ProtocolError`
 * whose `cause` says why, and the owner must drop the channel. There is no resync.
 *
 * The first write of a tick goes out at once; further writes in the same tick are corked and go out together
 * when the tick ends (one writev for a burst of pipelined calls, no added latency for a single call).
 */
export class RpcSession {
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, RpcStream>();
  private readonly framer: Framer;
  private closedError: Error | null = null;
  /** Streams waiting for the channel to drain; woken (rejected) when the session fails. */
  private readonly writeWaiters = new Set<(err: Error | null) => void>();
  /** When the last byte came from the peer (ms since the epoch); the keepalive watch reads it. */
  lastReceived = Date.now();
  private corked = false;
  private sentThisTick = false;
  private readonly endTick = (): void => {
    this.sentThisTick = false;
    if (this.corked) {
      this.corked = false;
      this.sink.uncork();
    }
  };

  constructor(
    private readonly sink: Sink,
    private readonly onEvent: EventHandler,
    /** Called once when the session fails by itself (protocol error); the owner closes the channel. */
    private readonly onFatal: (err: Error) => void,
  ) {
    this.framer = new Framer((buf, start, end) => this.dispatch(buf, start, end));
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Calls in flight (streams excluded). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends a CALL and resolves with the decoded reply, or rejects with the daemon's typed error. */
  call<A, R>(proc: Procedure<A, R>, args: A): Promise<R> {
    if (this.closedError) return Promise.reject(this.closedError);
    let packet: Buffer;
    try {
      packet = this.encodeCall(proc, args);
    } catch (e) {
      return Promise.reject(e);
    }
    const serial = packet.readUInt32BE(20);
    return new Promise<R>((resolve, reject) => {
      this.pending.set(serial, { name: proc.name, decode: (b, s, e) => decodeAll(proc.ret, b, s, e), resolve, reject });
      this.send(packet);
    });
  }

  /**
   * Sends a CALL that opens a stream (STORAGE_VOL_UPLOAD/DOWNLOAD). The stream is registered before the call goes
   * out, because the daemon may send data right after its reply. Resolves once the daemon accepted the call.
   */
  async openStream<A>(proc: Procedure<A, void>, args: A): Promise<RpcStream> {
    if (this.closedError) throw this.closedError;
    const packet = this.encodeCall(proc, args);
    const serial = packet.readUInt32BE(20);
    const stream = new RpcStream(
      {
        sendStream: (p, s, status, data) => this.sendRaw(streamPacket(p, s, status, data)),
        waitWritable: () => this.waitWritable(),
        release: (s) => this.streams.delete(s),
      },
      proc.number,
      proc.name,
      serial,
    );
    this.streams.set(serial, stream);
    try {
      await new Promise<void>((resolve, reject) => {
        this.pending.set(serial, { name: proc.name, decode: () => undefined, resolve, reject });
        this.send(packet);
      });
    } catch (e) {
      this.streams.delete(serial);
      throw e;
    }
    return stream;
  }

  /**
   * Resolves when the channel drains. A destroyed socket never emits `drain`: a session failure (the channel
   * closed or errored, the peer went silent) rejects the wait with the session's error instead.
   */
  private waitWritable(): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<void>((resolve, reject) => {
      const done = (err: Error | null): void => {
        this.writeWaiters.delete(done);
        if (err) reject(err);
        else resolve();
      };
      this.writeWaiters.add(done);
      this.sink.once("drain", () => done(null));
    });
  }

  /** Sends a keepalive PING (program KEEPALIVE, type MESSAGE, serial 0); the daemon answers PONG. */
  ping(): void {
    this.sendRaw(
      emptyPacket({ program: Program.KEEPALIVE, version: 1, procedure: KeepaliveProc.PING, type: PacketType.MESSAGE, serial: 0, status: Status.OK }),
    );
  }

  /** Calls and streams waiting for the peer. */
  get busy(): boolean {
    return this.pending.size > 0 || this.streams.size > 0;
  }

  private encodeCall<A>(proc: Procedure<A, unknown>, args: A): Buffer {
    const w = new XdrWriter(128, HEADER_SIZE);
    try {
      proc.args.encode(w, args);
    } catch (e) {
      if (e instanceof XdrError) throw new ArgumentError(`arguments of ${proc.name}${e.message.startsWith(".") ? "" : ": "}${e.message}`, { cause: e });
      throw e;
    }
    const packet = w.finish();
    if (packet.length > MESSAGE_MAX) {
      // The daemon would drop the whole connection, without a reply, for an oversize packet.
      throw new ArgumentError(`${proc.name} call is ${packet.length} bytes; libvirt accepts at most ${MESSAGE_MAX}`);
    }
    this.serial = (this.serial + 1) >>> 0 || 1;
    writeHeader(packet, {
      program: Program.REMOTE,
      version: PROTOCOL_VERSION,
      procedure: proc.number,
      type: PacketType.CALL,
      serial: this.serial,
      status: Status.OK,
    });
    return packet;
  }

  private send(packet: Buffer): void {
    // The first packet of a tick goes straight out (one syscall, no added latency for a lone call). When more
    // follow in the same tick (pipelined calls), they are corked and leave together as one writev.
    if (this.corked) {
      this.sink.write(packet);
    } else if (this.sentThisTick) {
      this.corked = true;
      this.sink.cork();
      this.sink.write(packet);
    } else {
      this.sentThisTick = true;
      process.nextTick(this.endTick);
      this.sink.write(packet);
    }
  }

  private sendRaw(packet: Buffer): boolean {
    if (this.closedError) return true;
    return this.sink.write(packet);
  }

  /** Feeds bytes from the channel. A protocol violation fails the session (and is reported to `onFatal`). */
  receive(chunk: Buffer): void {
    if (this.closedError) return;
    this.lastReceived = Date.now();
    try {
      this.framer.push(chunk);
    } catch (e) {
      const err = e instanceof ProtocolError ? e : new ProtocolError(`malformed packet from the daemon: ${(e as Error).message}`, { cause: e });
      this.fail(err);
      this.onFatal(err);
    }
  }

  /** The channel ended: bytes of a half-received packet mean the peer stopped mid-packet. */
  end(reason?: Error): void {
    if (this.closedError) return;
    const partial = this.framer.pending;
    const why = partial > 0 ? `after ${partial} bytes of an unfinished packet` : "";
    this.fail(new ConnectionClosedError(`connection closed${why ? " " + why : ""}`, reason ? { cause: reason } : undefined));
  }

  /** Rejects every pending call and stream with `err`; later calls reject with it too. */
  fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.fail(err);
    for (const w of [...this.writeWaiters]) w(err);
  }

  private dispatch(buf: Buffer, start: number, end: number): void {
    const h = readHeader(buf, start);
    const body = start + HEADER_SIZE;
    if (h.program === Program.KEEPALIVE) {
      if (h.procedure === KeepaliveProc.PING) {
        this.sendRaw(emptyPacket({ ...h, procedure: KeepaliveProc.PONG, type: PacketType.MESSAGE, serial: 0, status: Status.OK }));
      }
      return;
    }
    if (h.program !== Program.REMOTE || h.version !== PROTOCOL_VERSION) {
      throw new ProtocolError(`packet for unknown program 0x${h.program.toString(16)} version ${h.version}`);
    }
    switch (h.type) {
      case PacketType.REPLY:
        this.reply(h.serial, h.status, buf, body, end);
        return;
      case PacketType.MESSAGE:
        // Events are routed by type: on libvirt 9.0 they arrived with serial 1, not 0.
        this.onEvent(h.procedure, buf, body, end);
        return;
      case PacketType.STREAM: {
        const stream = this.streams.get(h.serial);
        if (!stream) throw new ProtocolError(`stream packet for serial ${h.serial}, which has no open stream`);
        stream.receive(h.status, buf, body, end);
        return;
      }
      default:
        throw new ProtocolError(`unexpected packet type ${h.type} (procedure ${h.procedure}, serial ${h.serial})`);
    }
  }

  private reply(serial: number, status: number, buf: Buffer, start: number, end: number): void {
    const p = this.pending.get(serial);
    if (!p) throw new ProtocolError(`reply for serial ${serial}, which no call is waiting for`);
    this.pending.delete(serial);
    if (status === Status.OK) {
      let value: unknown;
      try {
        value = p.decode(buf, start, end);
      } catch (e) {
        const err = new ProtocolError(`cannot decode the reply to ${p.name}: ${(e as Error).message}`, { cause: e });
        p.reject(err);
        throw err;
      }
      p.resolve(value);
    } else if (status === Status.ERROR) {
      let remote;
      try {
        remote = decodeAll(remoteError, buf, start, end);
      } catch (e) {
        const err = new ProtocolError(`cannot decode the error reply to ${p.name}: ${(e as Error).message}`, { cause: e });
        p.reject(err);
        throw err;
      }
      p.reject(errorFromRemote(remote, p.name));
    } else {
      const err = new ProtocolError(`reply to ${p.name} with status ${status}`);
      p.reject(err);
      throw err;
    }
  }
}
