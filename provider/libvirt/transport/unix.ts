import { connect } from "node:net";
import { basename, dirname, join } from "node:path";
import { DaemonUnavailableError, TransportError } from "../errors";
import { awaitConnect } from "./tcp";
import type { Transport, UnixTarget } from "./types";

/**
 * libvirt's `mode=` URI parameter: `legacy` is the monolithic libvirtd (`libvirt-sock`), `direct` the modular
 * per-driver daemon (`virtqemud-sock`), `auto` the direct socket when it exists, else the legacy one.
 */
export type SocketMode = "auto" | "legacy" | "direct";

/** Where the system daemons put their sockets (libvirt's `RUNSTATEDIR/libvirt`; `/var/run` links here). */
export const SYSTEM_SOCKET_DIR = "/run/libvirt";

/** What decides the local socket of a URI without `socket=`. */
export interface LocalSocketInput {
  /** The URI's driver (`qemu`, `xen`, `test`, `network`...). */
  driver: string;
  /** The URI's path (`/system`, `/session`, `/default`). */
  path: string;
  readOnly: boolean;
  mode: SocketMode;
  uid: number;
  /** `$XDG_RUNTIME_DIR`, or "" when unset. */
  xdgRuntimeDir: string;
  home: string;
  exists: (path: string) => boolean;
}

/**
 * The unix socket a local URI connects to, following libvirt 9.0's `remote_sockets.c`:
 * - as root, or for any URI but `…/session` and `test…`: the system daemon, in `/run/libvirt/`:
 *   `libvirt-sock` (legacy) or `virt<driver>d-sock` (direct), with `-ro` variants when read-only;
 * - for a non-root user, `…/session` and `test…` URIs: the per-user daemon, in `$XDG_RUNTIME_DIR/libvirt/`
 *   (or `~/.cache/libvirt/` when XDG_RUNTIME_DIR is unset). Per-user daemons have no read-only socket: the
 *   read-only flag then travels in CONNECT_OPEN only.
 * `mode=auto` takes the direct socket only if it exists.
 */
export function localSocketPath(input: LocalSocketInput): string {
  const daemon = `virt${daemonDriver(input.driver)}d`;
  const session = input.uid !== 0 && (input.path === "/session" || input.driver === "test");
  if (session) {
    const dir = input.xdgRuntimeDir !== "" ? join(input.xdgRuntimeDir, "libvirt") : join(input.home, ".cache", "libvirt");
    return pick(input, join(dir, `${daemon}-sock`), join(dir, "libvirt-sock"));
  }
  const suffix = input.readOnly ? "sock-ro" : "sock";
  return pick(input, `${SYSTEM_SOCKET_DIR}/${daemon}-${suffix}`, `${SYSTEM_SOCKET_DIR}/libvirt-${suffix}`);
}

function pick(input: LocalSocketInput, direct: string, legacy: string): string {
  switch (input.mode) {
    case "direct":
      return direct;
    case "legacy":
      return legacy;
    case "auto":
      return input.exists(direct) ? direct : legacy;
  }
}

/** The driver part of the modular daemon's name; `parallels` is the old name of the `vz` driver. */
function daemonDriver(driver: string): string {
  return driver === "parallels" ? "vz" : driver;
}

/**
 * Connects to a libvirt daemon's unix socket. A missing socket or a refused connection (nobody listening) is a
 * `DaemonUnavailableError` that says how to start the daemon; a permission problem is a `TransportError`.
 */
export async function dialUnix(target: UnixTarget, timeoutMs: number): Promise<Transport> {
  const path = target.socketPath;
  const socket = connect({ path });
  await awaitConnect(socket, "connect", timeoutMs, `unix socket ${path}`, (err) => unixConnectError(err, target));
  return { stream: socket, description: `unix socket ${path}`, diagnostics: () => "" };
}

function unixConnectError(err: NodeJS.ErrnoException, target: UnixTarget): Error {
  const path = target.socketPath;
  switch (err.code) {
    case "ENOENT":
    case "ECONNREFUSED":
      return new DaemonUnavailableError(
        `no libvirt daemon listens on ${path} (${target.uri}): ${startHint(path)}, or pass ?socket=PATH to use another socket`,
        { cause: err },
      );
    case "EACCES":
    case "EPERM":
      return new TransportError(
        `permission denied on ${path} (${target.uri}): run as root, as a member of the group that owns the socket ` +
          `(often "libvirt"), or open read-only, which uses the ${path.endsWith("-ro") ? "same" : "-ro"} socket`,
        { cause: err },
      );
    default:
      return new TransportError(`cannot connect to ${path} (${target.uri}): ${err.message}`, { cause: err });
  }
}

/** How to start the daemon that serves `path`, judged by its name and folder. */
function startHint(path: string): string {
  const m = /^(libvirt|virt[a-z0-9]+d)-sock(-ro)?$/.exec(basename(path));
  if (m === null) return "start libvirtd with `libvirtd -d` (or `systemctl start libvirtd`) listening on that socket";
  const daemon = m[1] === "libvirt" ? "libvirtd" : m[1]!;
  const system = dirname(path) === SYSTEM_SOCKET_DIR || dirname(path) === "/var/run/libvirt";
  if (!system) {
    // libvirt's own client autostarts per-user daemons; we do not spawn daemons behind the caller's back.
    return `start the per-user daemon as this user with \`${daemon} -d\``;
  }
  const unit = daemon === "libvirtd" ? "libvirtd" : `${daemon}.socket`;
  return `start it with \`${daemon} -d\` (or \`systemctl start ${unit}\`)`;
}
