/**
 * `<interface>`: a NIC (https://libvirt.org/formatdomain.html#network-interfaces), of the types we manage:
 * on a libvirt network, on a host bridge, or macvtap on a host device (`direct`). NICs are matched by MAC.
 */
import { XmlElement, XmlError } from "../../document";
import { attr, child, element, ensureChild, insertChild, removeChildren, setAttr } from "../../tree";
import { INTERFACE_ORDER, before } from "../order";
import { DeviceInfo, canonicalMac, defined, intAttr, readInfo, setChildAttr } from "../util";

interface InterfaceCommon extends DeviceInfo {
  /**
   * MAC address, the NIC's identity for updates and hot-plug. Unset: libvirt generates one (52:54:00:xx:xx:xx
   * on QEMU, 00:16:3e:xx:xx:xx on Xen) — read it back and keep it in the model.
   */
  mac?: string;
  /**
   * Device model the guest sees: virtio, e1000, e1000e, rtl8139, ... On Xen, "netfront" is the PV NIC
   * (the only model a PV guest accepts); an HVM Xen guest with another model gets an emulated NIC too.
   * Unset: the hypervisor's default (QEMU fills in rtl8139 on i440fx; libxl writes none); kept on update.
   */
  model?: string;
  /** `<link state=...>`; unset: up (no `<link>`). */
  linkState?: "up" | "down";
  /** `<boot order=N>`. */
  bootOrder?: number;
  /** `<target dev=...>`: the host-side tap/macvtap device of a running domain (vnet0, macvtap0). Read-only. */
  targetDev?: string;
}

/** On a libvirt network. */
export interface NetworkInterface extends InterfaceCommon {
  type: "network";
  network: string;
}
/** On an existing host bridge. */
export interface BridgeInterface extends InterfaceCommon {
  type: "bridge";
  bridge: string;
}
/** macvtap on a host device. */
export interface DirectInterface extends InterfaceCommon {
  type: "direct";
  dev: string;
  /** vepa (libvirt's default), bridge, private, passthrough. */
  mode?: "vepa" | "bridge" | "private" | "passthrough";
}
/** A NIC as declared and as read back. */
export type DomainInterface = NetworkInterface | BridgeInterface | DirectInterface;

const TYPES = new Set(["network", "bridge", "direct"]);

/** Whether we model this `<interface>` (network, bridge, direct); others (user, hostdev, vhostuser, ...) are extras. */
export function isManagedInterface(el: XmlElement): boolean {
  return TYPES.has(attr(el, "type") ?? "");
}

/** A NIC's identity: its MAC, lowercased (`new:N` for a NIC without one, which always creates a NIC). */
export const interfaceKey = (n: DomainInterface, index: number): string => (n.mac === undefined ? `new:${index}` : canonicalMac(n.mac));
export const interfaceElementKey = (el: XmlElement): string => canonicalMac(attr(child(el, "mac"), "address") ?? "");

/** What a NIC is plugged into, as a comparable string (type and source). */
export function interfaceSourceKey(n: DomainInterface): string {
  return n.type === "network" ? `network:${n.network}` : n.type === "bridge" ? `bridge:${n.bridge}` : `direct:${n.dev}`;
}
export function interfaceElementSourceKey(el: XmlElement): string {
  const type = attr(el, "type");
  const src = child(el, "source");
  return `${type}:${attr(src, type === "network" ? "network" : type === "bridge" ? "bridge" : "dev") ?? ""}`;
}

/** Reads one `<interface>`. */
export function parseInterface(el: XmlElement, where: string): DomainInterface {
  const type = attr(el, "type") ?? "";
  const src = child(el, "source");
  let nic: DomainInterface;
  switch (type) {
    case "network":
      nic = { type, network: attr(src, "network") ?? "" };
      break;
    case "bridge":
      nic = { type, bridge: attr(src, "bridge") ?? "" };
      break;
    case "direct": {
      nic = { type, dev: attr(src, "dev") ?? "" };
      const mode = attr(src, "mode");
      if (mode !== undefined) nic.mode = mode as DirectInterface["mode"];
      break;
    }
    default:
      throw new XmlError(`${where}: interface type '${type}' is not modelled (managed: network, bridge, direct)`);
  }
  const mac = attr(child(el, "mac"), "address");
  Object.assign(
    nic,
    defined({
      mac: mac === undefined ? undefined : canonicalMac(mac),
      model: attr(child(el, "model"), "type"),
      linkState: attr(child(el, "link"), "state") as "up" | "down" | undefined,
      bootOrder: intAttr(child(el, "boot"), "order", `${where} interface`),
      targetDev: attr(child(el, "target"), "dev"),
    }),
  );
  return readInfo(el, nic);
}

function sourceElement(n: DomainInterface): XmlElement {
  switch (n.type) {
    case "network":
      return element("source", { network: n.network });
    case "bridge":
      return element("source", { bridge: n.bridge });
    case "direct":
      return element("source", { dev: n.dev, mode: n.mode });
  }
}

/** Builds one `<interface>` (for define, hot-plug, or — with its MAC — detach). Read-only fields are not written. */
export function buildInterface(n: DomainInterface): XmlElement {
  const el = element("interface", { type: n.type });
  if (n.mac !== undefined) el.children.push(element("mac", { address: n.mac }));
  el.children.push(sourceElement(n));
  if (n.model !== undefined) el.children.push(element("model", { type: n.model }));
  if (n.linkState !== undefined) el.children.push(element("link", { state: n.linkState }));
  if (n.bootOrder !== undefined) el.children.push(element("boot", { order: n.bootOrder }));
  return el;
}

/**
 * Edits an existing `<interface>` in place. A new type or source starts `<source>` afresh (the live
 * `portid`/`bridge` attributes and `<virtualport>` belonged to the old one); model left undefined keeps
 * libvirt's; link state and boot order left undefined are removed. Address, alias, driver, filterref,
 * bandwidth and everything else unknown are kept.
 */
export function applyInterface(el: XmlElement, n: DomainInterface): void {
  const oldType = attr(el, "type");
  const fresh = sourceElement(n);
  const cur = child(el, "source");
  const same = oldType === n.type && cur !== undefined && fresh.attrs.every(([k, v]) => attr(cur, k) === v);
  if (!same) {
    setAttr(el, "type", n.type);
    removeChildren(el, "source");
    removeChildren(el, "virtualport");
    insertChild(el, fresh, before(INTERFACE_ORDER, "source"));
  }
  if (n.mac !== undefined) {
    const mac = child(el, "mac");
    if (mac === undefined || canonicalMac(attr(mac, "address") ?? "") !== canonicalMac(n.mac)) setChildAttr(el, "mac", "address", n.mac, []);
  }
  if (n.model !== undefined) setAttr(ensureChild(el, "model", { after: before(INTERFACE_ORDER, "model") }), "type", n.model);
  setChildAttr(el, "link", "state", n.linkState, before(INTERFACE_ORDER, "link"));
  setChildAttr(el, "boot", "order", n.bootOrder, before(INTERFACE_ORDER, "boot"));
}
