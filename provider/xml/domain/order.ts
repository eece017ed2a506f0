/**
 * libvirt 9.0's order of elements, as virDomainDefFormat writes them (checked against the test driver's
 * output). New elements are placed after the last existing one that comes before them, so an edited
 * document stays in the order libvirt itself would write.
 */

/** Children of `<domain>`. */
// prettier-ignore
export const DOMAIN_ORDER = [
  "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory", "currentMemory",
  "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads", "iothreadids", "cputune",
  "numatune", "resource", "sysinfo", "bootloader", "bootloader_args", "os", "idmap", "features", "cpu",
  "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "perf", "devices", "seclabel", "keywrap",
  "launchSecurity",
];

/** Children of `<os>`. */
// prettier-ignore
export const OS_ORDER = ["type", "firmware", "loader", "nvram", "kernel", "initrd", "cmdline", "dtb", "acpi", "boot", "bootmenu", "smbios", "bios"];

/** Children of `<features>` (libvirt's virDomainFeature order). */
// prettier-ignore
export const FEATURE_ORDER = [
  "acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm", "pvspinlock", "capabilities", "pmu",
  "vmport", "gic", "smm", "ioapic", "hpt", "vmcoreinfo", "htm", "nested-hv", "msrs", "ccf-assist", "xen",
  "cfpc", "sbbc", "ibs", "tcg", "async-teardown",
];

/** Children of `<devices>`, by element name. */
// prettier-ignore
export const DEVICE_ORDER = [
  "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial", "parallel",
  "console", "channel", "input", "tpm", "graphics", "sound", "audio", "video", "hostdev", "redirdev",
  "redirfilter", "hub", "watchdog", "memballoon", "rng", "nvram", "panic", "shmem", "memory", "iommu", "vsock",
  "crypto",
];

/** Children of `<disk>`. */
// prettier-ignore
export const DISK_ORDER = [
  "driver", "auth", "source", "backingStore", "backenddomain", "geometry", "blockio", "mirror", "target", "iotune",
  "readonly", "shareable", "transient", "serial", "wwn", "vendor", "product", "encryption", "boot", "alias", "address",
];

/** Children of `<interface>`. */
// prettier-ignore
export const INTERFACE_ORDER = [
  "mac", "source", "virtualport", "ip", "route", "script", "downscript", "backenddomain", "target", "guest", "model",
  "driver", "backend", "filterref", "tune", "teaming", "link", "mtu", "coalesce", "boot", "alias", "rom", "address",
];

/** Names in `order` that come before `name`: the `after` list for ensureChild/insertChild. */
export function before(order: readonly string[], name: string): string[] {
  const i = order.indexOf(name);
  return i < 0 ? [...order] : order.slice(0, i);
}
