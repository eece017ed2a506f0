/**
 * The one error hierarchy of the libvirt client. Every error has a stable `code` string (checked by callers
 * and tests; messages may change). Classify with `instanceof` or the helpers below — never by message text.
 */

/** libvirt's `virErrorNumber` values that the client classifies (see libvirt-protocol.md §11). */
export const ErrorNumber = {
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  OPERATION_DENIED: 29,
  XML_DETAIL: 35,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  NO_NETWORK: 43,
  NO_STORAGE_POOL: 49,
  NO_INTERFACE: 57,
  NO_STORAGE_VOL: 50,
  OPERATION_INVALID: 55,
  CONFIG_UNSUPPORTED: 67,
  NO_DOMAIN_SNAPSHOT: 72,
  ARGUMENT_UNSUPPORTED: 74,
  AUTH_FAILED: 45,
  AGENT_UNRESPONSIVE: 86,
  STORAGE_VOL_EXIST: 90,
  XML_INVALID_SCHEMA: 92,
} as const;

/** The `remote_error` structure a daemon sends with a failed reply or stream. */
export interface RemoteErrorFields {
  code: number;
  domain: number;
  message: string | null;
  level: number;
  str1: string | null;
  str2: string | null;
  str3: string | null;
  int1: number;
  int2: number;
}

/** Base class: everything the client throws on purpose is a `VirtError`. */
export class VirtError extends Error {
  readonly code: string = "VIRT_ERR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The daemon answered a call with an error. Carries the whole `remote_error`. */
export class LibvirtError extends VirtError {
  override readonly code: string = "VIRT_ERR_LIBVIRT";
  /** The libvirt error number (`virErrorNumber`, e.g. 42 VIR_ERR_NO_DOMAIN). */
  readonly libvirtCode: number;
  /** The libvirt error domain (`virErrorDomain`, e.g. 10 VIR_FROM_QEMU). */
  readonly libvirtDomain: number;
  readonly level: number;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;
  /** The procedure that failed, e.g. `DOMAIN_LOOKUP_BY_NAME`. */
  readonly procedure: string | undefined;

  constructor(remote: RemoteErrorFields, procedure?: string) {
    super(remote.message ?? `libvirt error ${remote.code}${procedure ? ` in ${procedure}` : ""}`);
    this.libvirtCode = remote.code;
    this.libvirtDomain = remote.domain;
    this.level = remote.level;
    this.str1 = remote.str1;
    this.str2 = remote.str2;
    this.str3 = remote.str3;
    this.int1 = remote.int1;
    this.int2 = remote.int2;
    this.procedure = procedure;
  }
}

/** No domain, network, storage pool or volume of that name, UUID, key or path (codes 42, 43, 49, 50). */
export class NotFoundError extends LibvirtError {
  override readonly code = "VIRT_ERR_NOT_FOUND";
}

/** The object is not in a state that allows the operation (55 VIR_ERR_OPERATION_INVALID). */
export class OperationInvalidError extends LibvirtError {
  override readonly code = "VIRT_ERR_OPERATION_INVALID";
}

/** An argument or flag was refused (8 VIR_ERR_INVALID_ARG). */
export class InvalidArgumentError extends LibvirtError {
  override readonly code = "VIRT_ERR_INVALID_ARG";
}

/** The driver does not support this (3 NO_SUPPORT, 67 CONFIG_UNSUPPORTED, 74 ARGUMENT_UNSUPPORTED). */
export class NotSupportedError extends LibvirtError {
  override readonly code = "VIRT_ERR_NOT_SUPPORTED";
}

/** The daemon does not know the procedure: it is older than the call (39 "unknown procedure"). */
export class UnknownProcedureError extends LibvirtError {
  override readonly code = "VIRT_ERR_UNKNOWN_PROCEDURE";
}

/** The connection is read-only or access was denied (29 VIR_ERR_OPERATION_DENIED). */
export class AccessDeniedError extends LibvirtError {
  override readonly code = "VIRT_ERR_ACCESS_DENIED";
}

/** An object of that name already exists (90 STORAGE_VOL_EXIST; 9 with "already exists" is not classified). */
export class AlreadyExistsError extends LibvirtError {
  override readonly code = "VIRT_ERR_ALREADY_EXISTS";
}

/** The bytes on the wire broke the protocol: bad length, undecodable payload, unexpected packet. */
export class ProtocolError extends VirtError {
  override readonly code = "VIRT_ERR_PROTOCOL";
}

/** The transport could not be set up or failed (socket, TLS, ssh). `stderr` holds what ssh printed. */
export class TransportError extends VirtError {
  override readonly code: string = "VIRT_ERR_TRANSPORT";
  readonly stderr: string | undefined;
  constructor(message: string, options?: { cause?: unknown; stderr?: string }) {
    super(message, options);
    this.stderr = options?.stderr;
  }
}

/** No daemon listens where the URI points (socket missing, connection refused). */
export class DaemonUnavailableError extends TransportError {
  override readonly code = "VIRT_ERR_DAEMON_UNAVAILABLE";
}

/** The connection closed (or was closed) while the call was pending, or before it could be sent. */
export class ConnectionClosedError extends VirtError {
  override readonly code = "VIRT_ERR_CONNECTION_CLOSED";
}

/** The daemon asks for an authentication method this client does not implement (SASL), or auth failed. */
export class AuthError extends VirtError {
  override readonly code = "VIRT_ERR_AUTH";
}

/** A URI could not be understood. Raised before anything is dialled. */
export class UriError extends VirtError {
  override readonly code = "VIRT_ERR_URI";
}

/** An operation did not finish in time (e.g. waiting for a device to be removed). */
export class TimeoutError extends VirtError {
  override readonly code = "VIRT_ERR_TIMEOUT";
}

const NOT_FOUND = new Set<number>([
  ErrorNumber.NO_DOMAIN,
  ErrorNumber.NO_NETWORK,
  ErrorNumber.NO_STORAGE_POOL,
  ErrorNumber.NO_STORAGE_VOL,
  ErrorNumber.NO_DOMAIN_SNAPSHOT,
]);

/** Builds the typed error for a `remote_error`, classified by its libvirt error number. */
export function errorFromRemote(remote: RemoteErrorFields, procedure?: string): LibvirtError {
  const c = remote.code;
  if (NOT_FOUND.has(c)) return new NotFoundError(remote, procedure);
  switch (c) {
    case ErrorNumber.OPERATION_INVALID:
      return new OperationInvalidError(remote, procedure);
    case ErrorNumber.INVALID_ARG:
      return new InvalidArgumentError(remote, procedure);
    case ErrorNumber.NO_SUPPORT:
    case ErrorNumber.CONFIG_UNSUPPORTED:
    case ErrorNumber.ARGUMENT_UNSUPPORTED:
      return new NotSupportedError(remote, procedure);
    case ErrorNumber.OPERATION_DENIED:
      return new AccessDeniedError(remote, procedure);
    case ErrorNumber.STORAGE_VOL_EXIST:
      return new AlreadyExistsError(remote, procedure);
    case ErrorNumber.RPC:
      // 39 covers both "unknown procedure: N" and undecodable arguments; only the first means "too old".
      if (remote.message !== null && remote.message.startsWith("unknown procedure")) {
        return new UnknownProcedureError(remote, procedure);
      }
      return new LibvirtError(remote, procedure);
    default:
      return new LibvirtError(remote, procedure);
  }
}

/**
 * True only for libvirt's own not-found codes (no domain, network, pool, volume, domain snapshot). Anything else — a dropped
 * connection, a permission problem — is not evidence that the object is gone.
 */
export function isNotFound(err: unknown): boolean {
  return err instanceof LibvirtError && NOT_FOUND.has(err.libvirtCode);
}

/** True when the daemon rejected the procedure as unknown (use the older call instead). */
export function isUnknownProcedure(err: unknown): boolean {
  return err instanceof UnknownProcedureError;
}

/** Arguments of a call could not be encoded (a value out of range, a string too long). Nothing was sent. */
export class ArgumentError extends VirtError {
  override readonly code = "VIRT_ERR_ARGUMENT";
}
