import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, forwarder, ownerInput } from "./provider";

// One provider object per resource kind: Pulumi caches its serialization by object identity.
const provider = forwarder("pool", "storagePool");

/** Permissions of a directory or file. */
export interface PermissionsArgs {
  /** Octal mode, e.g. "0755". */
  mode?: pulumi.Input<string>;
  /** Owner uid. */
  owner?: pulumi.Input<number>;
  /** Group gid. */
  group?: pulumi.Input<number>;
  /** SELinux/AppArmor label. */
  label?: pulumi.Input<string>;
}

export interface StoragePoolArgs {
  /** The pool's name, unique on the host. A change replaces the pool. */
  name: pulumi.Input<string>;
  /** Pool type: "dir" (default), "fs", "netfs", "logical", "disk" or "iscsi". A change replaces the pool. */
  type?: pulumi.Input<"dir" | "fs" | "netfs" | "logical" | "disk" | "iscsi">;
  /** Where the volumes appear: an absolute path (a directory; /dev/VG for logical). A change replaces the pool. */
  target: pulumi.Input<{ path: pulumi.Input<string>; permissions?: pulumi.Input<PermissionsArgs> }>;
  /** Where the storage comes from (all types but dir). A change replaces the pool. */
  source?: pulumi.Input<{
    /** Block device (fs, disk) or target IQN (iscsi). */
    device?: pulumi.Input<string>;
    /** Physical volumes of an LVM volume group (logical). */
    devices?: pulumi.Input<pulumi.Input<string>[]>;
    /** Server host (netfs, iscsi). */
    host?: pulumi.Input<string>;
    /** Server port (iscsi). */
    port?: pulumi.Input<number>;
    /** Exported directory (netfs). */
    dir?: pulumi.Input<string>;
    /** Source format: nfs/cifs/glusterfs/auto (netfs), a filesystem (fs), dos/gpt (disk), lvm2 (logical). */
    format?: pulumi.Input<string>;
    /** Volume group name (logical). */
    name?: pulumi.Input<string>;
  }>;
  /** Start the pool when the host boots. Default true. Applied live. */
  autostart?: pulumi.Input<boolean>;
  /** Where the pool lives; defaults to stack config `virt:uri`, then `LIBVIRT_DEFAULT_URI`. A change replaces it. */
  connection?: pulumi.Input<ConnectionArgs>;
  /** Take over an existing pool of this name instead of failing. Default false. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A libvirt storage pool. Created, built (a dir pool's directory is made) and started. `autostart` changes apply
 * live; a change of type, target or source replaces the pool. Deleting refuses while the pool still holds
 * volumes the stack does not manage, and lists them.
 */
export class StoragePool extends pulumi.dynamic.Resource {
  /** The pool's name. */
  declare readonly name: pulumi.Output<string>;
  /** The pool's UUID. */
  declare readonly uuid: pulumi.Output<string>;
  /** Total size in bytes. */
  declare readonly capacity: pulumi.Output<number>;
  /** Bytes allocated to volumes, as of the last create or update (a refresh does not report usage as drift). */
  declare readonly allocation: pulumi.Output<number>;
  /** Bytes free, as of the last create or update (a refresh does not report usage as drift). */
  declare readonly available: pulumi.Output<number>;
  /** The libvirt URI the pool lives on. */
  declare readonly uri: pulumi.Output<string>;
  /** The target directory. */
  declare readonly target: pulumi.Output<{ path: string; permissions?: { mode?: string; owner?: number; group?: number; label?: string } }>;

  constructor(name: string, args: StoragePoolArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { uuid: undefined, capacity: undefined, allocation: undefined, available: undefined, uri: undefined, ...args, __owner: ownerInput("StoragePool", name, opts) }, opts, "virt", "StoragePool");
  }
}
