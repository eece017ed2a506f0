import type { ResourceSpec } from "../diff";
import { poolSpec } from "./pool/spec";
import { commonInputs } from "./resource";

/** Every resource's spec table, for schema.json and the docs. */
export const allSpecs: ResourceSpec[] = [poolSpec].map((s) => ({ ...s, inputs: { ...s.inputs, ...commonInputs } }));
