import { Libvirt, parseUri } from "../libvirt";
import type { ConnectionInput } from "./shapes";

let configuredUri: string | undefined;

/** Records the stack config `virt:uri` (the dynamic provider's `configure` hands it over). */
export function setConfiguredUri(uri: string | undefined): void {
  configuredUri = uri !== undefined && uri !== "" ? uri : undefined;
}

/**
 * The URI a resource uses: its `connection.uri`, else stack config `virt:uri`, else `LIBVIRT_DEFAULT_URI`, else
 * `qemu:///system` as root or `qemu:///session` otherwise (libvirt's own default order).
 */
export function resolveUri(input: ConnectionInput | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (input?.uri !== undefined && input.uri !== "") return input.uri;
  if (configuredUri !== undefined) return configuredUri;
  const fromEnv = env["LIBVIRT_DEFAULT_URI"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return typeof process.getuid === "function" && process.getuid() === 0 ? "qemu:///system" : "qemu:///session";
}

/** Hypervisor drivers libvirtd serves (the part of a URI before `+` or `:`). */
const DRIVERS = ["qemu", "xen", "lxc", "test", "vbox", "bhyve", "ch", "openvz", "vz", "parallels", "vmwareplayer", "vmwarews", "vmwarefusion"];

/**
 * Why `uri` cannot be connected to, judged without any host (syntax, transport, driver), or undefined: what
 * preview can refuse before anything runs.
 */
export function uriProblem(uri: string): string | undefined {
  try {
    parseUri(uri);
  } catch (e) {
    return (e as Error).message;
  }
  const driver = /^([A-Za-z0-9_-]+)[+:]/.exec(uri)?.[1]?.toLowerCase();
  if (driver === undefined || !DRIVERS.includes(driver)) {
    return `${uri}: unknown driver "${driver ?? ""}"; libvirt's are ${DRIVERS.join(", ")} (e.g. qemu:///system, qemu+ssh://root@host/system, xen:///system)`;
  }
  return undefined;
}

const cache = new Map<string, Promise<Libvirt>>();

/**
 * One connection per URI per process, opened on first use and reused by every resource (calls to one host run
 * concurrently on it). A connection that failed to open is forgotten so the next use tries again.
 */
/** The URI an object in the state lives on: the `uri` recorded at create, else its `connection` resolved now. */
export function stateUri(state: Record<string, unknown>): string {
  return typeof state["uri"] === "string" ? (state["uri"] as string) : resolveUri(state["connection"] as ConnectionInput | undefined);
}

/**
 * Runs a lookup (a function users call in a program: getDomainStats, getHostInterfaces) on a connection of its
 * own, closed after, so the program still exits. The host: `connection.uri`, else `configuredUri` (the stack's
 * `virt:uri` as the SDK read it in the program), else LIBVIRT_DEFAULT_URI, else libvirt's default.
 */
export async function withLookupConnection<T>(
  connection: ConnectionInput | undefined,
  configuredUri: string | undefined,
  fn: (lv: Libvirt, uri: string) => Promise<T>,
): Promise<T> {
  const uri =
    connection?.uri !== undefined && connection.uri !== ""
      ? connection.uri
      : configuredUri !== undefined && configuredUri !== ""
        ? configuredUri
        : resolveUri(undefined);
  const lv = await Libvirt.connect(uri);
  try {
    return await fn(lv, uri);
  } finally {
    await lv.close().catch(() => undefined);
  }
}

export function connect(uri: string): Promise<Libvirt> {
  let p = cache.get(uri);
  if (p === undefined) {
    p = Libvirt.connect(uri);
    cache.set(uri, p);
    p.catch(() => cache.delete(uri));
  }
  return p;
}

/** Closes every cached connection (tests, and the end of a CLI run). */
export async function closeAll(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map((p) => p.then((lv) => lv.close()).catch(() => undefined)));
}
