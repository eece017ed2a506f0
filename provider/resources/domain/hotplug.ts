/**
 * Hot-plug bookkeeping: PCIe headroom on q35 (free root ports), and the disks and NICs that differ between the
 * running domain and its saved config (what an update plugs or unplugs, and what is still pending).
 */
import { DomainDefineFlags, DomainRef, DomainXMLFlags, Libvirt } from "../../libvirt";
import { DomainModel, parseXml, serializeXml, XmlElement } from "../../xml";

const XML_CONFIG = DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE;
const elements = (el: XmlElement | undefined, name: string): XmlElement[] =>
  (el?.children ?? []).filter((c): c is XmlElement => c.kind === "element" && c.name === name);
const attr = (el: XmlElement | undefined, name: string): string | undefined => el?.attrs.find(([k]) => k === name)?.[1];

/**
 * How many PCIe root ports of a domain's XML hold no device (each takes one hot-plugged PCI device), or
 * undefined when the machine is not PCIe-based (i440fx "pc": 31 hot-pluggable slots on its PCI bus, no limit we
 * manage). libvirt gives each device present at define time a root port of its own and adds none spare.
 */
export function freeRootPorts(domainXml: string): number | undefined {
  const root = parseXml(domainXml);
  const machine = attr(elements(elements(root, "os")[0], "type")[0], "machine") ?? "";
  if (!/q35/.test(machine)) return undefined;
  const devices = elements(root, "devices")[0];
  if (devices === undefined) return 0;
  const ports = elements(devices, "controller")
    .filter((c) => attr(c, "type") === "pci" && attr(c, "model") === "pcie-root-port")
    .map((c) => Number(attr(c, "index")));
  const used = new Set<number>();
  for (const dev of devices.children) {
    if (dev.kind !== "element") continue;
    for (const a of elements(dev, "address")) if (attr(a, "type") === "pci" && attr(a, "bus") !== undefined) used.add(Number(attr(a, "bus")));
  }
  return ports.filter((i) => !used.has(i)).length;
}

/** The XML with `count` more (empty) PCIe root ports; libvirt numbers and places them at define. */
export function withRootPorts(domainXml: string, count: number): string {
  const root = parseXml(domainXml);
  const devices = elements(root, "devices")[0];
  if (devices === undefined || count <= 0) return domainXml;
  const lastController = devices.children.map((c) => c.kind === "element" && c.name === "controller").lastIndexOf(true);
  const ports: XmlElement[] = Array.from(
    { length: count },
    () =>
      ({
        kind: "element",
        name: "controller",
        attrs: [
          ["type", "pci"],
          ["model", "pcie-root-port"],
        ],
        children: [],
      }) as XmlElement,
  );
  devices.children.splice(lastController >= 0 ? lastController + 1 : devices.children.length, 0, ...ports);
  return serializeXml(root);
}

/**
 * Keeps at least `want` free PCIe root ports in the saved config of a q35 domain (adds the missing ones; never
 * removes any), so that many disks or NICs can be hot-plugged after its next start. Nothing on other machines or
 * on Xen. Returns how many were added.
 */
export async function ensureHotplugSlots(lv: Libvirt, dom: DomainRef, want: number, type: string): Promise<number> {
  if (type === "xen" || want <= 0) return 0;
  const xml = await lv.domains.getXMLDesc(dom, XML_CONFIG);
  const free = freeRootPorts(xml);
  if (free === undefined || free >= want) return 0;
  await lv.domains.defineXML(withRootPorts(xml, want - free), DomainDefineFlags.VALIDATE);
  return want - free;
}

/** A hot-pluggable device by its key: a disk by target dev, a NIC by MAC (lower case). */
export interface DeviceRef {
  device: "disk" | "interface";
  key: string;
}

export const deviceName = (d: DeviceRef): string => (d.device === "disk" ? `disk ${d.key}` : `interface ${d.key}`);
/** The path of the device in the input shape, as pendingRestart lists it. */
export const devicePath = (d: DeviceRef): string => (d.device === "disk" ? `disks[${d.key}]` : `networkInterfaces[${d.key}]`);

function refs(m: DomainModel): DeviceRef[] {
  return [
    ...(m.devices.disks ?? []).map((d): DeviceRef => ({ device: "disk", key: d.target.dev })),
    ...(m.devices.interfaces ?? []).filter((n) => n.mac !== undefined).map((n): DeviceRef => ({ device: "interface", key: n.mac!.toLowerCase() })),
  ];
}

/** Disks and NICs the running domain has and its config does not (to unplug), and the reverse (to plug). */
export function deviceGap(live: DomainModel, config: DomainModel): { unplug: DeviceRef[]; plug: DeviceRef[] } {
  const id = (d: DeviceRef) => `${d.device}/${d.key}`;
  const inLive = new Set(refs(live).map(id));
  const inConfig = new Set(refs(config).map(id));
  return { unplug: refs(live).filter((d) => !inConfig.has(id(d))), plug: refs(config).filter((d) => !inLive.has(id(d))) };
}

/** Whether plugging this device takes a PCI slot (a root port on q35): virtio disks and every NIC model but USB. */
export function needsPciSlot(model: DomainModel, d: DeviceRef): boolean {
  if (d.device === "interface") return (model.devices.interfaces ?? []).find((n) => n.mac?.toLowerCase() === d.key)?.model !== "usb-net";
  const disk = (model.devices.disks ?? []).find((x) => x.target.dev === d.key);
  return disk?.target.bus === "virtio";
}
