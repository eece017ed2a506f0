/**
 * Building the XML for virDomainDefineXML from the model.
 */
import { XmlElement, XmlError, serializeXml } from "../document";
import { element, textElement } from "../tree";
import { buildCpu, buildFeatures, buildVcpu } from "./cpu";
import { parseSnippet } from "./devices/extra";
import { DEVICE_KINDS, itemsOf, kindOf } from "./devices/kinds";
import { buildMetadata } from "./metadata";
import type { DomainDevices, DomainModel } from "./model";
import { DEVICE_ORDER } from "./order";
import { buildBootloader, buildOs } from "./os";
import { applyTuning } from "./tuning";
import { kibElement } from "./util";

/**
 * Builds the XML for virDomainDefineXML: everything declared, in libvirt's order; read-only fields
 * (id, aliases, addresses, live ports, pty paths, target devs) are not written. Memory is written in KiB.
 * @throws XmlError if a size is not a whole number of KiB, a value cannot be written as XML, or an extra
 *   device is malformed or is of a kind the typed lists cover.
 */
export function buildDomainXml(model: DomainModel): string {
  const root = element("domain", { type: model.type }, [textElement("name", model.name)]);
  const push = (el: XmlElement | undefined) => {
    if (el !== undefined) root.children.push(el);
  };
  if (model.uuid !== undefined) push(textElement("uuid", model.uuid));
  if (model.title !== undefined) push(textElement("title", model.title));
  if (model.description !== undefined) push(textElement("description", model.description));
  push(buildMetadata(model.metadata));
  push(kibElement("memory", model.memory));
  if (model.currentMemory !== undefined) push(kibElement("currentMemory", model.currentMemory));
  push(buildVcpu(model.vcpu));
  buildBootloader(model.os).forEach(push);
  push(buildOs(model.os));
  if (model.features !== undefined) push(buildFeatures(model.features));
  if (model.cpu !== undefined) push(buildCpu(model.cpu));
  if (model.onPoweroff !== undefined) push(textElement("on_poweroff", model.onPoweroff));
  if (model.onReboot !== undefined) push(textElement("on_reboot", model.onReboot));
  if (model.onCrash !== undefined) push(textElement("on_crash", model.onCrash));
  push(element("devices", {}, buildDevices(model.devices)));
  if (model.tuning !== undefined) applyTuning(root, model.tuning);
  return serializeXml(root);
}

/** The device elements of the model, in libvirt's device order (stable within a kind). */
export function buildDevices(devices: DomainDevices): XmlElement[] {
  const out: XmlElement[] = [];
  for (const k of DEVICE_KINDS) for (const item of itemsOf(devices, k) ?? []) out.push(k.build(item));
  out.push(...extraElements(devices.extraDevices ?? []));
  const rank = (el: XmlElement) => {
    const i = DEVICE_ORDER.indexOf(el.name);
    return i < 0 ? DEVICE_ORDER.length : i;
  };
  return out
    .map((el, i) => ({ el, i }))
    .sort((a, b) => rank(a.el) - rank(b.el) || a.i - b.i)
    .map((x) => x.el);
}

/** Parses the extra device snippets, refusing those a typed list covers (apply would fight over them). */
export function extraElements(snippets: readonly string[]): XmlElement[] {
  return snippets.map((s, i) => {
    const el = parseSnippet(s, `extraDevices[${i}]`);
    const k = kindOf(el.name);
    if (k !== undefined && k.managed(el)) throw new XmlError(`extraDevices[${i}]: <${el.name}> of this type is modelled: declare it in devices.${k.field}`);
    return el;
  });
}
