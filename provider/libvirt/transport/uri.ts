import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { UriError } from "../errors";
import { buildSshCommand, type SshProxy } from "./ssh";
import { tlsCredentialPaths } from "./tls";
import { DEFAULT_LIMITS, type Limits, type Target } from "./types";
import { localSocketPath, type SocketMode } from "./unix";

/**
 * The facts about the calling process that decide where a URI leads. Every field defaults to the real process
 * (`geteuid()`, `$XDG_RUNTIME_DIR`, the home directory, `fs.existsSync`); tests inject them.
 */
export interface UriEnv {
  /** Effective uid: 0 selects the system sockets and the system PKI paths. */
  uid?: number;
  /** `$XDG_RUNTIME_DIR`; the per-user daemon's socket lives in `<it>/libvirt/`. */
  xdgRuntimeDir?: string;
  /** Home directory, for `~/.pki/libvirt/` and the `~/.cache/libvirt/` fallback. */
  home?: string;
  /** Whether a file or socket exists (mode=auto socket choice, per-user TLS files). */
  exists?: (path: string) => boolean;
}

/** `parseUri` options: the environment plus what the caller asks of the connection. */
export interface ParseOptions extends UriEnv {
  /** Open read-only (`VIR_CONNECT_RO`): selects the `-ro` sockets and `virt-ssh-helper -r`. Default false. */
  readOnly?: boolean;
}

/** TCP ports libvirtd listens on (`listen_tcp`, `listen_tls`). */
export const DEFAULT_TCP_PORT = 16509;
export const DEFAULT_TLS_PORT = 16514;

/**
 * Parameters that configure the transport and never reach the daemon. libvirt 9.0's remote driver consumes
 * exactly these (names compared case-insensitively); every other parameter is kept in the driver URI sent in
 * CONNECT_OPEN (`qemu+ssh://h/system?foo=bar` opens `qemu:///system?foo=bar`, checked against virsh).
 */
const TRANSPORT_PARAMS = new Set([
  "name",
  "command",
  "socket",
  "auth",
  "sshauth",
  "netcat",
  "keyfile",
  "pkipath",
  "known_hosts",
  "known_hosts_verify",
  "tls_priority",
  "mode",
  "proxy",
  "no_sanity",
  "no_verify",
  "no_tty",
  // Ours, not libvirt's (libvirt sets these in libvirt.conf): bounds on connecting and on a silent peer.
  "connect_timeout",
  "keepalive_interval",
  "keepalive_count",
]);

interface Param {
  name: string;
  value: string;
}

/** A URI cut into its parts, each percent-decoded. */
interface UriParts {
  driver: string;
  transport: string | undefined;
  user: string | undefined;
  host: string | undefined;
  port: number | undefined;
  path: string;
  params: Param[];
}

// scheme ":" ["//" authority] path ["?" query] ["#" fragment], as RFC 3986 appendix B, with libvirt's scheme.
const URI_RE = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;

/**
 * Reads a libvirt connection URI — `driver[+transport]://[user@][host][:port]/path[?params]` — into the
 * {@link Target} that `dial` connects to. This is the only place URIs are interpreted.
 *
 * - No transport and no host: the local unix socket; a host and no transport: TLS. `test:///default` is the
 *   daemon's test driver reached over the local socket (no driver ever runs in-process).
 * - Transports: `unix`, `tcp` (port 16509), `tls` (16514), `ssh` (libvirt 9.0's exact `ssh` command line),
 *   `ext` (`command=` required). `libssh`/`libssh2` are refused: use `+ssh`.
 * - `openUri` is the driver URI (`qemu+ssh://h/system` → `qemu:///system`) keeping non-transport parameters;
 *   `name=` replaces it.
 * - `known_hosts=`, `known_hosts_verify=` and `sshauth=` belong to libssh; with `+ssh` they are accepted and
 *   ignored (OpenSSH uses its own known_hosts and agent). `auth=` (SASL mechanism choice) and `tls_priority=`
 *   (a GnuTLS string Node cannot use) are accepted and ignored too.
 *
 * @throws UriError when the URI is malformed, names an unsupported transport, or carries a host, user,
 *   socket or name that could be mistaken for a command-line option.
 */
export function parseUri(uri: string, options: ParseOptions = {}): Target {
  const parts = splitUri(uri);
  const env = resolveEnv(options);
  const readOnly = options.readOnly === true;
  const param = paramLookup(parts.params, uri);

  const name = param.get("name");
  if (name === "") throw new UriError(`${uri}: name= is empty; give the driver URI to open, e.g. name=qemu:///system`);
  if (name !== undefined) rejectOptionLike(name, "name=", uri);
  const openUri = name ?? formatDriverUri(parts);

  const mode = parseMode(param.get("mode"), uri);
  const proxy = parseProxy(param.get("proxy"), uri);
  const noVerify = param.bool("no_verify");
  const noTty = param.bool("no_tty");
  const socket = param.get("socket");
  if (socket !== undefined) {
    if (socket === "") throw new UriError(`${uri}: socket= is empty`);
    rejectOptionLike(socket, "socket=", uri);
  }
  const command = param.get("command");
  if (command === "") throw new UriError(`${uri}: command= is empty`);

  const limits = parseLimits(param, uri);
  const base = { uri, openUri, readOnly, ...(limits !== undefined ? { limits } : {}) };
  const transport = parts.transport ?? (parts.host === undefined ? "unix" : "tls");
  switch (transport) {
    case "unix": {
      if (parts.host !== undefined) {
        throw new UriError(`${uri}: the unix transport reaches this machine only and takes no host; use +ssh or +tls for ${parts.host}`);
      }
      const socketPath = socket ?? localSocketPath({ driver: parts.driver, path: parts.path, readOnly, mode, ...env });
      return { ...base, transport: "unix", socketPath };
    }
    case "tcp":
      return { ...base, transport: "tcp", host: parts.host ?? "localhost", port: parts.port ?? DEFAULT_TCP_PORT };
    case "tls": {
      const paths = tlsCredentialPaths({ pkipath: nonEmpty(param.get("pkipath"), "pkipath=", uri), ...env });
      return {
        ...base,
        transport: "tls",
        host: parts.host ?? "localhost",
        port: parts.port ?? DEFAULT_TLS_PORT,
        verify: !noVerify,
        ...paths,
      };
    }
    case "ssh": {
      if (mode === "direct") throw new UriError(`${uri}: mode=direct cannot be used with the ssh transport (libvirt refuses it too)`);
      const host = parts.host ?? "localhost";
      const built = buildSshCommand({
        host,
        port: parts.port,
        user: parts.user,
        keyfile: nonEmpty(param.get("keyfile"), "keyfile=", uri),
        command,
        noTty,
        noVerify,
        proxy,
        netcat: nonEmpty(param.get("netcat"), "netcat=", uri),
        socket,
        readOnly,
        driverUri: openUri,
        connectTimeoutSec: Math.ceil((limits?.connectTimeoutMs ?? DEFAULT_LIMITS.connectTimeoutMs) / 1000),
      });
      return { ...base, transport: "ssh", host, ...built };
    }
    case "ext":
      if (command === undefined) throw new UriError(`${uri}: the ext transport needs command=PROGRAM (run with no arguments, RPC on its stdio)`);
      return { ...base, transport: "ext", command, args: [] };
    case "libssh":
    case "libssh2":
      throw new UriError(
        `${uri}: the ${transport} transport (libvirt's in-process SSH) is not supported; use +ssh, which runs the system ssh the same way libvirt does`,
      );
    default:
      throw new UriError(`${uri}: unknown transport "${transport}"; use unix, tcp, tls, ssh or ext`);
  }
}

/**
 * `connect_timeout=SECONDS` (reaching the daemon and finishing the handshake, every transport; ssh also gets it
 * as `-o ConnectTimeout`), `keepalive_interval=SECONDS` and `keepalive_count=N` (after `interval` s without a
 * byte from the daemon we send a keepalive PING; after `interval × (count + 1)` s of silence the peer counts as
 * dead and every pending call fails). Undefined when the URI sets none of them.
 */
function parseLimits(param: { get(name: string): string | undefined }, uri: string): Limits | undefined {
  const out: Limits = {};
  const num = (name: string, min: number, max: number): number | undefined => {
    const v = param.get(name);
    if (v === undefined) return undefined;
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new UriError(`${uri}: ${name}=${v} is not a number from ${min} to ${max}`);
    return n;
  };
  const connect = num("connect_timeout", 0.1, 86400);
  const interval = num("keepalive_interval", 0.1, 3600);
  const count = num("keepalive_count", 1, 100);
  if (connect !== undefined) out.connectTimeoutMs = Math.round(connect * 1000);
  if (interval !== undefined) out.keepaliveIntervalMs = Math.round(interval * 1000);
  if (count !== undefined) out.keepaliveCount = Math.round(count);
  return Object.keys(out).length > 0 ? out : undefined;
}

function resolveEnv(options: UriEnv): Required<UriEnv> {
  const xdg = options.xdgRuntimeDir ?? process.env.XDG_RUNTIME_DIR;
  return {
    // Like libvirt, the effective uid decides; where there is none (Windows) nothing is "root".
    uid: options.uid ?? (typeof process.geteuid === "function" ? process.geteuid() : -1),
    xdgRuntimeDir: xdg ?? "",
    home: options.home ?? homedir(),
    exists: options.exists ?? existsSync,
  };
}

/** Cuts the URI into parts and percent-decodes them; the authority is `[userinfo@]host[:port]`. */
function splitUri(uri: string): UriParts {
  const m = URI_RE.exec(uri);
  if (m === null) throw new UriError(`"${uri}" is not a libvirt URI (driver[+transport]://[user@][host][:port]/path[?params])`);
  const scheme = m[1]!;
  const authority = m[2] ?? "";
  const rawPath = m[3] ?? "";
  const plus = scheme.indexOf("+");
  const driver = plus < 0 ? scheme : scheme.slice(0, plus);
  const transport = plus < 0 ? undefined : scheme.slice(plus + 1).toLowerCase();
  if (driver === "") throw new UriError(`${uri}: no driver before "+"`);

  // userinfo ends at the last "@": a user name may hold "@" only percent-encoded, a host never holds one.
  const at = authority.lastIndexOf("@");
  const user = at < 0 ? undefined : decode(authority.slice(0, at), "user", uri);
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  let rawHost: string;
  let rawPort: string | undefined;
  if (hostPort.startsWith("[")) {
    const close = hostPort.indexOf("]");
    if (close < 0) throw new UriError(`${uri}: unterminated IPv6 address "${hostPort}"`);
    rawHost = hostPort.slice(1, close);
    const rest = hostPort.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new UriError(`${uri}: unexpected "${rest}" after the IPv6 address`);
    rawPort = rest === "" ? undefined : rest.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(":");
    rawHost = colon < 0 ? hostPort : hostPort.slice(0, colon);
    rawPort = colon < 0 ? undefined : hostPort.slice(colon + 1);
  }
  const host = rawHost === "" ? undefined : decode(rawHost, "host", uri);
  if (host !== undefined) {
    // The host ends up as an argv element (ssh) or a DNS name; one that reads as an option is refused outright.
    rejectOptionLike(host, "host", uri);
    if (/[\s/\\]/.test(host)) throw new UriError(`${uri}: host "${host}" contains whitespace or a slash`);
  }
  if (user !== undefined) rejectOptionLike(user, "user", uri);

  return {
    driver,
    transport,
    user: user === "" ? undefined : user,
    host,
    port: parsePort(rawPort, uri),
    path: decode(rawPath, "path", uri),
    params: parseParams(m[4], uri),
  };
}

function parsePort(raw: string | undefined, uri: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UriError(`${uri}: port "${raw}" is not a number from 1 to 65535`);
  return port;
}

/**
 * Query parameters the way libvirt's `virURIParseParams` reads them: pairs end at the next `&`, or, when there
 * is none left, at the next `;`; `name` alone means an empty value; names and values are percent-decoded
 * (`+` stays `+`).
 */
function parseParams(query: string | undefined, uri: string): Param[] {
  const params: Param[] = [];
  let rest = query ?? "";
  while (rest !== "") {
    let end = rest.indexOf("&");
    if (end < 0) end = rest.indexOf(";");
    if (end < 0) end = rest.length;
    const pair = rest.slice(0, end);
    rest = rest.slice(end + 1);
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decode(eq < 0 ? pair : pair.slice(0, eq), "parameter name", uri);
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1), `parameter ${name}`, uri);
    params.push({ name, value });
  }
  return params;
}

/** Transport parameters by name (last one wins, as in libvirt's loop), with libvirt's integer booleans. */
function paramLookup(params: Param[], uri: string): { get(name: string): string | undefined; bool(name: string): boolean } {
  const byName = new Map<string, string>();
  for (const p of params) {
    const key = p.name.toLowerCase();
    if (TRANSPORT_PARAMS.has(key)) byName.set(key, p.value);
  }
  return {
    get: (name) => byName.get(name),
    bool: (name) => {
      const v = byName.get(name);
      if (v === undefined) return false;
      // virStrToLong_i: any base-10 integer, non-zero is true; "yes" is an error.
      if (!/^[+-]?\d+$/.test(v)) throw new UriError(`${uri}: ${name}=${v} is not 0 or 1`);
      return Number(v) !== 0;
    },
  };
}

function parseMode(value: string | undefined, uri: string): SocketMode {
  if (value === undefined || value === "auto") return "auto";
  if (value === "legacy" || value === "direct") return value;
  throw new UriError(`${uri}: mode=${value} is not auto, legacy or direct`);
}

function parseProxy(value: string | undefined, uri: string): SshProxy {
  if (value === undefined || value === "auto") return "auto";
  if (value === "netcat" || value === "native") return value;
  throw new UriError(`${uri}: proxy=${value} is not auto, netcat or native`);
}

/**
 * The URI the daemon opens: the driver with no transport, user, host or port, the path as written, and the
 * parameters that are not the transport's (re-encoded, as libvirt's `virURIFormatParams` does).
 */
function formatDriverUri(parts: UriParts): string {
  const kept = parts.params.filter((p) => !TRANSPORT_PARAMS.has(p.name.toLowerCase()));
  const query = kept.map((p) => `${encodeParam(p.name)}=${encodeParam(p.value)}`).join("&");
  const path = parts.path.split("/").map(encodePathSegment).join("/");
  return `${parts.driver}://${path}${query === "" ? "" : `?${query}`}`;
}

/** Percent-encodes all but RFC 3986's unreserved characters. */
function encodeParam(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function encodePathSegment(s: string): string {
  return encodeURIComponent(s).replace(/%(3A|40|2C|3B|3D|2B|24|26)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decode(raw: string, what: string, uri: string): string {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    throw new UriError(`${uri}: the ${what} "${raw}" has a malformed %-escape`);
  }
  // A NUL cannot be passed in argv or a socket path, and control characters in these values are never meant.
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new UriError(`${uri}: the ${what} contains control characters`);
  return s;
}

function rejectOptionLike(value: string, what: string, uri: string): void {
  if (value.startsWith("-")) {
    throw new UriError(`${uri}: the ${what} "${value}" starts with "-" and would be read as a command-line option`);
  }
}

function nonEmpty(value: string | undefined, what: string, uri: string): string | undefined {
  if (value === "") throw new UriError(`${uri}: ${what} is empty`);
  return value;
}
