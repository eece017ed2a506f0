/**
 * `<interface>` of the host (virInterfaceGetXMLDesc, https://libvirt.org/formatinterface.html): read-only.
 * What the backends fill in differs: see HostInterfaceXml's fields. Unknown elements are ignored.
 */
import { XmlElement, XmlError, parseXml } from "./document";
import { attr, child, children, parseIntStrict } from "./tree";

/** An address of the interface (`<protocol family=...><ip address= prefix=/>`); netcf only, never udev. */
export interface HostInterfaceAddress {
  family: "ipv4" | "ipv6";
  address: string;
  /** Prefix length; absent when libvirt gives none. */
  prefix?: number;
}

/** One host interface as libvirt describes it. */
export interface HostInterfaceXml {
  name: string;
  /** `ethernet`, `bridge`, `bond`, `vlan` (libvirt's types); open-ended. */
  type: string;
  /** Lower-case MAC from `<mac address>`; the udev backend writes none for a bridge itself. */
  mac?: string;
  mtu?: number;
  /** `<link state>`: the kernel's operstate (`up`, `down`, `unknown`, `lowerlayerdown`, ...). */
  linkState?: string;
  /** `<link speed>` in Mbit/s; libvirt's 4294967295 ("unknown") is left out. */
  linkSpeed?: number;
  /** `<protocol>` addresses (the netcf backend); the udev backend reports none. */
  addresses: HostInterfaceAddress[];
  /** For a bridge: `<bridge stp>` and its ports (the udev backend leaves out guests' `vnetN` taps). */
  bridge?: { stp?: boolean; ports: HostInterfaceXml[] };
  /** For a bond: its ports. */
  bond?: { mode?: string; ports: HostInterfaceXml[] };
  /** For a VLAN: the tag and the parent device. */
  vlan?: { tag?: number; parent?: string };
}

const UNKNOWN_SPEED = 4294967295;

function readInterface(el: XmlElement, where: string): HostInterfaceXml {
  const name = attr(el, "name");
  if (name === undefined) throw new XmlError(`${where}: <interface> without name`);
  const at = `${where} '${name}'`;
  const out: HostInterfaceXml = { name, type: attr(el, "type") ?? "ethernet", addresses: [] };
  const mac = attr(child(el, "mac"), "address");
  if (mac !== undefined) out.mac = mac.toLowerCase();
  const mtu = attr(child(el, "mtu"), "size");
  if (mtu !== undefined) out.mtu = parseIntStrict(mtu, `${at} mtu`);
  const link = child(el, "link");
  const state = attr(link, "state");
  if (state !== undefined) out.linkState = state;
  const speed = attr(link, "speed");
  if (speed !== undefined) {
    const n = parseIntStrict(speed, `${at} link speed`);
    if (n !== UNKNOWN_SPEED) out.linkSpeed = n;
  }
  for (const p of children(el, "protocol")) {
    const family = attr(p, "family");
    if (family !== "ipv4" && family !== "ipv6") continue;
    for (const ip of children(p, "ip")) {
      const address = attr(ip, "address");
      if (address === undefined) continue;
      const prefix = attr(ip, "prefix");
      out.addresses.push({ family, address, ...(prefix !== undefined ? { prefix: parseIntStrict(prefix, `${at} ip prefix`) } : {}) });
    }
  }
  const ports = (e: XmlElement): HostInterfaceXml[] => children(e, "interface").map((i) => readInterface(i, `${at} port`));
  const br = child(el, "bridge");
  if (br !== undefined) {
    const stp = attr(br, "stp");
    out.bridge = { ...(stp !== undefined ? { stp: stp === "on" } : {}), ports: ports(br) };
  }
  const bond = child(el, "bond");
  if (bond !== undefined) out.bond = { ...(attr(bond, "mode") !== undefined ? { mode: attr(bond, "mode")! } : {}), ports: ports(bond) };
  const vlan = child(el, "vlan");
  if (vlan !== undefined) {
    const tag = attr(vlan, "tag");
    const parent = attr(child(vlan, "interface"), "name");
    out.vlan = { ...(tag !== undefined ? { tag: parseIntStrict(tag, `${at} vlan tag`) } : {}), ...(parent !== undefined ? { parent } : {}) };
  }
  return out;
}

/**
 * Reads virInterfaceGetXMLDesc output.
 * @throws XmlError if the root is not `<interface>` or it has no name.
 */
export function parseInterfaceXml(xml: string): HostInterfaceXml {
  const root = parseXml(xml);
  if (root.name !== "interface") throw new XmlError(`expected <interface>, got <${root.name}>`);
  return readInterface(root, "interface");
}
