/**
 * `<network>`: a virtual network (https://libvirt.org/formatnetwork.html), the forward modes we manage.
 */
import { XmlElement, XmlError, parseXml, serializeXml } from "./document";
import { applyIp, buildIp, canonicalIp, ipKey, readIp } from "./network-ip";
import type { NetworkIp } from "./network-ip";
import {
  attr,
  child,
  children,
  element,
  ensureChild,
  parseIntStrict,
  parseYesNo,
  removeChildren,
  setAttr,
  setChildText,
  syncChildren,
  text,
  textElement,
} from "./tree";

export type { DhcpHost, DhcpRange, NetworkDhcp, NetworkIp } from "./network-ip";
export { dhcpHostXml, dhcpRangeXml } from "./network-ip";

/** `<forward mode=...>`; "isolated" is a network with no `<forward>` at all. */
export type NetworkMode = "nat" | "route" | "open" | "bridge" | "isolated";

/** `<bridge>` of a network libvirt runs its own bridge for. */
export interface NetworkBridge {
  /** Bridge device name; unset: libvirt picks the first free `virbrN`. */
  name?: string;
  /** Spanning tree; libvirt's default is on. */
  stp?: boolean;
  /** Forward delay in seconds; libvirt's default is 0. */
  delay?: number;
}

/** `<domain>`: the DNS domain of the network's DHCP/DNS server. */
export interface NetworkDomain {
  name: string;
  /** Answer queries for the domain only locally (`localOnly='yes'`), never forward them. */
  localOnly?: boolean;
}

/** `<dns><host>`: extra names the network's DNS server answers for `ip`. */
export interface DnsHost {
  ip: string;
  hostnames: string[];
}

interface NetworkCommon {
  /** Network name, unique on the host. */
  name: string;
  /** MTU of the bridge in bytes; unset: the kernel's default (1500). */
  mtu?: number;
  domain?: NetworkDomain;
  /** Addresses of the host on the network, each optionally with DHCP; in document order. */
  ips?: NetworkIp[];
  dnsHosts?: DnsHost[];
}
/** A network with a libvirt-managed bridge: NAT, routed, open, or isolated (no forwarding). */
export interface RoutedNetwork extends NetworkCommon {
  mode: "nat" | "route" | "open" | "isolated";
  bridge?: NetworkBridge;
}
/** A network that hands guests to an existing host bridge (`<forward mode='bridge'/><bridge name=.../>`). */
export interface HostBridgeNetwork extends NetworkCommon {
  mode: "bridge";
  bridge: { name: string };
}
/** A network as the user declares it (what build and apply take). */
export type Network = RoutedNetwork | HostBridgeNetwork;

/** A network as read back: the declaration plus what libvirt fills in. */
export type NetworkState = Network & {
  uuid?: string;
  /** MAC address of the bridge (lowercased); libvirt generates one. */
  mac?: string;
};

// libvirt's order of <network> children, used to place new elements.
const ORDER = ["name", "uuid", "metadata", "forward", "bridge", "mtu", "mac", "domain", "dns", "ip", "route"];
const before = (name: string): string[] => ORDER.slice(0, ORDER.indexOf(name));
const MODES = new Set(["nat", "route", "open", "bridge"]);
const onOff = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? "on" : "off");
const yesNo = (b: boolean | undefined): string | undefined => (b === undefined ? undefined : b ? "yes" : "no");

/** Builds the XML for virNetworkDefineXML. */
export function buildNetworkXml(spec: Network, uuid?: string): string {
  const net = element("network", {}, [textElement("name", spec.name), ...(uuid !== undefined ? [textElement("uuid", uuid)] : [])]);
  if (spec.mode !== "isolated") net.children.push(element("forward", { mode: spec.mode }));
  if (spec.mode === "bridge") net.children.push(element("bridge", { name: spec.bridge.name }));
  else if (spec.bridge !== undefined) net.children.push(element("bridge", { name: spec.bridge.name, stp: onOff(spec.bridge.stp), delay: spec.bridge.delay }));
  if (spec.mtu !== undefined) net.children.push(element("mtu", { size: spec.mtu }));
  if (spec.domain !== undefined) net.children.push(element("domain", { name: spec.domain.name, localOnly: yesNo(spec.domain.localOnly) }));
  if (spec.dnsHosts !== undefined && spec.dnsHosts.length > 0) net.children.push(element("dns", {}, spec.dnsHosts.map(dnsHostElement)));
  for (const ip of spec.ips ?? []) net.children.push(buildIp(ip));
  return serializeXml(net);
}

/**
 * Reads virNetworkGetXMLDesc output. MAC addresses are lowercased and IPv4 netmasks become prefixes;
 * ranges, hosts and addresses keep document order.
 * @throws XmlError if the root is not `<network>`, the forward mode is not one we manage, or a required
 *   part is missing.
 */
export function parseNetworkXml(xml: string): NetworkState {
  const root = parseXml(xml);
  if (root.name !== "network") throw new XmlError(`expected <network>, got <${root.name}>`);
  const name = text(child(root, "name"));
  if (name === undefined) throw new XmlError("network: no <name>");
  const where = `network '${name}'`;
  const fwd = child(root, "forward");
  const mode = fwd === undefined ? "isolated" : (attr(fwd, "mode") ?? "nat"); // libvirt: <forward/> means nat
  if (mode !== "isolated" && !MODES.has(mode)) throw new XmlError(`${where}: unsupported forward mode '${mode}' (managed: nat, route, open, bridge, isolated)`);
  const br = child(root, "bridge");
  let net: NetworkState;
  if (mode === "bridge") {
    const brName = attr(br, "name");
    if (brName === undefined) throw new XmlError(`${where}: forward mode 'bridge' without <bridge name=...> (macvtap) is not managed`);
    net = { name, mode, bridge: { name: brName } };
  } else {
    net = { name, mode: mode as RoutedNetwork["mode"] };
    if (br !== undefined) {
      const bridge: NetworkBridge = {};
      const [bname, stp, delay] = [attr(br, "name"), attr(br, "stp"), attr(br, "delay")];
      if (bname !== undefined) bridge.name = bname;
      if (stp !== undefined) bridge.stp = parseYesNo(stp);
      if (delay !== undefined) bridge.delay = parseIntStrict(delay, `${where} bridge delay`);
      net.bridge = bridge;
    }
  }
  const uuid = text(child(root, "uuid"));
  if (uuid !== undefined) net.uuid = uuid;
  const mac = attr(child(root, "mac"), "address");
  if (mac !== undefined) net.mac = mac.toLowerCase();
  const mtu = attr(child(root, "mtu"), "size");
  if (mtu !== undefined) net.mtu = parseIntStrict(mtu, `${where} mtu`);
  const dom = child(root, "domain");
  if (dom !== undefined) {
    net.domain = { name: attr(dom, "name") ?? "" };
    const localOnly = parseYesNo(attr(dom, "localOnly"));
    if (localOnly !== undefined) net.domain.localOnly = localOnly;
  }
  const hosts = children(child(root, "dns") ?? element("dns"), "host");
  if (hosts.length > 0) net.dnsHosts = hosts.map((h) => readDnsHost(h, where));
  const ips = children(root, "ip");
  if (ips.length > 0) net.ips = ips.map((ip) => readIp(ip, where));
  return net;
}

function readDnsHost(h: XmlElement, where: string): DnsHost {
  const ip = attr(h, "ip");
  if (ip === undefined) throw new XmlError(`${where}: <dns><host> without ip`);
  return { ip, hostnames: children(h, "hostname").map((n) => text(n) ?? "") };
}

/**
 * Edits a network's current XML to match `spec` (for virNetworkDefineXML on update), keeping uuid, mac,
 * metadata, routes, DNS forwarders/txt/srv, tftp/bootp, port ranges and everything else we do not manage.
 * Unset bridge name/stp/delay keep libvirt's values; unset mtu, domain, DNS hosts, IPs and DHCP are removed.
 * A changed forward mode starts `<forward>` afresh (its children belong to the old mode).
 */
export function applyNetworkXml(currentXml: string, spec: Network): string {
  const root = parseXml(currentXml);
  if (root.name !== "network") throw new XmlError(`expected <network>, got <${root.name}>`);
  setChildText(root, "name", spec.name, []);

  const fwd = child(root, "forward");
  const oldMode = fwd === undefined ? "isolated" : (attr(fwd, "mode") ?? "nat");
  if (spec.mode === "isolated") removeChildren(root, "forward");
  else if (oldMode !== spec.mode) {
    removeChildren(root, "forward");
    ensureChild(root, "forward", { after: before("forward") }).attrs = [["mode", spec.mode]];
  }
  if (spec.mode === "bridge") {
    const br = ensureChild(root, "bridge", { after: before("bridge") });
    if (oldMode !== "bridge") br.attrs = []; // stp/delay belong to a libvirt-run bridge
    setAttr(br, "name", spec.bridge.name);
  } else {
    if (oldMode === "bridge") removeChildren(root, "bridge"); // the host bridge's name is not ours to keep
    if (spec.bridge !== undefined) {
      const br = ensureChild(root, "bridge", { after: before("bridge") });
      if (spec.bridge.name !== undefined) setAttr(br, "name", spec.bridge.name);
      if (spec.bridge.stp !== undefined) setAttr(br, "stp", onOff(spec.bridge.stp));
      if (spec.bridge.delay !== undefined) setAttr(br, "delay", spec.bridge.delay);
    }
  }

  if (spec.mtu === undefined) removeChildren(root, "mtu");
  else setAttr(ensureChild(root, "mtu", { after: before("mtu") }), "size", spec.mtu);

  if (spec.domain === undefined) removeChildren(root, "domain");
  else {
    const dom = ensureChild(root, "domain", { after: before("domain") });
    setAttr(dom, "name", spec.domain.name);
    setAttr(dom, "localOnly", yesNo(spec.domain.localOnly));
  }

  applyDnsHosts(root, spec.dnsHosts ?? []);
  syncChildren(root, "ip", spec.ips ?? [], {
    keyOf: (ip) => ipKey(ip.family, ip.address),
    keyOfElement: (e) => ipKey(attr(e, "family") ?? "ipv4", attr(e, "address") ?? ""),
    create: buildIp,
    update: applyIp,
    after: before("ip"),
  });
  return serializeXml(root);
}

function applyDnsHosts(root: XmlElement, hosts: DnsHost[]): void {
  const existing = child(root, "dns");
  if (existing === undefined && hosts.length === 0) return;
  const dns = existing ?? ensureChild(root, "dns", { after: before("dns") });
  syncChildren(dns, "host", hosts, {
    keyOf: (h) => canonicalIp(h.ip),
    keyOfElement: (e) => canonicalIp(attr(e, "ip") ?? ""),
    create: dnsHostElement,
    update: (e, h) => {
      const at = e.children.findIndex((c) => c.kind === "element" && c.name === "hostname");
      removeChildren(e, "hostname");
      e.children.splice(at >= 0 ? at : e.children.length, 0, ...h.hostnames.map((n) => textElement("hostname", n)));
    },
    after: ["forwarder", "txt", "srv"],
  });
  // An empty <dns/> with no settings of its own is what we would have added: drop it.
  if (dns.children.length === 0 && dns.attrs.length === 0) removeChildren(root, "dns");
}

function dnsHostElement(h: DnsHost): XmlElement {
  return element(
    "host",
    { ip: h.ip },
    h.hostnames.map((n) => textElement("hostname", n)),
  );
}

/** `<host ip='..'><hostname>..</hostname></host>` for virNetworkUpdate (section dns-host). */
export function dnsHostXml(host: DnsHost): string {
  return serializeXml(dnsHostElement(host), { compact: true });
}
