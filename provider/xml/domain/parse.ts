/**
 * Reading virDomainGetXMLDesc output (inactive or live) into the model.
 */
import { XmlElement, XmlError, parseXml, serializeXml } from "../document";
import { attr, child, parseIntStrict, text } from "../tree";
import { parseCpu, parseFeatures, parseVcpu } from "./cpu";
import { isSerialConsole } from "./devices/chardev";
import { kindOf } from "./devices/kinds";
import { parseMetadata } from "./metadata";
import type { DomainDevices, DomainModel, DomainType, LifecycleAction } from "./model";
import { parseOs } from "./os";
import { parseTuning } from "./tuning";
import { defined, elementChildren, readKiBElement } from "./util";

const TYPES = new Set(["kvm", "qemu", "xen", "test"]);

/**
 * Reads a domain's XML. Memory becomes bytes; MACs are lowercased; os type "linux" becomes "xen"; what
 * libvirt fills in (uuid, machine, aliases, addresses, generated MACs, target devs, graphics ports, ...) is
 * read into the fields documented as such. Every element of `<devices>` the typed lists do not cover becomes
 * one line of `extraDevices` — libvirt's own additions (emulator, controllers, input, audio) included, so a
 * no-diff check compares declared extras by containment (`extraDeviceMatches`), never by equality —
 * except the console libvirt keeps as a mirror of a serial port.
 * @throws XmlError if the root is not `<domain>`, the domain type or os type is not one we model, or a
 *   modelled element lacks a required part.
 */
export function parseDomainXml(xml: string): DomainModel {
  const root = parseXml(xml);
  if (root.name !== "domain") throw new XmlError(`expected <domain>, got <${root.name}>`);
  const name = text(child(root, "name"));
  if (name === undefined) throw new XmlError("domain: no <name>");
  const where = `domain '${name}'`;
  const type = attr(root, "type") ?? "";
  if (!TYPES.has(type)) throw new XmlError(`${where}: domain type '${type}' is not modelled (managed: kvm, qemu, xen, test)`);
  const memory = readKiBElement(child(root, "memory"), where);
  if (memory === undefined) throw new XmlError(`${where}: no <memory>`);
  const id = attr(root, "id");
  const life = (n: string) => text(child(root, n)) as LifecycleAction | undefined;
  return defined<DomainModel>({
    type: type as DomainType,
    name,
    uuid: text(child(root, "uuid")),
    id: id === undefined ? undefined : parseIntStrict(id, `${where} id`),
    title: text(child(root, "title")),
    description: text(child(root, "description")),
    metadata: nonEmpty(parseMetadata(root)),
    memory,
    currentMemory: readKiBElement(child(root, "currentMemory"), where),
    vcpu: parseVcpu(root, where),
    cpu: parseCpu(root),
    os: parseOs(root, where),
    features: parseFeatures(root),
    onPoweroff: life("on_poweroff"),
    onReboot: life("on_reboot"),
    onCrash: life("on_crash"),
    devices: parseDevices(child(root, "devices"), where),
    tuning: parseTuning(root),
  });
}

/** Reads `<devices>` into the typed lists (document order) and `extraDevices`. */
export function parseDevices(devices: XmlElement | undefined, where: string): DomainDevices {
  const out: Record<string, unknown> = {};
  const extra: string[] = [];
  for (const el of devices === undefined ? [] : elementChildren(devices)) {
    const k = kindOf(el.name);
    if (k !== undefined && k.managed(el)) {
      const item = k.parse(el, where);
      if (k.field === "memballoon") out.memballoon = item;
      else ((out[k.field] ??= []) as unknown[]).push(item);
    } else if (el.name === "console" && isSerialConsole(el)) {
      continue; // libvirt's mirror of a serial port
    } else {
      extra.push(serializeXml(el, { compact: true }));
    }
  }
  if (extra.length > 0) out.extraDevices = extra;
  return out as DomainDevices;
}

const nonEmpty = <T>(a: T[]): T[] | undefined => (a.length > 0 ? a : undefined);
