/**
 * What the step logic of every operation shares: the plugin, the parallelism limiter, and the sinks for steps,
 * failures and state persistence.
 */
import type { Limiter } from "./concurrency";
import type { DynamicPlugin, Target } from "./plugin";
import { ResourceState, urnName } from "./state";
import type { ResourceFailure, Step, StepDetail, StepOp } from "./types";

export interface EngineContext {
  project: string;
  stack: string;
  /** Preview: plan only, never call Create/Update/Delete, never write state. */
  dryRun: boolean;
  /** The plugin, started on first use (one process per operation). */
  plugin(): Promise<DynamicPlugin>;
  limiter: Limiter;
  /**
   * `pulumi up --continue-on-error`: after a failure, steps that do not depend on the failed resource still run
   * (the delete phase is still skipped). Default false: no new step starts after a failure.
   */
  continueOnError?: boolean;
  emit(step: Step): void;
  fail(failure: ResourceFailure): void;
  /** Writes the current snapshot; called after every step that changed state (no-op in a preview). */
  persist(): void;
}

export function targetOf(r: { urn: string; type: string }): Target {
  return { urn: r.urn, type: r.type, name: urnName(r.urn) };
}

export function newStep(
  ctx: EngineContext,
  op: StepOp,
  r: { urn: string; type: string },
  startedAt: number,
  detail: StepDetail = {},
  extra: { providerMs?: number; error?: string } = {},
): Step {
  const step: Step = {
    op,
    urn: r.urn,
    type: r.type,
    name: urnName(r.urn),
    detail,
    preview: ctx.dryRun,
    startedAt,
    durationMs: Date.now() - startedAt,
  };
  if (extra.providerMs !== undefined) step.providerMs = extra.providerMs;
  if (extra.error !== undefined) step.error = extra.error;
  return step;
}

/** An error that has already been reported through `EngineContext.fail`. */
export class ReportedError extends Error {}

/** Records a failed step and its failure, and returns the error to throw. */
export function reportFailure(
  ctx: EngineContext,
  op: StepOp,
  r: { urn: string; type: string },
  startedAt: number,
  message: string,
  extra: { detail?: StepDetail; providerMs?: number; initErrors?: string[] } = {},
): ReportedError {
  ctx.emit(newStep(ctx, op, r, startedAt, extra.detail, { providerMs: extra.providerMs, error: message }));
  const failure: ResourceFailure = { urn: r.urn, type: r.type, name: urnName(r.urn), op, message };
  if (extra.initErrors) failure.initErrors = extra.initErrors;
  ctx.fail(failure);
  return new ReportedError(`${r.urn}: ${op} failed: ${message}`);
}

/** Stamps `modified` (and `created` when absent) with the current time. */
export function touch(r: ResourceState, created?: string): ResourceState {
  const now = new Date().toISOString();
  r.created = created ?? r.created ?? now;
  r.modified = now;
  return r;
}
