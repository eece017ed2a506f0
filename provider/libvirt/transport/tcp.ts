import { connect, type Socket } from "node:net";
import { DaemonUnavailableError, TransportError } from "../errors";
import type { TcpTarget, Transport } from "./types";

/**
 * Waits until `socket` emits `readyEvent` (`connect`, or `secureConnect` for TLS). On an error, an early close
 * or after `timeoutMs` the socket is destroyed and the promise rejects with the error `mapError` makes of it
 * (a timeout is always a `TransportError`). Listeners are removed either way, so the caller owns the socket's
 * events from then on.
 */
export function awaitConnect(
  socket: Socket,
  readyEvent: "connect" | "secureConnect",
  timeoutMs: number,
  where: string,
  mapError: (err: NodeJS.ErrnoException) => Error,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener(readyEvent, onReady);
      socket.removeListener("error", onError);
      socket.removeListener("close", onClose);
    };
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: NodeJS.ErrnoException): void => fail(mapError(err));
    const onClose = (): void => fail(new TransportError(`${where} closed the connection while it was being set up`));
    const timer = setTimeout(() => fail(new TransportError(`timed out after ${timeoutMs} ms connecting to ${where}`)), timeoutMs);
    socket.once(readyEvent, onReady);
    socket.once("error", onError);
    socket.once("close", onClose);
  });
}

/** Explains a failed TCP connection (shared with TLS, whose first step is the same). */
export function tcpConnectError(err: NodeJS.ErrnoException, where: string, uri: string, listenHint: string): Error {
  switch (err.code) {
    case "ECONNREFUSED":
      return new DaemonUnavailableError(`no libvirt daemon listens on ${where} (${uri}): ${listenHint}`, { cause: err });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new TransportError(`cannot resolve the host of ${where} (${uri}): ${err.message}`, { cause: err });
    default:
      return new TransportError(`cannot connect to ${where} (${uri}): ${err.message}`, { cause: err });
  }
}

/**
 * Plain TCP to libvirtd's `listen_tcp` port (16509). Nothing is encrypted; daemons normally require SASL here.
 * Resolves once connected, with Nagle's algorithm off (RPC calls are small and latency-bound).
 */
export async function dialTcp(target: TcpTarget, timeoutMs: number): Promise<Transport> {
  const where = `${formatHostPort(target.host, target.port)}`;
  const socket = connect({ host: target.host, port: target.port });
  await awaitConnect(socket, "connect", timeoutMs, where, (err) =>
    tcpConnectError(
      err,
      where,
      target.uri,
      "enable listen_tcp in libvirtd.conf and start libvirtd with --listen (or the libvirtd-tcp.socket / virtproxyd-tcp.socket unit)",
    ),
  );
  socket.setNoDelay(true);
  return { stream: socket, description: `tcp ${where}`, diagnostics: () => "" };
}

/** `host:port`, with an IPv6 address in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
