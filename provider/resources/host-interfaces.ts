/**
 * The host's network interfaces and bridges as libvirt reports them (virConnectListAllInterfaces and
 * virInterfaceGetXMLDesc): the lookup behind the SDK's `getHostInterfaces`, and the check that a Network in
 * mode "bridge" names a bridge the host has.
 *
 * What Debian 12's libvirt (9.0, the udev interface backend) reports, measured on the daemon:
 * - every network device of libvirtd's network namespace except bridge ports and tap devices (so guests' `vnetN`
 *   taps and the ports of a bridge are not listed on their own; they are found by name, and ports show under
 *   their bridge);
 * - name, MAC (for a bridge the list's MAC, the bridge's own address), MTU, type `ethernet`, `bridge`, `bond` or
 *   `vlan`, the link state and speed of non-bridge devices;
 * - active = the kernel's operstate is `up`: `lo` (operstate `unknown`) and a bridge with no running port are
 *   inactive;
 * - a bridge's ports, except those named `vnet<digit>…` (libvirt's guest taps), and its STP setting;
 * - **no IP addresses** (the udev backend never fills `<protocol>`; the netcf backend of other distributions does).
 * Defining, changing, starting or stopping interfaces is "not supported" by the udev backend: make bridges on
 * the host (README "Host bridges").
 */
import { ErrorNumber, InterfaceRef, LibvirtError, Libvirt, NotSupportedError } from "../libvirt";
import { HostInterfaceAddress, HostInterfaceXml, parseInterfaceXml } from "../xml";
import { connect, withLookupConnection } from "./connections";
import type { ConnectionInput } from "./shapes";
export type { HostInterfaceAddress } from "../xml";

/** A port of a bridge or bond, as libvirt describes it. */
export interface HostInterfacePort {
  name: string;
  /** `ethernet`, `bridge`, `bond`, `vlan`. */
  type: string;
  /** Lower-case MAC address. */
  mac?: string;
  /** MTU in bytes. */
  mtu?: number;
  /** The kernel's operstate: `up`, `down`, `unknown`, ... */
  linkState?: string;
  /** Link speed in Mbit/s, when the driver knows it. */
  linkSpeed?: number;
}

/** One interface of the host. */
export interface HostInterface extends HostInterfacePort {
  /** Lower-case MAC address (always set: from libvirt's interface list). */
  mac: string;
  /** libvirt's active flag; on the udev backend: the kernel's operstate is `up`. */
  active: boolean;
  /** Addresses where the backend reports them (netcf); always empty on the udev backend (Debian, Ubuntu). */
  addresses: HostInterfaceAddress[];
  /** For a bridge or bond: its ports (a bridge's list leaves out guests' `vnetN` taps). */
  ports?: HostInterfacePort[];
  /** For a bridge: whether spanning tree is on. */
  stp?: boolean;
  /** For a VLAN device: the tag and the parent device. */
  vlan?: { tag?: number; parent?: string };
}

/** What `getHostInterfaces` returns. */
export interface HostInterfaces {
  /** The URI that was asked. */
  uri: string;
  /** Every interface libvirt lists, sorted by name. */
  interfaces: HostInterface[];
  /** The bridges among them (type `bridge`), sorted by name. */
  bridges: HostInterface[];
}

const isNoInterface = (e: unknown): boolean => e instanceof LibvirtError && e.libvirtCode === ErrorNumber.NO_INTERFACE;

function port(x: HostInterfaceXml): HostInterfacePort {
  return {
    name: x.name,
    type: x.type,
    ...(x.mac !== undefined ? { mac: x.mac } : {}),
    ...(x.mtu !== undefined ? { mtu: x.mtu } : {}),
    ...(x.linkState !== undefined ? { linkState: x.linkState } : {}),
    ...(x.linkSpeed !== undefined ? { linkSpeed: x.linkSpeed } : {}),
  };
}

/** One interface from its list entry and its XML (pure). */
export function hostInterface(ref: InterfaceRef, active: boolean, x: HostInterfaceXml): HostInterface {
  const ports = x.bridge?.ports ?? x.bond?.ports;
  return {
    ...port(x),
    mac: ref.mac.toLowerCase(),
    active,
    addresses: x.addresses,
    ...(ports !== undefined ? { ports: ports.map(port) } : {}),
    ...(x.bridge?.stp !== undefined ? { stp: x.bridge.stp } : {}),
    ...(x.vlan !== undefined ? { vlan: x.vlan } : {}),
  };
}

/** The described interface behind a ref, or null when it went away between the list and the lookup. */
async function describe(lv: Libvirt, ref: InterfaceRef): Promise<HostInterface | null> {
  try {
    const [xml, active] = await Promise.all([lv.interfaces.getXMLDesc(ref), lv.interfaces.isActive(ref)]);
    return hostInterface(ref, active, parseInterfaceXml(xml));
  } catch (e) {
    if (isNoInterface(e)) return null;
    throw e;
  }
}

/** Every interface libvirt lists on this connection, described, sorted by name. */
export async function listHostInterfaces(lv: Libvirt): Promise<HostInterface[]> {
  let refs: InterfaceRef[];
  try {
    refs = await lv.interfaces.listAll(0);
  } catch (e) {
    if (e instanceof NotSupportedError) {
      throw new Error(`${lv.uri}: libvirt has no interface driver on this connection, so it cannot list the host's interfaces (${e.message})`, { cause: e });
    }
    throw e;
  }
  const all = await Promise.all(refs.map((r) => describe(lv, r)));
  return all.filter((x): x is HostInterface => x !== null).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The lookup users call (through the SDK): the host's interfaces and bridges on `connection` (its `uri`, else
 * `configuredUri` — the stack's `virt:uri` — else LIBVIRT_DEFAULT_URI, else libvirt's default). Opens its own
 * connection and closes it, so a program that calls it still exits.
 */
export async function getHostInterfaces(args: { connection?: ConnectionInput } = {}, configuredUri?: string): Promise<HostInterfaces> {
  return withLookupConnection(args.connection, configuredUri, async (lv, uri) => {
    const interfaces = await listHostInterfaces(lv);
    return { uri, interfaces, bridges: interfaces.filter((i) => i.type === "bridge") };
  });
}

/**
 * Why `name` cannot be the host bridge of a Network in mode "bridge" on `uri`, or undefined when it can — or when
 * the host cannot tell (no interface driver, host unreachable: the create then reports libvirt's own error).
 * Looked up by name, so a bridge that is down or has no ports counts.
 */
export async function hostBridgeProblem(uri: string, name: string): Promise<string | undefined> {
  let lv: Libvirt;
  let ref: InterfaceRef;
  try {
    lv = await connect(uri);
    ref = await lv.interfaces.lookupByName(name);
  } catch (e) {
    if (!isNoInterface(e)) return undefined;
    const bridges = await listHostInterfaces(lv!).then(
      (l) => l.filter((i) => i.type === "bridge").map((i) => i.name),
      () => undefined,
    );
    const have = bridges === undefined ? "" : bridges.length === 0 ? "; the host has no bridge" : `; the host's bridges: ${bridges.join(", ")}`;
    return (
      `"${name}" is not a network device on ${uri}${have}. Make the bridge on the host first ` +
      `(e.g. ip link add ${name} type bridge, or /etc/network/interfaces: see README "Host bridges"), or name an existing one`
    );
  }
  const described = await describe(lv, ref).catch(() => null);
  if (described === null || described.type === "bridge") return undefined;
  return (
    `"${name}" on ${uri} is not a bridge (libvirt reports type ${described.type}): a Network in mode "bridge" needs a Linux bridge. ` +
    `Make a bridge with ${name} as its port (README "Host bridges") and name the bridge, or attach guests another way`
  );
}

let bridgeLookup: (uri: string, name: string) => Promise<string | undefined> = hostBridgeProblem;

/** What a Network's check asks about its host bridge: `hostBridgeProblem`, unless a unit test (no host) replaced it. */
export function lookupHostBridge(uri: string, name: string): Promise<string | undefined> {
  return bridgeLookup(uri, name);
}

/** For unit tests that run without a host: answer the host-bridge question with `fn` (undefined restores the real lookup). */
export function setHostBridgeLookup(fn: ((uri: string, name: string) => Promise<string | undefined>) | undefined): void {
  bridgeLookup = fn ?? hostBridgeProblem;
}
