import type { Duplex } from "node:stream";

/**
 * What a libvirt URI resolves to: how to reach the daemon (`transport` and its settings) and the URI sent in
 * CONNECT_OPEN (`openUri`, the driver URI without transport and host: `qemu:///system`, `test:///default`).
 * Produced by `parseUri`, the one place that reads URIs; consumed by `dial`.
 */
export type Target = UnixTarget | TcpTarget | TlsTarget | SshTarget | ExtTarget;

interface TargetBase {
  /** The URI as the user wrote it (for messages). */
  uri: string;
  /** Sent in CONNECT_OPEN. Never empty: a NULL name fails on libvirt 9.0. */
  openUri: string;
  /** `VIR_CONNECT_RO` requested (`?readonly=1` is not a libvirt parameter; set by the caller's options). */
  readOnly: boolean;
  /** Bounds set by URI parameters (`connect_timeout=`, `keepalive_interval=`, `keepalive_count=`); absent: defaults. */
  limits?: Limits;
}

/** How long to wait for a daemon, and when a silent one counts as dead. See {@link DEFAULT_LIMITS}. */
export interface Limits {
  /** Reaching the daemon and finishing the handshake (AUTH_LIST, CONNECT_OPEN, features), in ms. */
  connectTimeoutMs?: number;
  /** After this long without a byte from the daemon a keepalive PING is sent, in ms. */
  keepaliveIntervalMs?: number;
  /** The peer is dead after `keepaliveIntervalMs × (keepaliveCount + 1)` of silence. */
  keepaliveCount?: number;
}

/**
 * Defaults: 30 s to connect and shake hands; a PING after 5 s of silence, dead after 30 s of silence (5 unanswered
 * intervals), which is what libvirt's own client and daemon use (`keepalive_interval = 5`, `keepalive_count = 5`).
 */
export const DEFAULT_LIMITS: Required<Limits> = { connectTimeoutMs: 30000, keepaliveIntervalMs: 5000, keepaliveCount: 5 };

export interface UnixTarget extends TargetBase {
  transport: "unix";
  socketPath: string;
}

export interface TcpTarget extends TargetBase {
  transport: "tcp";
  host: string;
  port: number;
}

export interface TlsTarget extends TargetBase {
  transport: "tls";
  host: string;
  port: number;
  /** Verify the server certificate and host name (false with `no_verify=1`). */
  verify: boolean;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Certificate revocation list, used when the file exists. */
  crlFile?: string;
}

export interface SshTarget extends TargetBase {
  transport: "ssh";
  host: string;
  /** The program to run (`ssh`, or `command=`) and its whole argument list, exactly as libvirt builds it. */
  command: string;
  args: string[];
}

export interface ExtTarget extends TargetBase {
  transport: "ext";
  command: string;
  args: string[];
}

/** An open byte channel to a daemon, ready for the first RPC. */
export interface Transport {
  stream: Duplex;
  /** One line saying where this goes, e.g. `unix socket /run/libvirt/libvirt-sock`. */
  description: string;
  /** What the far side printed that may explain a failure (ssh's stderr tail); empty when nothing. */
  diagnostics(): string;
}
