/** Pure planning: (current, desired, spec) → changes, each live / config / replace. No I/O. */
export * from "./spec";
export * from "./plan";
export * from "./format";
export * from "./units";
