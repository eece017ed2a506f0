import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { connect, type TLSSocket } from "node:tls";
import { TransportError } from "../errors";
import { awaitConnect, formatHostPort, tcpConnectError } from "./tcp";
import type { TlsTarget, Transport } from "./types";

/** The credential files of a TLS client. */
export interface TlsPaths {
  caFile: string;
  certFile: string;
  keyFile: string;
  crlFile: string;
}

/** libvirt's system-wide client credentials (`virnettlsconfig.c`). */
export const SYSTEM_PKI: TlsPaths = {
  caFile: "/etc/pki/CA/cacert.pem",
  certFile: "/etc/pki/libvirt/clientcert.pem",
  keyFile: "/etc/pki/libvirt/private/clientkey.pem",
  crlFile: "/etc/pki/CA/cacrl.pem",
};

/**
 * Where the client's CA, certificate, key and CRL are read from, as libvirt 9.0 decides:
 * `pkipath=DIR` → `DIR/{cacert,clientcert,clientkey,cacrl}.pem`; root → the system paths ({@link SYSTEM_PKI});
 * anyone else → each of `~/.pki/libvirt/{cacert,clientcert,clientkey,cacrl}.pem` that exists, the system path
 * for the others (the choice is made file by file, as libvirt does).
 */
export function tlsCredentialPaths(input: { pkipath: string | undefined; uid: number; home: string; exists: (path: string) => boolean }): TlsPaths {
  if (input.pkipath !== undefined) {
    const dir = input.pkipath.replace(/\/+$/, "") || "/";
    const file = (name: string): string => (dir === "/" ? `/${name}` : `${dir}/${name}`);
    return {
      caFile: file("cacert.pem"),
      certFile: file("clientcert.pem"),
      keyFile: file("clientkey.pem"),
      crlFile: file("cacrl.pem"),
    };
  }
  if (input.uid === 0) return { ...SYSTEM_PKI };
  const user = `${input.home}/.pki/libvirt`;
  const prefer = (name: string, fallback: string): string => {
    const path = `${user}/${name}`;
    return input.exists(path) ? path : fallback;
  };
  return {
    caFile: prefer("cacert.pem", SYSTEM_PKI.caFile),
    certFile: prefer("clientcert.pem", SYSTEM_PKI.certFile),
    keyFile: prefer("clientkey.pem", SYSTEM_PKI.keyFile),
    crlFile: prefer("cacrl.pem", SYSTEM_PKI.crlFile),
  };
}

/**
 * TLS to libvirtd's `listen_tls` port (16514) with a client certificate.
 *
 * Wire facts (libvirt `virnetclient.c`, doc §8.4): after the TLS handshake the server checks our certificate and
 * address, then sends exactly one byte inside TLS: `0x01` means accepted. Anything else, or EOF, means it
 * refused us. We read that byte before resolving, so the first bytes the caller reads are RPC; bytes the server
 * sent after it stay buffered in the socket.
 *
 * The CA file is needed only when verifying (`no_verify=1` turns verification off); the certificate and key are
 * always needed. The CRL is used when its file exists.
 */
export async function dialTls(target: TlsTarget, timeoutMs: number): Promise<Transport> {
  const deadline = Date.now() + timeoutMs;
  const where = formatHostPort(target.host, target.port);
  const cert = readCredential(target, "client certificate", target.certFile);
  const key = readCredential(target, "client key", target.keyFile);
  const ca = target.verify ? readCredential(target, "CA certificate", target.caFile) : undefined;
  const crl = target.crlFile === undefined ? undefined : readOptional(target.crlFile);

  const socket = connect({
    host: target.host,
    port: target.port,
    cert,
    key,
    ...(ca === undefined ? {} : { ca }),
    ...(crl === undefined ? {} : { crl }),
    rejectUnauthorized: target.verify,
    // SNI carries names only; for an IP address Node checks the certificate's IP SANs against `host`.
    ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
  });
  await awaitConnect(socket, "secureConnect", timeoutMs, `tls ${where}`, (err) => tlsError(err, target, where));
  socket.setNoDelay(true);
  await readConfirmation(socket, Math.max(1, deadline - Date.now()), target, where);
  return { stream: socket, description: `tls ${where}`, diagnostics: () => "" };
}

function readCredential(target: TlsTarget, what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const problem = err.code === "ENOENT" ? "is missing" : `cannot be read (${err.code ?? err.message})`;
    throw new TransportError(
      `TLS ${what} file ${path} ${problem} (${target.uri}): put it there, or pass pkipath=DIR naming a folder ` +
        "that holds cacert.pem, clientcert.pem and clientkey.pem",
      { cause: err },
    );
  }
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

// OpenSSL verification codes Node reports when the server's certificate or name does not check out.
const VERIFY_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function tlsError(err: NodeJS.ErrnoException, target: TlsTarget, where: string): Error {
  if (err.code !== undefined && VERIFY_CODES.has(err.code)) {
    return new TransportError(
      `the certificate of ${where} did not verify against ${target.caFile} (${target.uri}): ${err.message}; ` +
        "check the CA (pkipath=) and the host name, or pass no_verify=1 to skip the check",
      { cause: err },
    );
  }
  if (err.syscall === "connect" || err.syscall === "getaddrinfo") {
    return tcpConnectError(
      err,
      where,
      target.uri,
      "enable listen_tls in libvirtd.conf and start libvirtd with --listen (or the libvirtd-tls.socket / virtproxyd-tls.socket unit)",
    );
  }
  return new TransportError(`TLS handshake with ${where} failed (${target.uri}): ${err.message}`, { cause: err });
}

/** Reads the server's one-byte verdict on our certificate; rejects unless it is 0x01. */
function readConfirmation(socket: TLSSocket, timeoutMs: number, target: TlsTarget, where: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener("readable", onReadable);
      socket.removeListener("error", onError);
      socket.removeListener("end", onEnd);
      socket.removeListener("close", onEnd);
    };
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onReadable = (): void => {
      // read(1) takes one byte and leaves the rest buffered; once the 'readable' listener is removed the socket
      // returns to its initial mode, so the caller's 'data' handler gets every later byte.
      const byte = socket.read(1) as Buffer | null;
      if (byte === null) return;
      if (byte[0] === 1) {
        cleanup();
        resolve();
        return;
      }
      fail(
        new TransportError(
          `${where} (${target.uri}): the server rejected our certificate or address (confirmation byte ` +
            `0x${byte[0]!.toString(16).padStart(2, "0")}, expected 0x01); check tls_allowed_dn_list and the client certificate ${target.certFile}`,
        ),
      );
    };
    const onError = (err: Error): void =>
      fail(new TransportError(`${where} (${target.uri}): connection failed after the TLS handshake: ${err.message}`, { cause: err }));
    const onEnd = (): void =>
      fail(new TransportError(`${where} (${target.uri}): the server rejected our certificate or address (it closed the connection instead of confirming)`));
    const timer = setTimeout(() => fail(new TransportError(`${where} (${target.uri}): timed out waiting for the server to accept our certificate`)), timeoutMs);
    socket.on("readable", onReadable);
    socket.once("error", onError);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
  });
}
