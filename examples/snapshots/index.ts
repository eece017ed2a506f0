import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

// A domain on a qcow2 volume, a snapshot of it, and an explicit revert. See README.md.
const config = new pulumi.Config();
const prefix = config.get("prefix") ?? "snapdemo";
const poolPath = config.get("poolPath") ?? `/var/lib/libvirt/images/${prefix}`;

const pool = new virt.StoragePool("images", { name: `${prefix}-images`, target: { path: poolPath } });
const disk = new virt.Volume("disk", { name: `${prefix}-disk.qcow2`, pool: pool.name, capacity: "64MiB", format: "qcow2" });

const vm = new virt.Domain("vm", {
  name: `${prefix}-vm`,
  type: "auto",
  memory: "128MiB",
  disks: [{ volume: { pool: pool.name, volume: disk.name } }],
  // "running", "paused" or "shutoff", applied live.
  powerState: (config.get("powerState") as "running" | "paused" | "shutoff" | undefined) ?? "running",
  // Set `revertTo` to a snapshot's name and change `revertTrigger` to go back to it (everything since is discarded).
  ...(config.get("revertTo") !== undefined ? { revert: { snapshot: config.require("revertTo"), trigger: config.require("revertTrigger") } } : {}),
  shutdownTimeout: config.getNumber("shutdownTimeout") ?? 10,
});

// Taken once, before the risky change; immutable (a change of its inputs replaces it, as the plan says).
const before = new virt.DomainSnapshot("before-upgrade", {
  domain: vm.name,
  name: "before-upgrade",
  description: "taken before the risky change",
});

export const snapshotName = before.name;
export const snapshotState = before.state;
export const snapshotCurrent = before.current;
export const powerState = vm.powerState;
export const domainId = vm.domainId;
