import type { ResourceSpec } from "../../diff";

/** virt:CloudInitDisk — the spec table. */
export const cloudInitSpec: ResourceSpec = {
  token: "virt:CloudInitDisk",
  className: "CloudInitDisk",
  module: "cloudinit",
  doc:
    "A cloud-init NoCloud seed: an ISO 9660 image (Joliet and Rock Ridge, volume label `cidata`) holding " +
    "`user-data`, `meta-data` and optionally `network-config`, built in memory and uploaded as a raw volume into a " +
    "storage pool, where it stays for as long as the resource exists. Attach it to a Domain as a cdrom by its `path` " +
    "(or by volume name and pool). Nothing changes in place: any change of content replaces the seed under the same " +
    "name, so its `path` stays the same and a Domain's cdrom keeps pointing at it (a running guest's QEMU keeps the " +
    "old image open until the cdrom's media is changed or the domain is restarted). cloud-init in most images acts " +
    "on a seed only when its instance-id is new; the default instance-id is derived from the content, so every " +
    "content change gives a new one.",
  inputs: {
    name: {
      type: { kind: "string", format: "name" },
      doc: 'The seed volume\'s name, unique in its pool (the file name in a dir pool), e.g. "web-seed.iso".',
      required: true,
      update: "replace",
    },
    pool: { type: { kind: "string", format: "name" }, doc: "The pool's name (e.g. a StoragePool's `name` output).", required: true, update: "replace" },
    userData: {
      type: { kind: "string" },
      doc:
        "The `user-data` file: a cloud-config (first line `#cloud-config`, then a YAML mapping, checked for " +
        "well-formedness before anything runs) or a script (first line a shebang such as `#!/bin/sh`, not parsed). " +
        "A secret: never shown in plans or errors.",
      required: true,
      secret: true,
      update: "replace",
    },
    metaData: {
      type: {
        kind: "object",
        name: "CloudInitMetaData",
        properties: {
          instanceId: {
            type: { kind: "string" },
            doc: "`instance-id`. Default: `iid-` and 16 hex digits of a SHA-256 of the content, so a content change gives a new one.",
            update: "replace",
          },
          localHostname: {
            type: { kind: "string" },
            doc: "`local-hostname`: the guest's host name (letters, digits, hyphens; dots between labels).",
            update: "replace",
          },
        },
      },
      doc: "The `meta-data` file's fields.",
      update: "replace",
    },
    networkConfig: {
      type: { kind: "string" },
      doc: "The `network-config` file: network config version 2 YAML (netplan format: `version: 2`, or `network:` holding it). Optional.",
      update: "replace",
    },
  },
  outputs: {
    key: { type: { kind: "string" }, doc: "libvirt's key for the seed volume (the path, in a dir pool)." },
    path: {
      type: { kind: "string" },
      doc:
        "The seed volume's path on the host: a Domain cdrom's `file`. A replaced seed keeps this path (same name, same " +
        "pool); a running domain sees the new content after a media change or a restart.",
    },
    instanceId: { type: { kind: "string" }, doc: "The instance-id written into `meta-data` (given or derived)." },
    size: { type: { kind: "integer" }, doc: "Bytes of the ISO image (the volume's capacity)." },
    uri: { type: { kind: "string" }, doc: "The libvirt URI the seed lives on." },
  },
};
