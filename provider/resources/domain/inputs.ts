import { createHash } from "node:crypto";
import { containsUnknown, defaultOf, formatSize, UNKNOWN } from "../../diff";
import { domainSpec } from "./spec";
import type { CheckFailure, Props } from "../provider";
import type { DomainDiskInput, DomainInputs, DomainNicInput } from "../shapes";

/**
 * A number the provider reads from the inputs or the state (a timeout, vcpus); absent — a state written before
 * the property existed — the spec table's default, so the default is written once.
 */
export function setting(p: Props, key: "shutdownTimeout" | "hotplugTimeout" | "vcpus"): number {
  const v = p[key];
  return typeof v === "number" ? v : (defaultOf(domainSpec.inputs, key) as number);
}

const PREFIX: Record<string, string> = { virtio: "vd", xen: "xvd", ide: "hd", scsi: "sd", sata: "sd", usb: "sd" };

/** The bus a disk gets when none is given. */
export function defaultBus(d: DomainDiskInput, type: string): string {
  if (type === "xen") return "xen";
  return d.device === "cdrom" ? "sata" : "virtio";
}

/** vda, vdb, ..., vdz, vdaa: libvirt's naming. */
function devName(prefix: string, index: number): string {
  let s = "";
  let n = index;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return prefix + s;
}

const sourceOf = (d: DomainDiskInput): string =>
  d.volume !== undefined
    ? `volume:${d.volume.pool}/${d.volume.volume}`
    : d.file !== undefined
      ? `file:${d.file}`
      : d.block !== undefined
        ? `block:${d.block}`
        : `empty:${d.device ?? "disk"}`;
const attachmentOf = (n: DomainNicInput): string =>
  n.network !== undefined ? `network:${n.network}` : n.bridge !== undefined ? `bridge:${n.bridge}` : `direct:${n.direct?.dev}`;

/**
 * Fills in what the user may leave out and must then stay stable: each disk's target device (the same disk —
 * same source — keeps the target it had; new ones take the next free name for their bus) and each NIC's MAC
 * (the NIC at the same position on the same attachment keeps its MAC; a new one gets a 52:54:00 MAC derived from
 * the domain's name, the NIC's position and attachment — the same in the preview and in the up that follows, so the
 * MAC a plan shows is the one attached; unknown while the name or attachment is).
 */
export function fillIdentities(inputs: Props, olds: Props | undefined, type: string): void {
  const disks = domainInputs(inputs).disks ?? [];
  const oldDisks = (olds?.["disks"] as DomainDiskInput[] | undefined) ?? [];
  const used = new Set(disks.map((d) => d.target).filter((t): t is string => typeof t === "string"));
  for (const d of disks) {
    if (d.target !== undefined) continue;
    const prior = oldDisks.find((o) => o.target !== undefined && sourceOf(o) === sourceOf(d) && !used.has(o.target));
    if (prior?.target !== undefined) {
      d.target = prior.target;
    } else {
      const prefix = PREFIX[d.bus ?? defaultBus(d, type)] ?? "sd";
      let i = 0;
      while (used.has(devName(prefix, i))) i++;
      d.target = devName(prefix, i);
    }
    used.add(d.target);
  }
  const nics = domainInputs(inputs).networkInterfaces ?? [];
  const oldNics = (olds?.["networkInterfaces"] as DomainNicInput[] | undefined) ?? [];
  const macs = new Set(nics.map((n) => n.mac).filter((m): m is string => typeof m === "string"));
  nics.forEach((n, i) => {
    if (n.mac !== undefined) return;
    const prior = oldNics[i];
    if (prior?.mac !== undefined && attachmentOf(prior) === attachmentOf(n) && !macs.has(prior.mac)) n.mac = prior.mac;
    else if (containsUnknown(inputs["name"]) || containsUnknown(n)) {
      n.mac = UNKNOWN;
      return;
    } else {
      for (let salt = 0; n.mac === undefined || macs.has(n.mac); salt++) n.mac = derivedMac(String(inputs["name"]), i, attachmentOf(n), salt);
    }
    macs.add(n.mac);
  });
}

/** A locally administered-style QEMU MAC (52:54:00:xx:xx:xx) from a hash: stable for the same domain, NIC and salt. */
export function derivedMac(domain: string, index: number, attachment: string, salt: number): string {
  const h = createHash("sha256").update(`pulumi-virt nic\0${domain}\0${index}\0${attachment}\0${salt}`).digest();
  return `52:54:00:${[...h.subarray(0, 3)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
}

/** Cross-field rules the spec table cannot express. Every failure names the property and what to do. */
export function validateDomain(p: Props, type: string): CheckFailure[] {
  const f: CheckFailure[] = [];
  const add = (property: string, reason: string) => f.push({ property, reason: `${property}: ${reason}` });
  const memory = domainInputs(p).memory;
  const current = domainInputs(p).currentMemory;
  if (typeof memory === "number" && typeof current === "number" && current > memory) {
    add("currentMemory", `${formatSize(current)} is more than memory (${formatSize(memory)}); raise memory or lower currentMemory`);
  }
  const vcpus = domainInputs(p).vcpus;
  const max = domainInputs(p).maxVcpus;
  if (typeof vcpus === "number" && typeof max === "number" && vcpus > max)
    add("vcpus", `${vcpus} is more than maxVcpus (${max}); raise maxVcpus or lower vcpus`);
  const xen = type === "xen";
  const os = (p["os"] ?? {}) as Record<string, unknown>;
  if (!xen && type !== "auto" && typeof type === "string") {
    if (os["type"] === "xen" || os["type"] === "xenpvh") add("os.type", `"${String(os["type"])}" is for Xen guests; a ${type} domain uses "hvm"`);
    if (os["bootloader"] !== undefined) add("os.bootloader", `a host-side bootloader is a Xen PV option; a ${type} domain boots from its disks or os.kernel`);
    if (p["memballoon"] === "xen") add("memballoon", `"xen" is the Xen balloon; use "virtio" for a ${type} domain`);
    const feats = (p["features"] ?? {}) as Record<string, unknown>;
    for (const x of ["hap", "viridian"]) if (feats[x] !== undefined) add(`features.${x}`, `is a Xen option; remove it for a ${type} domain`);
  }
  if (os["secureBoot"] === true && os["firmware"] !== "efi") add("os.secureBoot", 'needs os.firmware "efi"');
  const disks = domainInputs(p).disks ?? [];
  disks.forEach((d, i) => {
    const where = `disks[${i}]`;
    const sources = (["volume", "file", "block"] as const).filter((k) => d[k] !== undefined);
    if (sources.length > 1) add(where, `give one of volume, file or block, not ${sources.join(" and ")}`);
    if (sources.length === 0 && d.device !== "cdrom" && d.device !== "floppy")
      add(where, "needs a volume, file or block source (only a CD-ROM or floppy may be empty)");
    if (d.bus === "xen" && !xen && type !== "auto") add(`${where}.bus`, `the xen bus needs a Xen domain; use virtio, scsi, sata or ide for a ${type} domain`);
    if (xen && d.bus !== undefined && !["xen", "ide", "scsi"].includes(d.bus))
      add(`${where}.bus`, `a Xen domain uses the xen bus (or ide/scsi for HVM), not ${d.bus}`);
    if (d.bootOrder !== undefined && Array.isArray(os["boot"])) add(`${where}.bootOrder`, "cannot be combined with os.boot; use one or the other");
  });
  const nics = domainInputs(p).networkInterfaces ?? [];
  nics.forEach((n, i) => {
    const kinds = (["network", "bridge", "direct"] as const).filter((k) => n[k] !== undefined);
    if (kinds.length !== 1)
      add(`networkInterfaces[${i}]`, `give exactly one of network, bridge or direct${kinds.length ? `, not ${kinds.join(" and ")}` : ""}`);
    if (n.model === "netfront" && !xen && type !== "auto") add(`networkInterfaces[${i}].model`, `netfront is the Xen PV NIC; use virtio for a ${type} domain`);
  });
  const g = p["graphics"] as { type?: string; password?: unknown } | undefined;
  if (p["video"] !== undefined && p["video"] !== "none" && g === undefined) add("video", "a video device needs graphics");
  // QEMU's VNC authentication (DES) takes at most 8 characters; libvirt refuses a longer one when the domain is
  // defined. Said here, before the host is touched, without the value (a secret).
  if (g?.type === "vnc" && typeof g.password === "string" && g.password.length > 8) {
    add(
      "graphics.password",
      `a VNC password may have at most 8 characters (VNC's own limit; libvirt refuses more), this one has ${g.password.length}: use a shorter one, or spice`,
    );
  }
  const serial = p["serialConsole"] as { type?: string; path?: string } | undefined;
  if (serial?.type === "file" && serial.path === undefined) add("serialConsole.path", "a file console needs the path of its log file");
  return f;
}

/** Checked inputs (or a state) as the table types them: one cast here instead of one per property. */
export const domainInputs = (p: Props): DomainInputs => p as unknown as DomainInputs;
