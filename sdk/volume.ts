import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, forwarder, ownerInput } from "./provider";
import type { PermissionsArgs } from "./storagePool";

const provider = forwarder("volume", "volume");

/** A volume named in a pool. */
export interface VolumeRefArgs {
  /** The volume's name. */
  volume: pulumi.Input<string>;
  /** Its pool; default: the new volume's pool. */
  pool?: pulumi.Input<string>;
}

export interface VolumeArgs {
  /** The volume's name, unique in its pool (the file name in a dir pool). A change replaces the volume. */
  name: pulumi.Input<string>;
  /** The pool's name, e.g. a StoragePool's `name` output. A change replaces the volume. */
  pool: pulumi.Input<string>;
  /**
   * Virtual size: bytes, or a string with a unit ("20GiB", "512MiB"). Growing it resizes in place and keeps the
   * data; shrinking is refused unless `allowShrink`. Optional with `source`, `cloneOf` or `backingStore`.
   */
  capacity?: pulumi.Input<number | string>;
  /** Image format: "qcow2" (default), "raw", "qed", "vmdk", "vpc", "vdi", "iso". A change replaces the volume. */
  format?: pulumi.Input<"raw" | "qcow2" | "qed" | "vmdk" | "vpc" | "vdi" | "iso">;
  /** Copy-on-write over a backing image: another volume by name, or a path on the host. A change replaces it. */
  backingStore?: pulumi.Input<{ volume?: pulumi.Input<string>; pool?: pulumi.Input<string>; path?: pulumi.Input<string>; format?: pulumi.Input<string> }>;
  /** Start as a full copy of another volume. A change replaces the volume. */
  cloneOf?: pulumi.Input<VolumeRefArgs>;
  /**
   * Fill from a local file (on the machine running Pulumi; checked at preview) or an http(s) URL, streamed over the
   * connection. Redirects are followed (at most 5); a URL or redirect to a link-local or cloud metadata address
   * (169.254.0.0/16, fe80::/10) is refused before connecting.
   */
  source?: pulumi.Input<string>;
  /**
   * The source's digest, "sha256:<64 hex digits>" or "sha512:<128 hex digits>": verified while uploading; on a
   * mismatch the volume is deleted and the create fails. A change alone does not replace the volume.
   */
  checksum?: pulumi.Input<string>;
  /** Permissions of the volume's file, set at creation. A change replaces the volume. */
  permissions?: pulumi.Input<PermissionsArgs>;
  /** Allow a smaller `capacity` to shrink the volume (data past the new end is lost). Default false. */
  allowShrink?: pulumi.Input<boolean>;
  /**
   * A disk of a Domain with `migration`: when only `connection` (the host) changes, the new volume is created on
   * the new host first, the domain's migration copies the data into it, and the old volume is deleted afterwards,
   * only once no domain there uses it. The plan says the data moves. Default false (a host change replaces the
   * volume and deletes its data).
   */
  followsDomain?: pulumi.Input<boolean>;
  /** Where the volume lives; defaults to stack config `virt:uri`, then `LIBVIRT_DEFAULT_URI`. */
  connection?: pulumi.Input<ConnectionArgs>;
  /**
   * Take over an existing volume of this name instead of failing. Default false. From then on the stack owns it:
   * destroy deletes the volume and its data (keep it with the resource option `retainOnDelete: true`).
   */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A storage volume (disk image) in a pool. Growing `capacity` is applied in place with the data kept; a change of
 * format, backing store, clone source or source replaces the volume.
 */
export class Volume extends pulumi.dynamic.Resource {
  /** The volume's name. */
  declare readonly name: pulumi.Output<string>;
  /** The pool's name. */
  declare readonly pool: pulumi.Output<string>;
  /** libvirt's key for the volume (the path, in a dir pool). */
  declare readonly key: pulumi.Output<string>;
  /** The volume's path on the host. */
  declare readonly path: pulumi.Output<string>;
  /** Virtual size in bytes, as libvirt reports it. */
  declare readonly capacityBytes: pulumi.Output<number>;
  /** Bytes allocated on the host, as of the last create or update (a refresh does not report usage as drift). */
  declare readonly allocationBytes: pulumi.Output<number>;
  /** The libvirt URI the volume lives on. */
  declare readonly uri: pulumi.Output<string>;

  constructor(name: string, args: VolumeArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { key: undefined, path: undefined, capacityBytes: undefined, allocationBytes: undefined, uri: undefined, ...args, __owner: ownerInput("Volume", name, opts) }, opts, "virt", "Volume");
  }
}
