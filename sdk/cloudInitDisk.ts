import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, forwarder, ownerInput } from "./provider";

const provider = forwarder("cloudinit", "cloudInitDisk");

/** The `meta-data` file's fields. A change replaces the seed. */
export interface CloudInitMetaDataArgs {
  /**
   * `instance-id`. Default: `iid-` and 16 hex digits of a SHA-256 of the content, so every content change gives
   * cloud-init a new instance (most images act on a seed only when its instance-id is new).
   */
  instanceId?: pulumi.Input<string>;
  /** `local-hostname`: the guest's host name. */
  localHostname?: pulumi.Input<string>;
}

export interface CloudInitDiskArgs {
  /** The seed volume's name, unique in its pool, e.g. "web-seed.iso". A change replaces the seed. */
  name: pulumi.Input<string>;
  /** The pool's name, e.g. a StoragePool's `name` output. A change replaces the seed. */
  pool: pulumi.Input<string>;
  /**
   * The `user-data` file: a cloud-config (first line `#cloud-config`, then a YAML mapping, checked before
   * anything runs, with the line and column of any error) or a script (first line a shebang such as
   * `#!/bin/sh`). Stored as a secret. A change replaces the seed.
   */
  userData: pulumi.Input<string>;
  /** `meta-data`: instance-id (default: derived from the content) and local-hostname. A change replaces the seed. */
  metaData?: pulumi.Input<CloudInitMetaDataArgs>;
  /** The `network-config` file: network config version 2 YAML (`version: 2`). A change replaces the seed. */
  networkConfig?: pulumi.Input<string>;
  /** Where the seed lives; defaults to stack config `virt:uri`, then `LIBVIRT_DEFAULT_URI`. */
  connection?: pulumi.Input<ConnectionArgs>;
  /** Replace an existing volume of this name with the seed instead of failing. Default false. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A cloud-init NoCloud seed: an ISO 9660 image (Joliet and Rock Ridge, label `cidata`) with `user-data`,
 * `meta-data` and `network-config`, built in memory and uploaded as a raw volume into a pool. Attach it to a
 * Domain as a cdrom (`file: seed.path`, or `volume: { pool, volume: name }`).
 *
 * Nothing changes in place: any content change replaces the seed, under the same name, so its `path` stays the
 * same and the Domain's cdrom keeps pointing at it; the plan says when that happens and which instance-id the new
 * seed carries (cloud-init acts on a seed only when its instance-id is new).
 */
export class CloudInitDisk extends pulumi.dynamic.Resource {
  /** The seed volume's name. */
  declare readonly name: pulumi.Output<string>;
  /** The pool's name. */
  declare readonly pool: pulumi.Output<string>;
  /** libvirt's key for the seed volume (the path, in a dir pool). */
  declare readonly key: pulumi.Output<string>;
  /**
   * The seed's path on the host, for a Domain cdrom's `file`. A replaced seed keeps this path; a running domain
   * sees the new content after a cdrom media change or a restart (QEMU keeps the old image open until then).
   */
  declare readonly path: pulumi.Output<string>;
  /** The instance-id written into `meta-data` (given or derived). */
  declare readonly instanceId: pulumi.Output<string>;
  /** Bytes of the ISO image. */
  declare readonly size: pulumi.Output<number>;
  /** The libvirt URI the seed lives on. */
  declare readonly uri: pulumi.Output<string>;

  constructor(name: string, args: CloudInitDiskArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { key: undefined, path: undefined, instanceId: undefined, size: undefined, uri: undefined, ...args, userData: pulumi.secret(args.userData), __owner: ownerInput("CloudInitDisk", name, opts) },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "userData"] },
      "virt",
      "CloudInitDisk",
    );
  }
}
