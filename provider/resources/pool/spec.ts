import type { ResourceSpec } from "../../diff";
import { permissionsSpec } from "../specs";

export const POOL_TYPES = ["dir", "fs", "netfs", "logical", "disk", "iscsi"] as const;

const permissions = permissionsSpec("Permissions of the target directory, applied when the pool is built.");

/** virt:StoragePool — the spec table. */
export const poolSpec: ResourceSpec = {
  token: "virt:StoragePool",
  className: "StoragePool",
  module: "pool",
  doc:
    "A libvirt storage pool: a directory, filesystem, NFS share, LVM volume group, disk or iSCSI target that holds " +
    "volumes. Created, built (a dir pool's directory is made) and started; autostart changes apply live; a change of " +
    "type, target or source replaces the pool. Deleting refuses while the pool still holds volumes, and lists them.",
  inputs: {
    name: { type: { kind: "string", format: "name" }, doc: "The pool's name, unique on the host.", required: true, update: "replace" },
    type: {
      type: { kind: "string", enum: POOL_TYPES },
      doc: "Pool type: dir (default), fs, netfs, logical, disk or iscsi.",
      default: "dir",
      update: "replace",
    },
    target: {
      type: {
        kind: "object",
        properties: {
          path: {
            type: { kind: "string", format: "absolutePath" },
            doc: "Absolute path where volumes appear (a directory; /dev/VG for logical).",
            required: true,
            update: "replace",
          },
          permissions,
        },
      },
      doc: "Where the pool's volumes appear on the host.",
      required: true,
      update: "replace",
    },
    source: {
      type: {
        kind: "object",
        properties: {
          device: { type: { kind: "string" }, doc: "Block device path (fs, disk), or the target IQN (iscsi).", update: "replace" },
          devices: {
            type: { kind: "array", items: { kind: "string", format: "absolutePath" } },
            doc: "Physical volumes of an LVM volume group (logical).",
            update: "replace",
          },
          host: { type: { kind: "string" }, doc: "Server host name or address (netfs, iscsi).", update: "replace" },
          port: { type: { kind: "integer", min: 1, max: 65535 }, doc: "Server port (iscsi).", update: "replace" },
          dir: { type: { kind: "string", format: "absolutePath" }, doc: "Exported directory on the server (netfs).", update: "replace" },
          format: {
            type: { kind: "string" },
            doc: "Source format: nfs/cifs/glusterfs/auto (netfs), a filesystem (fs), dos/gpt (disk), lvm2 (logical).",
            update: "replace",
          },
          name: { type: { kind: "string" }, doc: "Volume group name (logical).", update: "replace" },
        },
      },
      doc: "Where the storage comes from (all types but dir).",
      update: "replace",
    },
    autostart: { type: { kind: "boolean" }, doc: "Start the pool when the host boots.", default: true, update: "live", verb: "set live" },
  },
  outputs: {
    uuid: { type: { kind: "string" }, doc: "The pool's UUID." },
    capacity: { type: { kind: "integer" }, doc: "Total size in bytes." },
    allocation: { type: { kind: "integer" }, doc: "Bytes allocated to volumes, as of the last create or update (a refresh does not report usage as drift)." },
    available: { type: { kind: "integer" }, doc: "Bytes free, as of the last create or update (a refresh does not report usage as drift)." },
    uri: { type: { kind: "string" }, doc: "The libvirt URI the pool lives on." },
  },
};
