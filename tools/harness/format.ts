/** Human-readable lines for steps and results (used by the CLI and by verbose runs). */
import { UNKNOWN } from "./proto";
import type { OperationResult, Step, StepOp } from "./types";

const SYMBOL: Record<StepOp, string> = {
  create: "+",
  update: "~",
  replace: "+-",
  same: " ",
  delete: "-",
  "delete-replaced": "--",
  "refresh-same": " ",
  "refresh-update": "~",
  "refresh-delete": "-",
  refresh: "!",
};

const DONE: Record<StepOp, [planned: string, done: string]> = {
  create: ["create", "created"],
  update: ["update", "updated"],
  replace: ["replace", "replaced"],
  same: ["unchanged", "unchanged"],
  delete: ["delete", "deleted"],
  "delete-replaced": ["delete (replaced)", "deleted (replaced)"],
  "refresh-same": ["unchanged", "unchanged"],
  "refresh-update": ["drifted", "drifted, state updated"],
  "refresh-delete": ["gone", "gone, removed from state"],
  refresh: ["read", "read"],
};

/** `pulumi-nodejs:dynamic/virt:Volume` -> `virt:Volume`; other tokens unchanged. */
export function displayType(type: string): string {
  return type.replace(/^pulumi-nodejs:dynamic\//, "").replace(/^pulumi-nodejs:dynamic:/, "dynamic:");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** e.g. `+ virt:Volume data created (1.2 s)`, `+- virt:Domain web replaced [cpu] (3.0 s)`. */
export function formatStep(step: Step): string {
  const [planned, done] = DONE[step.op];
  const d = step.detail;
  const parts = [`${step.error ? "x" : SYMBOL[step.op]} ${displayType(step.type)} ${step.name}`];
  parts.push(step.error ? `${planned} FAILED: ${step.error}` : step.preview ? planned : done);
  if (d.replaces?.length) parts.push(`[replace: ${d.replaces.join(", ")}${d.deleteBeforeReplace ? "; delete first" : ""}]`);
  else if (d.changedInputs?.length && step.op !== "same") parts.push(`[${d.changedInputs.join(", ")}]`);
  if (d.driftKeys?.length) parts.push(`[${d.driftKeys.join(", ")}]`);
  if (d.initErrors?.length) parts.push(`[init errors: ${d.initErrors.join("; ")}]`);
  if (d.note) parts.push(`(${d.note})`);
  if (!step.preview && step.op !== "same" && step.op !== "refresh-same") parts.push(`(${seconds(step.durationMs)})`);
  return parts.join(" ");
}

/** Stack outputs, one `key: value` line each; values unknown in a preview print as `(unknown)`. */
export function formatOutputs(outputs: Record<string, unknown>): string[] {
  const show = (v: unknown): string => {
    if (v === UNKNOWN) return "(unknown)";
    if (typeof v === "string") return JSON.stringify(v);
    return JSON.stringify(v, (_k, x) => (x === UNKNOWN ? "(unknown)" : x));
  };
  return Object.keys(outputs)
    .sort()
    .map((k) => `${k}: ${show(outputs[k])}`);
}

/** e.g. `2 created, 1 updated, 5 unchanged (4.1 s)`. */
export function formatSummary(result: OperationResult): string {
  const counts = Object.entries(result.summary)
    .filter(([, n]) => n)
    .map(([op, n]) => `${n} ${op === "failed" ? "failed" : DONE[op as StepOp][result.operation === "preview" ? 0 : 1]}`);
  return `${counts.join(", ") || "no changes"} (${seconds(result.durationMs)})`;
}
