/**
 * Transports: how bytes reach a libvirt daemon. `parseUri` turns a URI into a {@link Target}; `dial` opens it
 * and yields a Node Duplex ready for the first RPC. This folder is the only place that imports `node:net`,
 * `node:tls` and `node:child_process`.
 */
import { dialExt, dialSsh } from "./ssh";
import { dialTcp } from "./tcp";
import { dialTls } from "./tls";
import type { Target, Transport } from "./types";
import { dialUnix } from "./unix";

export { parseUri, DEFAULT_TCP_PORT, DEFAULT_TLS_PORT, type ParseOptions, type UriEnv } from "./uri";
export { buildSshCommand, remoteCommand, shellQuote, REMOTE_SOCKET, type SshCommandInput, type SshProxy } from "./ssh";
export type { Target, Transport, UnixTarget, TcpTarget, TlsTarget, SshTarget, ExtTarget, Limits } from "./types";
export { DEFAULT_LIMITS } from "./types";

/** `dial` options. */
export interface DialOptions {
  /**
   * How long to wait for the connection (unix and TCP connect; for TLS also the handshake and the server's
   * confirmation byte), in milliseconds. The URI's `connect_timeout=` wins; default 15000. ssh and ext are ready
   * once the program has started: the connection bounds their login together with the RPC handshake, and ssh
   * gets `-o ConnectTimeout` as well.
   */
  timeoutMs?: number;
}

/** Default connect timeout, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15000;

/**
 * Opens the byte channel a {@link Target} describes.
 *
 * @throws DaemonUnavailableError when nothing listens at the socket or port.
 * @throws TransportError for every other failure to set it up (permissions, TLS, a missing program, timeout).
 */
export function dial(target: Target, opts: DialOptions = {}): Promise<Transport> {
  const timeoutMs = target.limits?.connectTimeoutMs ?? opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  switch (target.transport) {
    case "unix":
      return dialUnix(target, timeoutMs);
    case "tcp":
      return dialTcp(target, timeoutMs);
    case "tls":
      return dialTls(target, timeoutMs);
    case "ssh":
      return dialSsh(target);
    case "ext":
      return dialExt(target);
  }
}
