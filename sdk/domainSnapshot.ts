import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, forwarder } from "./provider";

const provider = forwarder("snapshot", "domainSnapshot");

export interface DomainSnapshotArgs {
  /** The domain's name (e.g. a Domain's `name` output, so the domain is made first). A change replaces the snapshot. */
  domain: pulumi.Input<string>;
  /** The snapshot's name, unique for its domain. A change replaces it. */
  name: pulumi.Input<string>;
  /** Free text kept with the snapshot. A change replaces it. */
  description?: pulumi.Input<string>;
  /**
   * "internal" (default): inside the domain's qcow2 disks, with the memory state when the domain runs (a revert
   * resumes the guest where it was). "external": disk-only overlay files (any disk format); the domain goes on
   * writing to the overlays.
   */
  kind?: pulumi.Input<"internal" | "external">;
  /** With the memory state (internal snapshots of a running domain always have it). */
  memory?: pulumi.Input<boolean>;
  /** For an external snapshot: each disk's overlay file (others get libvirt's name beside the image). */
  overlays?: pulumi.Input<pulumi.Input<{ target: pulumi.Input<string>; file: pulumi.Input<string> }>[]>;
  /** Where the domain lives (as for the other resources). */
  connection?: pulumi.Input<ConnectionArgs>;
  /** Take over an existing snapshot of this name instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A snapshot of a domain (`virsh snapshot-create`). Immutable: any change replaces it, as the plan says. Deleting
 * it removes its data and metadata. Reverting to it is an explicit action on the Domain (`revert`), never state.
 */
export class DomainSnapshot extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly domain: pulumi.Output<string>;
  /** When it was taken, seconds since the epoch. */
  declare readonly creationTime: pulumi.Output<number>;
  /** The domain's state it captured: running, paused, shutoff, or disk-snapshot (external). */
  declare readonly state: pulumi.Output<string>;
  /** The snapshot it was taken on top of, if any. */
  declare readonly parent: pulumi.Output<string | undefined>;
  /** Whether it is the domain's current snapshot. */
  declare readonly current: pulumi.Output<boolean>;
  /** The overlay files of an external snapshot (empty for internal). */
  declare readonly files: pulumi.Output<string[]>;
  declare readonly uri: pulumi.Output<string>;

  constructor(name: string, args: DomainSnapshotArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { creationTime: undefined, state: undefined, parent: undefined, current: undefined, files: undefined, uri: undefined, ...args }, opts, "virt", "DomainSnapshot");
  }
}
