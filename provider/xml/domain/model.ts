/**
 * The typed model of `<domain>` (https://libvirt.org/formatdomain.html): one type per element, the parts of
 * a domain a user declares, plus read-only fields libvirt fills in (marked "Read-only": build and apply
 * never write them). Sizes are bytes. Fields libvirt fills in when unset say so; a read of a domain defined
 * from a model differs from the model only in those (see docs in each field and the module README).
 */
import type { DomainTuning } from "./tuning";
import type { DomainChannel, DomainChardev } from "./devices/chardev";
import type { DomainDisk } from "./devices/disk";
import type { DomainFilesystem } from "./devices/filesystem";
import type { DomainGraphics, DomainVideo } from "./devices/graphics";
import type { DomainInterface } from "./devices/interface";
import type { DomainMemballoon, DomainRng, DomainTpm } from "./devices/misc";
import type { DomainMetadataElement } from "./metadata";

/** `<domain type=...>`: the hypervisor driver. "qemu" is TCG (software emulation), "test" the test driver. */
export type DomainType = "kvm" | "qemu" | "xen" | "test";

/**
 * `<os><type>`: hvm (full virtualisation: KVM, QEMU, Xen HVM), xen (Xen PV), xenpvh (Xen PVH).
 * "linux" is libvirt's old name for Xen PV: libvirt 9.0 reads it as "xen" and, for `type='xen'` domains,
 * writes "xen" back as "linux" — parse reports "xen" for either.
 */
export type OsType = "hvm" | "xen" | "xenpvh" | "linux";

/** `<boot dev=...>`. */
export type BootDevice = "hd" | "cdrom" | "network" | "fd";

/** `<loader>`: firmware image. libvirt fills it in for `firmware: "efi"` when the domain first starts. */
export interface DomainLoader {
  path: string;
  /** pflash (UEFI code) or rom (SeaBIOS, Xen's hvmloader). */
  type?: string;
  readonly?: boolean;
  /** Secure-boot capable build (`secure='yes'`, needs `features.smm` on q35). */
  secure?: boolean;
}

/** `<nvram>`: the domain's UEFI variable store. */
export interface DomainNvram {
  /** The per-domain copy; libvirt fills /var/lib/libvirt/qemu/nvram/NAME_VARS.fd. */
  path?: string;
  /** Variables template it is copied from (e.g. OVMF_VARS_4M.ms.fd, with Microsoft keys enrolled). */
  template?: string;
}

/** `<os>` plus Xen's `<bootloader>`/`<bootloader_args>` (which libvirt keeps beside `<os>`). */
export interface DomainOs {
  type: OsType;
  /** Guest architecture; unset: the host's (libvirt fills it in, e.g. x86_64). */
  arch?: string;
  /**
   * Machine type; unset: libvirt's default (pc-i440fx-X.Y on QEMU x86, xenpv/xenfv/xenpvh on Xen). libvirt
   * expands aliases ("pc" → "pc-i440fx-7.2", "q35" → "pc-q35-7.2"); {@link sameMachine} compares them.
   */
  machine?: string;
  /** `<os firmware=...>`: let libvirt pick the firmware (efi: OVMF). */
  firmware?: "bios" | "efi";
  /** Require a secure-boot firmware (`<firmware><feature name='secure-boot'>`); with efi. */
  secureBoot?: boolean;
  /** Require pre-enrolled keys (`<feature name='enrolled-keys'>`); with efi. */
  enrolledKeys?: boolean;
  /** Explicit firmware. Unset on update: kept as libvirt filled it in. */
  loader?: DomainLoader;
  /** UEFI variable store. Unset on update: kept as libvirt filled it in. */
  nvram?: DomainNvram;
  /**
   * Boot order by device class. Cannot be combined with per-device `bootOrder`. Unset on update: kept,
   * unless a device has a `bootOrder` (then removed).
   */
  boot?: BootDevice[];
  /** Direct kernel boot: kernel image path on the host (HVM, Xen PV and PVH). */
  kernel?: string;
  initrd?: string;
  /** Kernel command line. */
  cmdline?: string;
  /** Xen PV: a bootloader run on the host to pick the kernel from the guest's disk (e.g. pygrub). */
  bootloader?: string;
  bootloaderArgs?: string;
}

/** `<vcpu>`. */
export interface DomainVcpu {
  /** vCPUs the domain can have (the `<vcpu>` value); fixed while it runs. */
  max: number;
  /** vCPUs online at boot (`current=`); unset: all of `max`. Can be raised live up to `max`. */
  current?: number;
  /** static or auto (NUMA placement by numad); libvirt fills static. */
  placement?: "static" | "auto";
}

/** `<cpu>`: the CPU model the guest sees. */
export interface DomainCpu {
  /**
   * host-passthrough: the host CPU as is; host-model: the closest named model plus host features;
   * custom: the named `model`; maximum: everything the hypervisor can offer.
   */
  mode: "host-passthrough" | "host-model" | "custom" | "maximum";
  /** CPU model name for mode custom (e.g. "qemu64", "Nehalem"). */
  model?: string;
  /** none, partial, full: how strictly QEMU's CPU is checked against it. libvirt fills it in (and makes it full once running). */
  check?: "none" | "partial" | "full";
}

/** Xen's `<features><xen>`. */
export interface XenFeatures {
  /** Expose the host e820 memory map (PV, for PCI passthrough). */
  e820Host?: boolean;
  /** IOMMU page-table passthrough for PCI devices; `passthroughMode` sync_pt or share_pt. */
  passthrough?: boolean;
  passthroughMode?: "sync_pt" | "share_pt";
}

/**
 * `<features>`. Presence-only features (acpi, apic, pae, viridian, privnet): true writes `<name/>`, false
 * and unset leave it out (a read never reports false for them). On/off features (hap, smm, pvspinlock,
 * vmport, pmu, vmcoreinfo): true writes `<name/>` (libvirt writes it back as state='on'), false
 * `state='off'`. Features not listed here (hyperv, kvm, ioapic, gic, ...) are kept on update, never read.
 */
export interface DomainFeatures {
  acpi?: boolean;
  apic?: boolean;
  pae?: boolean;
  /** Xen HVM: hardware-assisted paging. */
  hap?: boolean;
  /** Xen HVM: Hyper-V enlightenments for Windows guests. */
  viridian?: boolean;
  privnet?: boolean;
  pvspinlock?: boolean;
  vmport?: boolean;
  /** System management mode: needed for UEFI secure boot on q35. */
  smm?: boolean;
  pmu?: boolean;
  vmcoreinfo?: boolean;
  xen?: XenFeatures;
}

/** on_poweroff / on_reboot / on_crash actions. */
export type LifecycleAction = "destroy" | "restart" | "preserve" | "rename-restart" | "coredump-destroy" | "coredump-restart";

/** `<devices>`, by kind. Lists keep document order. */
export interface DomainDevices {
  /** Matched by target dev on update. */
  disks?: DomainDisk[];
  /** Matched by MAC on update. */
  interfaces?: DomainInterface[];
  graphics?: DomainGraphics[];
  /** Unset on update: kept (libvirt adds one when there is graphics). */
  videos?: DomainVideo[];
  serials?: DomainChardev[];
  /**
   * Consoles of their own (virtio, xen). libvirt adds a console mirroring serial port 0 by itself
   * (`<target type='serial'>`); parse leaves such mirrors out and apply keeps them while the serial exists.
   * libxl adds a xen console to every PV/PVH domain.
   */
  consoles?: DomainChardev[];
  channels?: DomainChannel[];
  rngs?: DomainRng[];
  tpms?: DomainTpm[];
  filesystems?: DomainFilesystem[];
  /** Unset on update: kept (QEMU adds a virtio balloon, libxl a xen one, when there is none). */
  memballoon?: DomainMemballoon;
  /**
   * Raw device XML, kept as given and carried through every update (the escape hatch: hostdev, watchdog,
   * USB tablet, a virtio-scsi controller, ...). Matched against the domain's devices by containment (see
   * devices/extra.ts); apply adds the missing ones and keeps every device the model does not cover. On read:
   * every element of `<devices>` the typed lists do not cover — libvirt's own additions (emulator,
   * controllers, PS/2 input, audio) included — each as one line with what libvirt added (alias, address).
   */
  extraDevices?: string[];
}

/** A domain as declared and as read back. */
export interface DomainModel {
  type: DomainType;
  name: string;
  /** Unset: libvirt generates one. A redefinition must keep it (read it back into the model). */
  uuid?: string;
  /** `<domain id=...>` of a running domain. Read-only. */
  id?: number;
  title?: string;
  description?: string;
  /**
   * Custom `<metadata>` elements, one per namespace URI. On update only the listed namespaces are written;
   * elements of other namespaces are kept.
   */
  metadata?: DomainMetadataElement[];
  /** `<memory>`: the boot-time maximum, in bytes (a whole number of KiB). */
  memory: number;
  /** `<currentMemory>`: the balloon target, bytes; unset: libvirt fills `memory`. */
  currentMemory?: number;
  vcpu: DomainVcpu;
  /** Unset: libvirt's default (for kvm/qemu it fills mode custom, model qemu64, check none). Kept on update when unset. */
  cpu?: DomainCpu;
  os: DomainOs;
  /** Unset on update: `<features>` is kept as it is. */
  features?: DomainFeatures;
  /** Unset: libvirt fills destroy, restart, destroy. */
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: LifecycleAction;
  devices: DomainDevices;
  /**
   * Tuning leaves by path ("memtune/hard_limit" → "1048576", libvirt's unit): read, every one the document has;
   * on build and apply, the ones given are set (or removed, when `undefined`) and the rest kept. See tuning.ts.
   */
  tuning?: DomainTuning;
}
