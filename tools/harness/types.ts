/**
 * Public result types of the engine harness: steps, diagnostics, operation results and the error thrown when
 * an operation fails.
 */
import type { JsonMap } from "./proto";

/**
 * What happened to one resource.
 * - `create`, `update`, `replace`, `same`: from the program's registrations (`replace` is the creation of the
 *   replacement; the old object's deletion is a separate `delete-replaced` step, before it with
 *   delete-before-replace, at the end of the run otherwise);
 * - `delete`: a resource no longer registered (up), or every resource (destroy);
 * - `refresh-same`, `refresh-update` (drift: outputs changed), `refresh-delete` (the object is gone; removed
 *   from state), `refresh` (the read failed; `error` says why).
 */
export type StepOp = "create" | "update" | "replace" | "same" | "delete" | "delete-replaced" | "refresh-same" | "refresh-update" | "refresh-delete" | "refresh";

export interface StepDetail {
  /**
   * Input keys whose values differ between the old and the new inputs (excluding `__provider`), computed by
   * the harness for display. The dynamic plugin returns no per-property diff.
   */
  changedInputs?: string[];
  /** Properties the provider (or `replaceOnChanges`) says force replacement. */
  replaces?: string[];
  deleteBeforeReplace?: boolean;
  /** refresh-update: output keys that differ from the state (excluding `__provider`). */
  driftKeys?: string[];
  /**
   * refresh-*: whether the provider's Diff (read outputs as olds, stored inputs as news — what the engine calls
   * after every Read since refresh diffs against the program) says the next `up` will change something.
   */
  refreshChanges?: boolean;
  /** An update caused by initialization errors left by an earlier run. */
  initErrors?: string[];
  /** Why a step did nothing at the provider (retainOnDelete, already deleted by delete-before-replace...). */
  note?: string;
}

export interface Step {
  op: StepOp;
  urn: string;
  type: string;
  name: string;
  detail: StepDetail;
  /** True when the step was only planned (preview). */
  preview: boolean;
  /** Epoch milliseconds when the harness started working on this resource (after its dependencies were done). */
  startedAt: number;
  /** Milliseconds from `startedAt` to the step's completion (check, diff and provider call included). */
  durationMs: number;
  /** Milliseconds spent in the provider's Create/Update/Delete/Read call, when there was one. */
  providerMs?: number;
  /** Set when the step failed; the message the provider (or the harness) gave. */
  error?: string;
}

export type DiagnosticSource = "plugin" | "program" | "log";

/** A line of output: from the plugin (what users see from the provider), the program, or `Engine.Log`. */
export interface Diagnostic {
  source: DiagnosticSource;
  /** plugin/program: the stream; log: the severity. */
  stream?: "stdout" | "stderr";
  severity?: "debug" | "info" | "warning" | "error";
  urn?: string;
  text: string;
  /** Epoch milliseconds. */
  t: number;
}

export type Operation = "preview" | "up" | "refresh" | "destroy";

export interface OperationResult {
  operation: Operation;
  /** Steps in completion order. */
  steps: Step[];
  /** Stack outputs (values not known in a preview are `UNKNOWN`). */
  outputs: JsonMap;
  diagnostics: Diagnostic[];
  durationMs: number;
  timings: {
    /** Spawn of the dynamic-provider plugin to its Configure reply. */
    pluginStartMs?: number;
    /** Spawn of the program to its exit (preview, up). */
    programMs?: number;
    /** The delete phase after the program (up, destroy). */
    deletesMs?: number;
  };
  /** Number of steps per op that completed; steps that failed are counted under `failed`. */
  summary: Partial<Record<StepOp | "failed", number>>;
}

/** Why a resource failed. */
export interface ResourceFailure {
  urn: string;
  type: string;
  name: string;
  /**
   * The step that failed; `check`: the provider's Check rejected the inputs or threw; `operation`: the
   * operation itself failed (harness error, program timeout), `urn` is then empty.
   */
  op: StepOp | "check" | "operation";
  message: string;
  /** Check failures as the provider returned them. */
  checkFailures?: { property: string; reason: string }[];
  /** Reasons from `ErrorResourceInitFailed` (the object exists but did not initialise). */
  initErrors?: string[];
}

/** Thrown by a failed operation; `result` holds the partial result (steps done, diagnostics). */
export class DeploymentError extends Error {
  constructor(
    message: string,
    readonly result: OperationResult,
    readonly failures: ResourceFailure[],
    readonly programExitCode?: number,
  ) {
    super(message);
    this.name = "DeploymentError";
  }
}
