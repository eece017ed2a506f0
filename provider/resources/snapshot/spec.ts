import type { ResourceSpec } from "../../diff";

export const snapshotSpec: ResourceSpec = {
  token: "virt:DomainSnapshot",
  className: "DomainSnapshot",
  module: "snapshot",
  ownerMark: false,
  doc:
    "A snapshot of a domain (`virsh snapshot-create`): internal (inside the domain's qcow2 disks, with the memory " +
    "state when the domain runs: a revert resumes the guest where it was) or external disk-only (each writable disk " +
    "gets an overlay file the domain goes on writing to; the image under it is frozen). A snapshot is immutable: any " +
    "change replaces it, and the plan says so. Deleting it removes its data and metadata. Reverting is not desired " +
    "state: it is an explicit action on the Domain (`revert`).",
  inputs: {
    domain: { type: { kind: "string", format: "name" }, doc: "The domain's name (e.g. a Domain's `name` output).", required: true, update: "replace" },
    name: { type: { kind: "string", format: "name" }, doc: "The snapshot's name, unique for its domain.", required: true, update: "replace" },
    description: { type: { kind: "string" }, doc: "Free text kept with the snapshot.", update: "replace" },
    kind: {
      type: { kind: "string", enum: ["internal", "external"] },
      doc: '"internal" (default): inside the qcow2 disks (every writable disk must be qcow2). "external": disk-only overlays (any format); the domain then runs on the overlays.',
      default: "internal",
      update: "replace",
    },
    memory: {
      type: { kind: "boolean" },
      doc: "With the memory state (internal snapshots of a running domain; default true). A running domain's internal snapshot always has it; a shut-off domain has none.",
      update: "replace",
    },
    overlays: {
      type: {
        kind: "array",
        key: "target",
        items: {
          kind: "object",
          name: "DomainSnapshotOverlay",
          properties: {
            target: { type: { kind: "string" }, doc: "The disk's target device (vda, sdb, ...).", required: true, update: "replace" },
            file: { type: { kind: "string", format: "absolutePath" }, doc: "The overlay file to create.", required: true, update: "replace" },
          },
        },
      },
      doc: "For an external snapshot: where each disk's overlay goes; disks not listed get libvirt's name (the image's path with the snapshot's name as extension).",
      update: "replace",
    },
  },
  outputs: {
    creationTime: { type: { kind: "integer" }, doc: "When it was taken, seconds since the epoch." },
    state: { type: { kind: "string" }, doc: "The domain's state it captured: running, paused, shutoff, or disk-snapshot (external)." },
    parent: { type: { kind: "string" }, doc: "The snapshot it was taken on top of, if any.", optional: true },
    current: { type: { kind: "boolean" }, doc: "Whether it is the domain's current snapshot (the last taken or reverted to)." },
    files: { type: { kind: "array", items: { kind: "string" } }, doc: "Files it made: the overlays of an external snapshot (empty for internal)." },
    uri: { type: { kind: "string" }, doc: "The libvirt URI of the domain's host." },
  },
};
