import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { DomainModel } from "../../../../provider/xml/domain";
import { FIXTURES } from "../corpus";

/** test/fixtures/xml/domain. */
export const DOMAIN_FIXTURES = join(FIXTURES, "domain");

/** One domain corpus document and the model parseDomainXml must return for it. */
export interface DomainSample {
  file: string;
  xml: string;
  expected: unknown;
}

/** Every `domain/<name>.xml` with its `<name>.expected.json`. */
export function domainCorpus(): DomainSample[] {
  return readdirSync(DOMAIN_FIXTURES)
    .filter((f) => f.endsWith(".xml"))
    .sort()
    .map((f) => ({
      file: f,
      xml: readFileSync(join(DOMAIN_FIXTURES, f), "utf8"),
      expected: JSON.parse(readFileSync(join(DOMAIN_FIXTURES, f.replace(/\.xml$/, ".expected.json")), "utf8")),
    }));
}

/** Reads one domain corpus file. */
export function domainFixture(file: string): string {
  return readFileSync(join(DOMAIN_FIXTURES, file), "utf8");
}

/**
 * The declared part of a model read back: drops what libvirt fills in or reports (see the README of
 * provider/xml/domain for the full list), so build → parse can be compared with what was declared.
 */
export function declared(m: DomainModel): DomainModel {
  const strip = <T extends object>(o: T, ...keys: string[]): T => {
    const c = { ...o } as Record<string, unknown>;
    for (const k of ["alias", "address", ...keys]) delete c[k];
    return c as T;
  };
  const d = m.devices;
  const devices = {
    ...d,
    disks: d.disks?.map((x) => strip(x)),
    interfaces: d.interfaces?.map((x) => strip(x, "targetDev")),
    graphics: d.graphics?.map((x) => strip(x, "livePort")),
    videos: d.videos?.map((x) => strip(x)),
    serials: d.serials?.map((x) => strip(x, "ptyPath")),
    consoles: d.consoles?.map((x) => strip(x, "ptyPath")),
    channels: d.channels?.map((x) => strip(x, "state")),
    rngs: d.rngs?.map((x) => strip(x)),
    tpms: d.tpms?.map((x) => strip(x)),
    filesystems: d.filesystems?.map((x) => strip(x)),
    memballoon: d.memballoon === undefined ? undefined : strip(d.memballoon),
  };
  for (const k of Object.keys(devices) as (keyof typeof devices)[]) if (devices[k] === undefined) delete devices[k];
  const { id: _id, ...rest } = m;
  return { ...rest, devices };
}

const MiB = 2 ** 20;

/** A KVM guest with one of everything the model covers (i440fx: hot-plug needs no spare root ports). */
export const kvmModel = (name: string, extra: Partial<DomainModel> = {}): DomainModel => ({
  type: "kvm",
  name,
  title: "pvt kvm",
  description: "built by the domain model tests",
  memory: 256 * MiB,
  currentMemory: 128 * MiB,
  vcpu: { max: 2, current: 1 },
  cpu: { mode: "custom", model: "qemu64", check: "none" },
  os: { type: "hvm", arch: "x86_64", machine: "pc", boot: ["hd", "cdrom"] },
  features: { acpi: true, apic: true },
  onPoweroff: "destroy",
  onReboot: "restart",
  onCrash: "destroy",
  devices: {
    disks: [{ device: "cdrom", source: { type: "file" }, driver: { name: "qemu", type: "raw" }, target: { dev: "hdc", bus: "ide" }, readonly: true }],
    serials: [{ type: "pty" }],
    channels: [{ type: "unix", targetType: "virtio", targetName: "org.qemu.guest_agent.0" }],
    graphics: [{ type: "vnc", listen: "127.0.0.1", passwd: "s3cret" }],
    videos: [{ model: "vga" }],
    memballoon: { model: "virtio" },
    rngs: [{ model: "virtio", backend: "random", device: "/dev/urandom" }],
  },
  ...extra,
});

/** A TCG guest: q35, direct kernel boot, shared directories, spice, a log-file serial. */
export const qemuModel = (name: string, shareDir: string): DomainModel => ({
  type: "qemu",
  name,
  memory: 512 * MiB,
  vcpu: { max: 1 },
  os: { type: "hvm", machine: "q35", kernel: "/var/lib/pvt/vmlinuz", initrd: "/var/lib/pvt/initrd.gz", cmdline: "console=ttyS0 quiet" },
  features: { acpi: true, apic: true, pae: true },
  cpu: { mode: "host-model" },
  devices: {
    disks: [{ source: { type: "block", dev: "/dev/pvt-xml-none" }, target: { dev: "vdb", bus: "virtio" }, readonly: true, serial: "blk1", bootOrder: 1 }],
    filesystems: [{ driver: "9p", sourceDir: shareDir, tag: "share9p", accessMode: "mapped", readonly: true }],
    serials: [{ type: "file", path: "/var/log/pvt-xml-qemu.log" }],
    graphics: [{ type: "spice", listen: "127.0.0.1" }],
    videos: [{ model: "virtio", heads: 1 }],
    memballoon: { model: "none" },
    extraDevices: ["<watchdog model='i6300esb' action='reset'/>"],
  },
});

/** UEFI with secure boot, firmware picked by libvirt (q35 + SMM). */
export const efiModel = (name: string): DomainModel => ({
  type: "kvm",
  name,
  memory: 256 * MiB,
  vcpu: { max: 1 },
  os: { type: "hvm", arch: "x86_64", machine: "q35", firmware: "efi", secureBoot: true, enrolledKeys: true, boot: ["hd"] },
  features: { acpi: true, apic: true, smm: true },
  devices: { memballoon: { model: "none" } },
});

const xenDisk = (dev: string, path: string) => ({ source: { type: "file" as const, path }, driver: { name: "phy" }, target: { dev, bus: "xen" } });
const xenConsole = { type: "pty" as const, targetType: "xen", port: 0 };

/** Xen PV with direct kernel boot: phy disk on xvda, a netfront NIC, the xen console and balloon. */
export const xenPvModel = (name: string): DomainModel => ({
  type: "xen",
  name,
  memory: 256 * MiB,
  vcpu: { max: 1 },
  os: {
    type: "xen",
    arch: "x86_64",
    kernel: "/var/lib/xen/images/vmlinuz",
    initrd: "/var/lib/xen/images/tiny-initrd.gz",
    cmdline: "root=/dev/xvda console=hvc0",
  },
  devices: {
    disks: [xenDisk("xvda", "/var/lib/xen/images/pv.img")],
    interfaces: [{ type: "bridge", bridge: "xenbr0", mac: "00:16:3e:70:01:01", model: "netfront" }],
    consoles: [xenConsole],
    memballoon: { model: "xen" },
  },
});

/** Xen PV booted by pygrub from its own disk. */
export const xenPygrubModel = (name: string): DomainModel => ({
  type: "xen",
  name,
  memory: 256 * MiB,
  vcpu: { max: 1 },
  os: { type: "xen", bootloader: "/usr/lib/xen-4.17/bin/pygrub", bootloaderArgs: "--entry=1" },
  devices: {
    disks: [{ source: { type: "block", dev: "/dev/vg0/pygrub" }, driver: { name: "phy" }, target: { dev: "xvda", bus: "xen" } }],
    consoles: [xenConsole],
  },
});

/** Xen PVH: direct kernel boot, PV devices only. */
export const xenPvhModel = (name: string): DomainModel => ({
  type: "xen",
  name,
  memory: 512 * MiB,
  vcpu: { max: 2 },
  os: { type: "xenpvh", arch: "x86_64", kernel: "/var/lib/xen/images/vmlinuz", cmdline: "root=/dev/xvda" },
  devices: {
    disks: [{ source: { type: "file", path: "/var/lib/xen/images/pvh.qcow2" }, driver: { name: "qemu", type: "qcow2" }, target: { dev: "xvda", bus: "xen" } }],
    interfaces: [{ type: "network", network: "default", mac: "00:16:3e:70:01:02", model: "netfront" }],
    consoles: [xenConsole],
    memballoon: { model: "xen" },
  },
});

/** Xen HVM: hvmloader, emulated IDE CD-ROM beside a PV disk, VNC, xen features. */
export const xenHvmModel = (name: string): DomainModel => ({
  type: "xen",
  name,
  memory: 1024 * MiB,
  vcpu: { max: 2 },
  os: { type: "hvm", arch: "x86_64", loader: { path: "/usr/lib/xen-4.17/boot/hvmloader", type: "rom" }, boot: ["cdrom", "hd"] },
  features: { acpi: true, apic: true, pae: true, hap: true, viridian: true, xen: { passthrough: true, passthroughMode: "sync_pt" } },
  onCrash: "restart",
  devices: {
    disks: [
      { source: { type: "file", path: "/var/lib/xen/images/hvm.img" }, driver: { name: "file", type: "raw" }, target: { dev: "xvda", bus: "xen" } },
      {
        device: "cdrom",
        source: { type: "file", path: "/var/lib/xen/images/install.iso" },
        driver: { name: "qemu", type: "raw" },
        target: { dev: "hdc", bus: "ide" },
        readonly: true,
      },
    ],
    interfaces: [{ type: "bridge", bridge: "xenbr0", mac: "00:16:3e:70:01:03", model: "e1000" }],
    serials: [{ type: "pty", port: 0 }],
    graphics: [{ type: "vnc", listen: "127.0.0.1" }],
    videos: [{ model: "cirrus", vram: 8 * MiB }],
    memballoon: { model: "xen" },
  },
});
