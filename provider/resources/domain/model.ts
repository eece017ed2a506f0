import { fromXmlUnit, toXmlUnit } from "../../diff";
import type { PropSpec } from "../../diff";
import type { DomainDisk, DomainInterface, DomainModel, DomainTuning } from "../../xml";
import { extraDeviceMatches, sameMachine } from "../../xml";
import type { Props } from "../provider";
import { defaultBus, domainInputs, setting } from "./inputs";
import { metadataBack, metadataModel } from "./metadata";
import { domainSpec } from "./spec";
import type { DomainDiskInput, DomainNicInput } from "../shapes";

const GUEST_AGENT = "org.qemu.guest_agent.0";
type Rec = Record<string, unknown>;

/** Image formats of volume disks, looked up on the host (libvirt does not probe formats). By target dev. */
export type DiskFormats = Record<string, string | undefined>;

function toDisk(d: DomainDiskInput, type: string, formats: DiskFormats): DomainDisk {
  const target = d.target!;
  const format = d.format ?? formats[target];
  const source: DomainDisk["source"] =
    d.volume !== undefined
      ? { type: "volume", pool: d.volume.pool, volume: d.volume.volume }
      : d.block !== undefined
        ? { type: "block", dev: d.block }
        : { type: "file", ...(d.file !== undefined ? { path: d.file } : {}) };
  // On Xen, raw images and block devices go through the phy backend; other formats need qdisk ("qemu").
  const driverName = type === "xen" ? (format === undefined || format === "raw" ? "phy" : "qemu") : "qemu";
  const driver: DomainDisk["driver"] = { name: driverName };
  if (format !== undefined) driver.type = format;
  else if (type !== "xen" && source.type !== "volume" && (source.type !== "file" || source.path !== undefined)) driver.type = "raw";
  if (d.cache !== undefined) driver.cache = d.cache;
  if (d.discard !== undefined) driver.discard = d.discard;
  const disk: DomainDisk = { device: d.device ?? "disk", source, driver, target: { dev: target, bus: d.bus ?? defaultBus(d, type) } };
  if (d.readonly === true || d.device === "cdrom") disk.readonly = true;
  if (d.serial !== undefined) disk.serial = d.serial;
  if (d.bootOrder !== undefined) disk.bootOrder = d.bootOrder;
  return disk;
}

function toNic(n: DomainNicInput, type: string): DomainInterface {
  const common = {
    mac: n.mac!,
    model: n.model ?? (type === "xen" ? "netfront" : "virtio"),
    ...(n.linkState === "down" ? { linkState: "down" as const } : {}),
  };
  if (n.network !== undefined) return { type: "network", network: n.network, ...common };
  if (n.bridge !== undefined) return { type: "bridge", bridge: n.bridge, ...common };
  return { type: "direct", dev: n.direct!.dev, mode: (n.direct!.mode ?? "bridge") as "bridge", ...common };
}

/** The domain model from checked inputs (targets and MACs filled), for define and redefine. */
export function toModel(p: Props, type: string, formats: DiskFormats, uuid?: string): DomainModel {
  const i = domainInputs(p);
  const os = i.os ?? {};
  const osType = os.type ?? "hvm";
  const memory = i.memory;
  const vcpus = setting(p, "vcpus");
  const m: DomainModel = {
    type: type as DomainModel["type"],
    name: i.name,
    memory,
    currentMemory: i.currentMemory ?? memory,
    vcpu: { max: i.maxVcpus ?? vcpus, current: vcpus },
    os: { type: osType },
    devices: {},
  };
  if (uuid !== undefined) m.uuid = uuid;
  for (const k of ["title", "description", "onPoweroff", "onReboot", "onCrash"] as const) if (p[k] !== undefined) (m as unknown as Rec)[k] = p[k];
  const metadata = metadataModel(p);
  if (metadata !== undefined) m.metadata = metadata;
  if (i.cpu !== undefined) m.cpu = i.cpu;
  for (const k of ["arch", "machine", "firmware", "secureBoot", "boot", "kernel", "initrd", "cmdline", "bootloader"])
    if ((os as Rec)[k] !== undefined) (m.os as unknown as Rec)[k] = (os as Rec)[k];
  // PCI hot-plug on i440fx needs ACPI: an HVM guest gets acpi and apic unless features are given.
  m.features = i.features ?? (osType === "hvm" ? { acpi: true, apic: true, ...(type === "xen" ? { pae: true } : {}) } : {});
  const dev = m.devices;
  dev.disks = (i.disks ?? []).map((d) => toDisk(d, type, formats));
  dev.interfaces = (i.networkInterfaces ?? []).map((n) => toNic(n, type));
  const g = i.graphics;
  dev.graphics =
    g === undefined
      ? []
      : [
          {
            type: g.type,
            listen: g.listen ?? "127.0.0.1",
            ...(g.port !== undefined ? { port: g.port } : {}),
            ...(g.password !== undefined ? { passwd: g.password } : {}),
          },
        ];
  if (i.video !== undefined && i.video !== "none") dev.videos = [{ model: i.video }];
  const serial = i.serialConsole;
  dev.serials = serial === undefined ? [] : [serial.type === "file" ? { type: "file", path: serial.path! } : { type: "pty" }];
  // Xen PV/PVH guests have the xen console (libxl adds it when missing): declared, so a redefine keeps it.
  if (type === "xen" && osType !== "hvm") dev.consoles = [{ type: "pty", targetType: "xen", port: 0 }];
  dev.channels = i.guestAgent === true ? [{ type: "unix", targetType: "virtio", targetName: GUEST_AGENT }] : [];
  dev.rngs = i.rng === true ? [{ model: "virtio", backend: "random", device: "/dev/urandom" }] : [];
  dev.tpms = i.tpm === true ? [{ model: "tpm-crb", backend: "emulator", version: "2.0" }] : [];
  dev.filesystems = (i.filesystems ?? []).map((f) => ({
    driver: f.type,
    sourceDir: f.source,
    tag: f.target,
    ...(f.readonly === true ? { readonly: true } : {}),
  }));
  dev.memballoon = { model: i.memballoon ?? (type === "xen" ? "xen" : "virtio") };
  if (i.extraDevices !== undefined) dev.extraDevices = i.extraDevices;
  const tuning = tuningModel(p);
  if (tuning !== undefined) m.tuning = tuning;
  return m;
}

/** Object rows whose fields the spec table maps to XML leaves by path (PropSpec.xml), with those fields. */
const MAPPED: [string, [string, PropSpec][]][] = Object.entries(domainSpec.inputs)
  .map(([top, row]): [string, [string, PropSpec][]] => [
    top,
    row.type.kind === "object" ? Object.entries(row.type.properties).filter(([, f]) => f.xml !== undefined) : [],
  ])
  .filter(([, fields]) => fields.length > 0);

/**
 * The mapped leaves of the declared rows: each declared field's value in libvirt's unit, each undeclared one
 * removed. A row not declared at all is left as the host has it (another tool's tuning is not ours to undo).
 */
function tuningModel(p: Props): DomainTuning | undefined {
  const out: DomainTuning = {};
  for (const [top, fields] of MAPPED) {
    const declared = p[top] as Rec | undefined;
    if (declared === undefined) continue;
    for (const [k, f] of fields) {
      const v = declared[k];
      out[f.xml!.path] = typeof v === "number" ? String(toXmlUnit(f, v)) : undefined;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The declared mapped fields as the host has them (absent on the host: absent here, so a diff shows it). */
function tuningBack(m: DomainModel, declared: Props, out: Props): void {
  for (const [top, fields] of MAPPED) {
    const d = declared[top] as Rec | undefined;
    if (d === undefined) continue;
    const back: Rec = {};
    for (const [k, f] of fields) {
      const text = m.tuning?.[f.xml!.path];
      if (d[k] !== undefined && text !== undefined) back[k] = fromXmlUnit(f, Number(text));
    }
    out[top] = back;
  }
}

const pick = <T extends Rec>(declared: Rec | undefined, actual: T): Partial<T> => {
  const out: Rec = {};
  for (const k of Object.keys(declared ?? {})) if (actual[k] !== undefined) out[k] = actual[k];
  return out as Partial<T>;
};

function diskBack(d: DomainDisk, declared: DomainDiskInput | undefined): DomainDiskInput {
  const out: DomainDiskInput = { target: d.target.dev };
  const s = d.source;
  if (s.type === "volume") out.volume = { pool: s.pool, volume: s.volume };
  else if (s.type === "block") out.block = s.dev;
  else if (s.type === "file" && s.path !== undefined) out.file = s.path;
  if (d.device !== undefined && (d.device !== "disk" || declared?.device !== undefined)) out.device = d.device as DomainDiskInput["device"];
  // What the host has, as libvirt reports it (a value outside the table's enum shows in the plan as a change).
  if (declared?.bus !== undefined && d.target.bus !== undefined) out.bus = d.target.bus as DomainDiskInput["bus"];
  if (declared?.format !== undefined && d.driver?.type !== undefined) out.format = d.driver.type;
  if (declared?.readonly !== undefined) out.readonly = d.readonly === true;
  if (declared?.cache !== undefined && d.driver?.cache !== undefined) out.cache = d.driver.cache as DomainDiskInput["cache"];
  if (declared?.discard !== undefined && d.driver?.discard !== undefined) out.discard = d.driver.discard as DomainDiskInput["discard"];
  if (declared?.serial !== undefined && d.serial !== undefined) out.serial = d.serial;
  if (declared?.bootOrder !== undefined && d.bootOrder !== undefined) out.bootOrder = d.bootOrder;
  // Not in libvirt's XML: it marks the content the user declared, so it reads back as declared.
  if (declared?.revision !== undefined) out.revision = declared.revision;
  return out;
}

function nicBack(n: DomainInterface, declared: DomainNicInput | undefined): DomainNicInput {
  const out: DomainNicInput = { mac: n.mac!.toLowerCase() };
  if (n.type === "network") out.network = n.network;
  else if (n.type === "bridge") out.bridge = n.bridge;
  else out.direct = { dev: n.dev, mode: n.mode ?? "vepa" };
  if (declared?.model !== undefined && n.model !== undefined) out.model = n.model;
  if (declared?.linkState !== undefined || n.linkState === "down") out.linkState = n.linkState ?? "up";
  return out;
}

/**
 * The domain as read back (from its persistent config: drift is judged there), in the input shape. What libvirt
 * fills in by itself is reported only where the user declared it, so an unchanged domain shows no diff; devices
 * someone added behind our back are reported, so they show as drift.
 */
export function readBack(m: DomainModel, declared: Props): Props {
  const d = domainInputs(declared);
  const out: Props = { name: m.name, memory: m.memory, vcpus: m.vcpu.current ?? m.vcpu.max };
  // "auto" stays "auto" while it resolved to what runs; a declared type is compared with the real one.
  out["type"] = declared["type"] === "auto" ? "auto" : m.type;
  for (const k of ["title", "description", "onPoweroff", "onReboot", "onCrash"] as const) if (declared[k] !== undefined && m[k] !== undefined) out[k] = m[k];
  // Only the namespaces declared: other tools' elements are theirs, not drift.
  if (Array.isArray(d.metadata)) out["metadata"] = metadataBack(m.metadata ?? [], d.metadata);
  if (declared["currentMemory"] !== undefined && m.currentMemory !== undefined) out["currentMemory"] = m.currentMemory;
  if (declared["maxVcpus"] !== undefined) out["maxVcpus"] = m.vcpu.max;
  if (d.cpu !== undefined && m.cpu !== undefined) out["cpu"] = pick(d.cpu as unknown as Rec, m.cpu as unknown as Rec);
  const dOs = d.os as Rec | undefined;
  if (dOs !== undefined) {
    const os = pick(dOs, { ...m.os, type: m.os.type === "linux" ? "xen" : m.os.type } as unknown as Rec);
    if (typeof dOs["machine"] === "string" && typeof os["machine"] === "string" && sameMachine(dOs["machine"], os["machine"])) os["machine"] = dOs["machine"];
    out["os"] = os;
  }
  const dFeat = d.features as Rec | undefined;
  if (dFeat !== undefined) out["features"] = Object.fromEntries(Object.keys(dFeat).map((k) => [k, (m.features as Rec | undefined)?.[k] === true]));
  const dDisks = new Map((d.disks ?? []).map((x) => [x.target, x]));
  const disks = (m.devices.disks ?? []).map((x) => diskBack(x, dDisks.get(x.target.dev)));
  if (declared["disks"] !== undefined || disks.length > 0) out["disks"] = disks;
  const dNics = new Map((d.networkInterfaces ?? []).map((n) => [n.mac?.toLowerCase(), n]));
  const nics = (m.devices.interfaces ?? []).map((n) => nicBack(n, dNics.get(n.mac?.toLowerCase())));
  if (declared["networkInterfaces"] !== undefined || nics.length > 0) out["networkInterfaces"] = nics;
  const dG = d.graphics as Rec | undefined;
  const g = m.devices.graphics?.[0];
  if (dG !== undefined && g !== undefined) out["graphics"] = pick(dG, { type: g.type, listen: g.listen, port: g.port, password: g.passwd });
  if (declared["video"] !== undefined) out["video"] = m.devices.videos?.[0]?.model ?? "none";
  const dS = d.serialConsole;
  const s = m.devices.serials?.[0];
  if (dS !== undefined && s !== undefined) out["serialConsole"] = s.type === "file" ? { type: "file", path: s.path } : { type: "pty" };
  if (declared["guestAgent"] !== undefined) out["guestAgent"] = (m.devices.channels ?? []).some((c) => c.targetName === GUEST_AGENT);
  if (declared["rng"] !== undefined) out["rng"] = (m.devices.rngs ?? []).length > 0;
  if (declared["tpm"] !== undefined) out["tpm"] = (m.devices.tpms ?? []).length > 0;
  if (declared["filesystems"] !== undefined) {
    out["filesystems"] = (m.devices.filesystems ?? []).map((f) => ({
      type: f.driver,
      source: f.sourceDir,
      target: f.tag,
      ...(f.readonly ? { readonly: true } : {}),
    }));
  }
  if (declared["memballoon"] !== undefined) out["memballoon"] = m.devices.memballoon?.model ?? "none";
  const dExtra = d.extraDevices;
  if (dExtra !== undefined) out["extraDevices"] = dExtra.filter((x) => (m.devices.extraDevices ?? []).some((a) => extraDeviceMatches(x, a)));
  tuningBack(m, declared, out);
  return out;
}
