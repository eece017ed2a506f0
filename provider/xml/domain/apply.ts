/**
 * Editing a domain's current XML to match the model, for virDomainDefineXML on update.
 */
import { XmlElement, XmlError, parseXml, serializeXml } from "../document";
import { attr, child, children, ensureChild, insertChild, removeChildren, setAttr, setChildText } from "../tree";
import { extraElements } from "./build";
import { applyCpu, applyFeatures, applyVcpu } from "./cpu";
import { isSerialConsole } from "./devices/chardev";
import { matchSnippets, parseSnippet } from "./devices/extra";
import { interfaceElementKey, interfaceElementSourceKey, interfaceSourceKey, isManagedInterface } from "./devices/interface";
import type { DomainInterface } from "./devices/interface";
import { DEVICE_KINDS, DeviceKind, KEPT_WHEN_UNSET, itemsOf, kindOf } from "./devices/kinds";
import type { DomainDevices, DomainModel } from "./model";
import { DEVICE_ORDER, DOMAIN_ORDER, before } from "./order";
import { applyMetadata } from "./metadata";
import { applyOs } from "./os";
import { applyTuning } from "./tuning";
import { elementChildren, setKiB } from "./util";

/** Options of {@link applyDomainXml}. */
export interface ApplyOptions {
  /**
   * The extra devices the previous model declared. A device matching one of them and none of the current
   * `extraDevices` is removed; without this, devices the model does not cover are always kept.
   */
  previousExtraDevices?: readonly string[];
}

/**
 * Edits a domain's current XML (virDomainGetXMLDesc with INACTIVE|SECURE: without SECURE, graphics
 * passwords are missing and would be lost) to match `model`, keeping everything the model does not cover:
 * uuid, metadata, clock, seclabel, resource, numatune, controllers, input and audio devices, PCI addresses
 * and aliases of kept devices, unknown devices, comments, attribute and device order.
 *
 * Devices are matched (disks by target dev, NICs by MAC, filesystems by tag, channels by target name,
 * graphics by type, the rest by position) and edited in place; devices the model no longer has are removed
 * and new ones added where libvirt would put them. A NIC declared without a MAC takes over the MAC of a
 * current NIC on the same source that no other declared NIC claims. Extra devices are matched by
 * containment: present ones are kept, missing ones added.
 * @throws XmlError if the XML is not a `<domain>`, or a value cannot be written.
 */
export function applyDomainXml(currentXml: string, model: DomainModel, options: ApplyOptions = {}): string {
  const root = parseXml(currentXml);
  if (root.name !== "domain") throw new XmlError(`expected <domain>, got <${root.name}>`);
  const after = (name: string) => before(DOMAIN_ORDER, name);
  setAttr(root, "type", model.type);
  setChildText(root, "name", model.name, []);
  if (model.uuid !== undefined) setChildText(root, "uuid", model.uuid, after("uuid"));
  setChildText(root, "title", model.title, after("title"));
  setChildText(root, "description", model.description, after("description"));
  if (model.metadata !== undefined) applyMetadata(root, model.metadata, after("metadata"));
  setKiB(root, "memory", model.memory, after("memory"));
  if (model.currentMemory === undefined) removeChildren(root, "currentMemory");
  else setKiB(root, "currentMemory", model.currentMemory, after("currentMemory"));
  applyVcpu(root, model.vcpu);
  if (model.tuning !== undefined) applyTuning(root, model.tuning);
  const devs = model.devices;
  const deviceBoot = [...(devs.disks ?? []), ...(devs.interfaces ?? [])].some((d) => d.bootOrder !== undefined);
  applyOs(root, model.os, deviceBoot);
  if (model.features !== undefined) applyFeatures(root, model.features);
  if (model.cpu !== undefined) applyCpu(root, model.cpu);
  setChildText(root, "on_poweroff", model.onPoweroff, after("on_poweroff"));
  setChildText(root, "on_reboot", model.onReboot, after("on_reboot"));
  setChildText(root, "on_crash", model.onCrash, after("on_crash"));
  applyDevices(ensureChild(root, "devices", { after: after("devices") }), devs, options);
  return serializeXml(root);
}

/** Edits `<devices>` in place; see {@link applyDomainXml}. */
export function applyDevices(devices: XmlElement, model: DomainDevices, options: ApplyOptions = {}): void {
  for (const k of DEVICE_KINDS) {
    let items = itemsOf(model, k);
    if (items === undefined && KEPT_WHEN_UNSET.has(k.field)) continue;
    if (k.field === "interfaces") items = adoptMacs(devices, (items ?? []) as DomainInterface[]);
    syncDevices(devices, k, items ?? []);
  }
  syncSerialConsoles(devices, model);
  applyExtras(devices, model.extraDevices ?? [], options.previousExtraDevices ?? []);
}

/**
 * Makes the modelled `k.element` children match `items`: matched elements are edited in place, the rest
 * removed, new ones built. The list takes the place of the first old element, or goes where libvirt's
 * device order puts it. Elements of the same name we do not model (a `<disk type='nvme'>`) stay put.
 */
function syncDevices<T>(devices: XmlElement, k: DeviceKind<T>, items: readonly T[]): void {
  const old = children(devices, k.element).filter((e) => k.managed(e));
  const pool = new Map<string, XmlElement[]>();
  k.elementKeys(old).forEach((key, i) => pool.set(key, [...(pool.get(key) ?? []), old[i]]));
  const keys = k.keys(items);
  const next = items.map((item, i) => {
    const reused = pool.get(keys[i])?.shift();
    if (reused === undefined) return k.build(item);
    k.apply(reused, item);
    return reused;
  });
  const first = devices.children.findIndex((c) => old.includes(c as XmlElement));
  devices.children = devices.children.filter((c) => !old.includes(c as XmlElement));
  if (first >= 0) devices.children.splice(first, 0, ...next);
  else for (const el of next) insertChild(devices, el, [...before(DEVICE_ORDER, k.element), k.element]);
}

/** Declared NICs without a MAC take the MAC of an unclaimed current NIC on the same source, in order. */
function adoptMacs(devices: XmlElement, items: DomainInterface[]): DomainInterface[] {
  const current = children(devices, "interface").filter(isManagedInterface);
  const claimed = new Set(items.filter((n) => n.mac !== undefined).map((n) => n.mac!.toLowerCase()));
  const free = current.filter((e) => !claimed.has(interfaceElementKey(e)));
  return items.map((n) => {
    if (n.mac !== undefined) return n;
    const i = free.findIndex((e) => interfaceElementSourceKey(e) === interfaceSourceKey(n));
    if (i < 0) return n;
    const mac = interfaceElementKey(free[i]);
    free.splice(i, 1);
    return { ...n, mac };
  });
}

/**
 * libvirt's console mirrors of serial ports are kept while the serial exists (following its type and
 * source, as libvirt keeps them the same device), removed with it.
 */
function syncSerialConsoles(devices: XmlElement, model: DomainDevices): void {
  if ((model.consoles ?? []).some((d) => d.targetType === "serial")) return; // declared: the user's own
  const serials = new Map(children(devices, "serial").map((s, i) => [attr(child(s, "target"), "port") ?? String(i), s]));
  devices.children = devices.children.filter((c) => {
    if (c.kind !== "element" || c.name !== "console" || !isSerialConsole(c)) return true;
    const serial = serials.get(attr(child(c, "target"), "port") ?? "0");
    if (serial === undefined) return false;
    if (attr(c, "type") !== attr(serial, "type") || !sameNode(child(c, "source"), child(serial, "source"))) {
      setAttr(c, "type", attr(serial, "type"));
      setAttr(c, "tty", undefined);
      const src = child(serial, "source");
      c.children = c.children.filter((n) => !(n.kind === "element" && n.name === "source"));
      if (src !== undefined) c.children.unshift(structuredClone(src));
    }
    return true;
  });
}

function sameNode(a: XmlElement | undefined, b: XmlElement | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Adds missing extra devices; removes those only a previous model declared. Others are kept. */
function applyExtras(devices: XmlElement, declared: readonly string[], previous: readonly string[]): void {
  const wanted = extraElements(declared);
  const candidates = elementChildren(devices).filter((e) => {
    const k = kindOf(e.name);
    return !(k !== undefined && k.managed(e)) && !(e.name === "console" && isSerialConsole(e));
  });
  const matched = matchSnippets(wanted, candidates);
  const kept = new Set(matched.filter((m): m is XmlElement => m !== undefined));
  const dropped = previous.map((s, i) => parseSnippet(s, `previousExtraDevices[${i}]`));
  const gone = new Set(
    matchSnippets(
      dropped,
      candidates.filter((c) => !kept.has(c)),
    ).filter((m): m is XmlElement => m !== undefined),
  );
  devices.children = devices.children.filter((c) => !gone.has(c as XmlElement));
  wanted.forEach((el, i) => {
    if (matched[i] === undefined) insertChild(devices, el, [...before(DEVICE_ORDER, el.name), el.name]);
  });
}
