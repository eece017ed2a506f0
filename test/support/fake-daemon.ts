import type { Duplex } from "node:stream";
import { Framer } from "../../provider/libvirt/rpc/framer";
import { HEADER_SIZE, Header, KeepaliveProc, PacketType, Program, readHeader, Status, writeHeader } from "../../provider/libvirt/rpc/packet";
import { Proc } from "../../provider/libvirt/protocol/procedures";
import { remoteError, RemoteError } from "../../provider/libvirt/protocol/types";
import { Codec, XdrWriter } from "../../provider/libvirt/xdr";
import { duplexPair } from "./duplex-pair";
import type { Transport } from "../../provider/libvirt/transport/types";

export interface ReceivedCall {
  header: Header;
  /** The payload bytes (copied). */
  payload: Buffer;
}

/** What a handler returns: a reply payload, an error, or nothing (the test answers later by hand). */
export type HandlerResult = { ret: Buffer } | { error: Partial<RemoteError> } | "noreply";

/**
 * A fake libvirtd speaking the wire protocol over an in-memory duplex pair, for the fault cases a real daemon
 * cannot be made to produce (garbage bytes, oversize lengths, replies for unknown serials, closing mid-call).
 * It answers the handshake by default (AUTH_LIST → [NONE], CONNECT_OPEN, SUPPORTS_FEATURE → 1).
 */
export class FakeDaemon {
  readonly calls: ReceivedCall[] = [];
  readonly streamPackets: ReceivedCall[] = [];
  readonly messages: ReceivedCall[] = [];
  private readonly handlers = new Map<number, (c: ReceivedCall) => HandlerResult>();
  /** Every server-side end opened (one per dial). */
  readonly ends: Duplex[] = [];
  authTypes: number[] = [0];
  /** When true the daemon goes silent: it answers nothing, not even keepalive PINGs (a frozen peer). */
  silent = false;
  dials = 0;

  constructor() {
    this.on(Proc.AUTH_LIST.number, () => ({ ret: encode(Proc.AUTH_LIST.ret, { types: this.authTypes }) }));
    this.on(Proc.CONNECT_OPEN.number, () => ({ ret: Buffer.alloc(0) }));
    this.on(Proc.CONNECT_SUPPORTS_FEATURE.number, () => ({ ret: encode(Proc.CONNECT_SUPPORTS_FEATURE.ret, { supported: 1 }) }));
    this.on(Proc.CONNECT_CLOSE.number, () => ({ ret: Buffer.alloc(0) }));
  }

  /** The current (latest) server end. */
  get end(): Duplex {
    return this.ends[this.ends.length - 1]!;
  }

  on(procedure: number, handler: (c: ReceivedCall) => HandlerResult): void {
    this.handlers.set(procedure, handler);
  }

  /** A `dial` for `Connection` options: each call opens a new pair, as a reconnect would. */
  dial = async (): Promise<Transport> => {
    this.dials++;
    const [client, server] = duplexPair();
    this.ends.push(server);
    const framer = new Framer((buf, start, end) => {
      const header = readHeader(buf, start);
      if (this.silent) return;
      const rec = { header, payload: Buffer.from(buf.subarray(start + HEADER_SIZE, end)) };
      if (header.type === PacketType.STREAM) {
        this.streamPackets.push(rec);
        this.onStream?.(rec, server);
        return;
      }
      if (header.program !== Program.REMOTE || header.type !== PacketType.CALL) {
        this.messages.push(rec);
        // Like libvirtd: a keepalive PING is answered with a PONG.
        if (header.program === Program.KEEPALIVE && header.procedure === KeepaliveProc.PING) {
          this.write(server, packet({ ...header, procedure: KeepaliveProc.PONG }, Buffer.alloc(0)));
        }
        return;
      }
      this.calls.push(rec);
      const h = this.handlers.get(header.procedure);
      const result: HandlerResult = h ? h(rec) : { error: { code: 39, domain: 7, message: `unknown procedure: ${header.procedure}` } };
      if (result === "noreply") return;
      if ("ret" in result) this.write(server, reply(header, Status.OK, result.ret));
      else this.write(server, reply(header, Status.ERROR, encode(remoteError, fullError(result.error))));
    });
    server.on("data", (chunk: Buffer) => framer.push(chunk));
    return { stream: client, description: "fake daemon", diagnostics: () => "" };
  };

  /** Called for each STREAM packet the client sends. */
  onStream: ((c: ReceivedCall, end: Duplex) => void) | undefined;

  write(end: Duplex, buf: Buffer): void {
    if (!end.destroyed) end.write(buf);
  }

  /** Sends raw bytes to the client on the current connection. */
  send(buf: Buffer): void {
    this.write(this.end, buf);
  }

  /** Drops the current connection as a dying daemon would. */
  drop(): void {
    this.end.destroy();
  }

  lastCall(procedure: number): ReceivedCall | undefined {
    return [...this.calls].reverse().find((c) => c.header.procedure === procedure);
  }
}

export function encode<T>(codec: Codec<T>, v: T): Buffer {
  const w = new XdrWriter();
  codec.encode(w, v);
  return Buffer.from(w.finish());
}

export function fullError(e: Partial<RemoteError>): RemoteError {
  return {
    code: 1,
    domain: 0,
    message: null,
    level: 2,
    dom: null,
    str1: null,
    str2: null,
    str3: null,
    int1: -1,
    int2: -1,
    net: null,
    ...e,
  };
}

/** A packet answering `call` (same program, procedure and serial). */
export function reply(call: Header, status: number, payload: Buffer, type: number = PacketType.REPLY): Buffer {
  return packet({ ...call, type, status }, payload);
}

export function packet(h: Header, payload: Buffer): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE + payload.length);
  payload.copy(buf, HEADER_SIZE);
  writeHeader(buf, h);
  return buf;
}
