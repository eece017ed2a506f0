import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

// A Xen PV guest for a Xen host's libvirt (the libxl driver), e.g. virt:uri xen+tcp://127.0.0.1:26509/system
// or xen:///system on dom0. See README.md.
const config = new pulumi.Config();
/** Prefix of every object's name on the host. */
const prefix = config.get("prefix") ?? "xendemo";
/** Where the pool's directory goes (on the Xen host). */
const poolPath = config.get("poolPath") ?? `/var/lib/xen/${prefix}-images`;
/** An existing image file on the host to use as the disk instead: then no pool and no volume are made. */
const diskPath = config.get("diskPath");
/** The guest's kernel and initrd, files on the Xen host (dom0), booted directly (PV: no firmware, no bootloader). */
const kernel = config.get("kernel") ?? "/var/lib/xen/images/vmlinuz";
const initrd = config.get("initrd") ?? "/var/lib/xen/images/tiny-initrd.gz";
const cmdline = config.get("cmdline") ?? "console=hvc0";
/** The NIC goes on this host bridge (xenbr0 is Xen's usual one), or, with `network` set, on that libvirt network. */
const bridge = config.get("bridge") ?? "xenbr0";
const network = config.get("network");
/** Add a second raw volume from the pool as a second disk (xvdb): set and unset on a running guest, it is hot-plugged and unplugged. */
const secondDisk = config.getBoolean("secondDisk") ?? false;

let disk: pulumi.Input<string>;
let pool: virt.StoragePool | undefined;
let image: virt.Volume | undefined;
let data: virt.Volume | undefined;
if (diskPath === undefined) {
  pool = new virt.StoragePool("images", {
    name: `${prefix}-images`,
    target: { path: poolPath },
  });
  // raw: what Xen's phy backend (a loop device in dom0) takes; qcow2 would need qdisk (qemu-system-xen in dom0).
  image = new virt.Volume("disk", {
    name: `${prefix}-guest.img`,
    pool: pool.name,
    capacity: config.get("diskSize") ?? "64MiB",
    format: "raw",
  });
  // The volume by its path: a file disk, which libxl hands to the phy backend.
  disk = image.path;
  if (secondDisk) {
    data = new virt.Volume("data", {
      name: `${prefix}-data.img`,
      pool: pool.name,
      capacity: config.get("secondDiskSize") ?? "32MiB",
      format: "raw",
    });
  }
} else {
  disk = diskPath;
}

const guest = new virt.Domain("guest", {
  name: `${prefix}-guest`,
  type: "xen",
  os: { type: "xen", kernel, ...(initrd !== "" ? { initrd } : {}), cmdline },
  memory: config.get("memory") ?? "256MiB", // the maximum: a change waits for a restart
  currentMemory: config.get("currentMemory") ?? "192MiB", // the balloon target: changes live
  vcpus: config.getNumber("vcpus") ?? 1, // changes live, up to maxVcpus
  maxVcpus: 2,
  // bus and model left out: xen (target xvda) and netfront on a Xen domain; memballoon: xen
  disks: data !== undefined ? [{ file: disk }, { file: data.path }] : [{ file: disk }],
  networkInterfaces: [network !== undefined ? { network } : { bridge }],
  // A guest that ignores the shutdown request is forced off after this (delete, running: false).
  shutdownTimeout: config.getNumber("shutdownTimeout") ?? 10,
  // "restart": changes that wait for a restart (e.g. memory) are applied now by a graceful restart.
  restartPolicy: (config.get("restartPolicy") as "pending" | "restart" | undefined) ?? "pending",
  // A hot-unplugged disk is gone once the guest's blkfront has let it go.
  hotplugTimeout: config.getNumber("hotplugTimeout") ?? 30,
});

export const poolName = pool?.name;
export const imagePath = image?.path ?? diskPath;
export const domainId = guest.domainId;
export const uuid = guest.uuid;
export const macs = guest.macs;
export const state = guest.state;
export const actualMemory = guest.actualMemory;
export const pendingRestart = guest.pendingRestart;
export const resolvedType = guest.resolvedType;
export const dataPath = data?.path;
