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
}

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
