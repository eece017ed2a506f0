import type { PropSpec, ResourceSpec } from "../../diff";
import { permissionsSpec } from "../specs";

const volumeRef = (what: string): PropSpec => ({
  type: {
    kind: "object",
    name: "VolumeRef",
    properties: {
      volume: { type: { kind: "string", format: "name" }, doc: `Name of the ${what} volume.`, required: true, update: "replace" },
      pool: { type: { kind: "string", format: "name" }, doc: "Its pool; default: this volume's pool.", update: "replace" },
    },
  },
  doc: `The ${what} volume, by name.`,
  update: "replace",
});

/** virt:Volume — the spec table. */
export const volumeSpec: ResourceSpec = {
  token: "virt:Volume",
  className: "Volume",
  module: "volume",
  doc:
    "A storage volume (a disk image) in a pool: empty, a copy-on-write overlay of a backing image, a copy of another " +
    "volume, or filled from a local file or an http(s) URL streamed over the connection. Growing `capacity` resizes " +
    "in place and keeps the data; shrinking is refused unless `allowShrink` is set.",
  inputs: {
    name: {
      type: { kind: "string", format: "name" },
      doc: "The volume's name, unique in its pool (the file name in a dir pool).",
      required: true,
      update: "replace",
    },
    pool: { type: { kind: "string", format: "name" }, doc: "The pool's name (e.g. a StoragePool's `name` output).", required: true, update: "replace" },
    capacity: {
      type: { kind: "size", min: 1 },
      doc: 'Virtual size: bytes, or a string with a unit ("20GiB"). Optional with source, cloneOf or backingStore (then their size).',
      update: "live",
      verb: "grown in place",
    },
    format: {
      type: { kind: "string", enum: ["raw", "qcow2", "qed", "vmdk", "vpc", "vdi", "iso"] },
      doc: "Image format.",
      default: "qcow2",
      update: "replace",
    },
    backingStore: {
      type: {
        kind: "object",
        properties: {
          volume: { type: { kind: "string", format: "name" }, doc: "A volume to read through to, by name.", update: "replace" },
          pool: { type: { kind: "string", format: "name" }, doc: "Pool of that volume; default: this volume's pool.", update: "replace" },
          path: { type: { kind: "string", format: "absolutePath" }, doc: "Or an image path on the host.", update: "replace" },
          format: { type: { kind: "string" }, doc: "Format of the backing image; default: read from the backing volume, else qcow2.", update: "replace" },
        },
      },
      doc: "Copy-on-write: this volume starts as the backing image and stores only its changes (format must be qcow2).",
      update: "replace",
    },
    cloneOf: volumeRef("source"),
    source: {
      type: { kind: "string" },
      doc:
        "Fill the new volume from a local file path (on the machine running Pulumi, checked at preview) or an http(s) URL, " +
        "streamed over the connection. Redirects are followed (at most 5); no hop may lead to a link-local or cloud " +
        "metadata address (169.254.0.0/16, fe80::/10): those are refused before connecting. Give `checksum` to verify it.",
      update: "replace",
    },
    checksum: {
      type: { kind: "string" },
      doc:
        'The source\'s digest, "sha256:<64 hex digits>" or "sha512:<128 hex digits>": the bytes are verified as they are ' +
        "uploaded, and a volume whose bytes do not match is deleted and the create fails. Checked when the volume is " +
        "created; a change alone does not replace it.",
      update: "live",
      control: true,
    },
    permissions: permissionsSpec("Permissions of the volume's file, set at creation."),
    followsDomain: {
      type: { kind: "boolean" },
      doc:
        "This volume is a disk of a Domain with `migration` set and moves with it: when only its host (connection) changes, the new volume is created " +
        "on the new host FIRST (same name, format, capacity), the domain's migration copies the disk's data into it, and the volume on the old host " +
        "is deleted afterwards — and only if no domain there uses it any more (else the delete is refused and names the domain). The plan says the data " +
        "moves. Without it a host change replaces the volume: a new one on the new host, the old one and its data deleted. Default false.",
      update: "live",
      control: true,
      recorded: true,
    },
    allowShrink: {
      type: { kind: "boolean" },
      doc: "Allow a smaller `capacity` to shrink the volume in place (data past the new end is lost). Default false.",
      update: "live",
      control: true,
    },
  },
  outputs: {
    key: { type: { kind: "string" }, doc: "libvirt's key for the volume (the path, in a dir pool)." },
    path: { type: { kind: "string" }, doc: "The volume's path on the host." },
    capacityBytes: { type: { kind: "integer" }, doc: "Virtual size in bytes, as libvirt reports it." },
    allocationBytes: {
      type: { kind: "integer" },
      doc: "Bytes allocated on the host, as of the last create or update (a refresh does not report usage as drift).",
    },
    uri: { type: { kind: "string" }, doc: "The libvirt URI the volume lives on." },
  },
};
