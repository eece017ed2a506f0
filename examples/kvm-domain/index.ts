import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

const config = new pulumi.Config();
/** Prefix of every object's name on the host. */
const prefix = config.get("prefix") ?? "kvmdemo";
/** Where the pool's directory goes (QEMU runs as libvirt-qemu: every directory above it must be searchable). */
const poolPath = config.get("poolPath") ?? `/var/lib/libvirt/${prefix}-images`;
/** Third octet of the network's 10.213.N.0/24 subnet. */
const subnet = config.getNumber("subnet") ?? 78;
/** Plug the data volume and a second NIC into the running domain. */
const hotplug = config.getBoolean("hotplug") ?? false;
/** "bios" (default) or "efi" (OVMF): a change replaces the domain, as the plan says. */
const firmware = (config.get("firmware") as "bios" | "efi" | undefined) ?? "bios";

const pool = new virt.StoragePool("images", {
  name: `${prefix}-images`,
  target: { path: poolPath },
});

const data = new virt.Volume("data", {
  name: `${prefix}-data.qcow2`,
  pool: pool.name,
  capacity: config.get("dataSize") ?? "16MiB",
  format: "qcow2",
});

// Isolated: no forward, the guests only see each other and the host.
const lab = new virt.Network("lab", {
  name: `${prefix}-net`,
  mode: "isolated",
  ips: [{ address: `10.213.${subnet}.1`, prefix: 24 }],
});

// No boot disk: the domain runs its firmware only, which is all that live memory, vCPU and hot-plug changes need.
const vm = new virt.Domain("vm", {
  name: `${prefix}-vm`,
  // "auto" (default): KVM where the host has it, else QEMU's software emulation (TCG).
  type: (config.get("type") as "auto" | "kvm" | "qemu" | undefined) ?? "auto",
  memory: config.get("memory") ?? "256MiB", // the maximum: a change waits for a restart
  currentMemory: config.get("currentMemory") ?? "128MiB", // the balloon: changes live
  vcpus: config.getNumber("vcpus") ?? 1, // changes live, up to maxVcpus
  maxVcpus: 2,
  memballoon: "virtio",
  ...(firmware === "efi" ? { os: { firmware } } : {}),
  disks: hotplug ? [{ volume: { pool: data.pool, volume: data.name } }] : [],
  networkInterfaces: hotplug ? [{ network: lab.name }, { network: lab.name }] : [{ network: lab.name }],
  restartPolicy: (config.get("restartPolicy") as "pending" | "restart" | undefined) ?? "pending",
  shutdownTimeout: 2, // a domain with no OS ignores ACPI: it is forced off after this
  hotplugTimeout: 3, // ... and never releases a hot-unplugged device
});

export const domainId = vm.domainId;
export const uuid = vm.uuid;
export const macs = vm.macs;
export const pendingRestart = vm.pendingRestart;
export const state = vm.state;
