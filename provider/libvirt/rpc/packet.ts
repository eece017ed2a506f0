/**
 * libvirt's RPC wire format (src/rpc/virnetprotocol.x), as this client reads and writes it.
 *
 * The stream carries packets back to back, each:
 *
 *   u32 length     whole packet INCLUDING these 4 bytes (so at least 28)
 *   u32 program    0x20008086 REMOTE, 0x6b656570 KEEPALIVE ("keep")
 *   u32 version    1
 *   i32 procedure  REMOTE_PROC_* / KEEPALIVE PING=1, PONG=2
 *   i32 type       0 CALL, 1 REPLY, 2 MESSAGE, 3 STREAM, 4 CALL_WITH_FDS, 5 REPLY_WITH_FDS, 6 STREAM_HOLE
 *   u32 serial     chosen by the client per call; REPLY and STREAM packets carry their call's serial
 *   i32 status     0 OK, 1 ERROR (payload is a remote_error), 2 CONTINUE (stream data follows)
 *   ...            payload, XDR (raw bytes for STREAM data)
 *
 * Facts that shape the client (measured on libvirt 9.0, see shared/docs/libvirt-protocol.md):
 * - An error reply is type REPLY with status ERROR (not MESSAGE as one rpc.rst diagram suggests).
 * - Events are type MESSAGE and arrived with serial 1, not 0: route MESSAGE packets by type, never by serial.
 * - The daemon drops the connection, without a reply, for a packet over 32 MiB: check before sending, and
 *   reject an incoming length outside [28, 32 MiB] before buffering anything.
 */

export const HEADER_SIZE = 28;
/** VIR_NET_MESSAGE_MAX: the largest packet either side accepts, length word included. */
export const MESSAGE_MAX = 33554432;
/** VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX: the stream chunk size libvirt itself uses. */
export const STREAM_CHUNK = 262120;

export const Program = {
  REMOTE: 0x20008086,
  KEEPALIVE: 0x6b656570,
} as const;

export const PROTOCOL_VERSION = 1;

export const KeepaliveProc = { PING: 1, PONG: 2 } as const;

export const PacketType = {
  CALL: 0,
  REPLY: 1,
  MESSAGE: 2,
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
  STREAM_HOLE: 6,
} as const;

export const Status = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

export interface Header {
  program: number;
  version: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

/** Writes a header at offset 0 of a packet whose payload is already in place, and its length word. */
export function writeHeader(packet: Buffer, h: Header): void {
  packet.writeUInt32BE(packet.length, 0);
  packet.writeUInt32BE(h.program, 4);
  packet.writeUInt32BE(h.version, 8);
  packet.writeInt32BE(h.procedure, 12);
  packet.writeInt32BE(h.type, 16);
  packet.writeUInt32BE(h.serial, 20);
  packet.writeInt32BE(h.status, 24);
}

/** Reads the header of the packet starting at `offset` (its length word included). */
export function readHeader(buf: Buffer, offset: number): Header {
  return {
    program: buf.readUInt32BE(offset + 4),
    version: buf.readUInt32BE(offset + 8),
    procedure: buf.readInt32BE(offset + 12),
    type: buf.readInt32BE(offset + 16),
    serial: buf.readUInt32BE(offset + 20),
    status: buf.readInt32BE(offset + 24),
  };
}

/** A whole packet with no payload (keepalive, stream finish/abort, end of stream). */
export function emptyPacket(h: Header): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  writeHeader(buf, h);
  return buf;
}

/** A STREAM packet carrying raw data. */
export function streamPacket(procedure: number, serial: number, status: number, data: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE + data.length);
  data.copy(buf, HEADER_SIZE);
  writeHeader(buf, { program: Program.REMOTE, version: PROTOCOL_VERSION, procedure, type: PacketType.STREAM, serial, status });
  return buf;
}
