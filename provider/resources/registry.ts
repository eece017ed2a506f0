import type { ResourceSpec } from "../diff";
import { poolSpec } from "./pool/spec";
import { volumeSpec } from "./volume/spec";
import { networkSpec } from "./network/spec";
import { domainSpec } from "./domain/spec";
import { cloudInitSpec } from "./cloudinit/spec";
import { snapshotSpec } from "./snapshot/spec";
import { commonInputs } from "./resource";

/** Every resource's spec table, for schema.json and the docs. */
export const allSpecs: ResourceSpec[] = [poolSpec, volumeSpec, networkSpec, domainSpec, cloudInitSpec, snapshotSpec].map((s) => ({
  ...s,
  inputs: { ...s.inputs, ...commonInputs },
}));
