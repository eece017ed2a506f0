/**
 * Deleting resources in reverse dependency order, and refreshing them. Shared by `up` (resources no longer
 * registered, replaced resources), `destroy` (everything) and `refresh`.
 */
import { EngineContext, ReportedError, newStep, reportFailure, targetOf } from "./context";
import type { DynamicPlugin } from "./plugin";
import { DiffChanges, grpcMessage } from "./proto";
import { DEFAULT_PROVIDER_TYPE, ResourceState, changedKeys, scheduleDeletes } from "./state";
import type { StepOp } from "./types";

export interface DeleteItem {
  record: ResourceState;
  op: Extract<StepOp, "delete" | "delete-replaced">;
}

/**
 * Deletes one resource: Delete at the provider for custom resources (with the old `__provider` text, which is
 * in its stored outputs), nothing for components and the stack. Protected resources fail; `retainOnDelete`
 * and already-deleted (`pendingReplacement`) resources are dropped from state without a provider call.
 * Default-provider records are removed silently, as the CLI does not display them.
 */
export async function deleteOne(ctx: EngineContext, item: DeleteItem): Promise<void> {
  const { record: r, op } = item;
  if (r.type === DEFAULT_PROVIDER_TYPE) return;
  if (r.protect && !r.delete) {
    throw reportFailure(ctx, op, r, Date.now(), "the resource is protected; remove the `protect` option from the program (and run up) before deleting it");
  }
  const callsProvider = r.custom && !r.retainOnDelete && !r.pendingReplacement && !ctx.dryRun;
  // The plugin's start-up (on first use) is not this resource's time; a start failure surfaces below.
  const plugin = callsProvider ? await ctx.plugin().catch(() => undefined) : undefined;
  const startedAt = Date.now();
  let note: string | undefined;
  let providerMs: number | undefined;
  if (!r.custom) {
    // components and the stack: nothing to call
  } else if (r.retainOnDelete) {
    note = "retained (retainOnDelete): not deleted at the provider";
  } else if (r.pendingReplacement) {
    note = "already deleted by an earlier delete-before-replace";
  } else if (callsProvider) {
    const t0 = Date.now();
    try {
      const p = plugin ?? (await ctx.plugin());
      await ctx.limiter.run(() => p.delete(targetOf(r), r.id ?? "", r.outputs, r.inputs, 0));
    } catch (err) {
      throw reportFailure(ctx, op, r, startedAt, grpcMessage(err), { providerMs: Date.now() - t0 });
    }
    providerMs = Date.now() - t0;
  }
  ctx.emit(newStep(ctx, op, r, startedAt, note ? { note } : {}, { providerMs }));
}

/**
 * Runs deletes in antichains (see `scheduleDeletes`): each chain in parallel (bounded by the limiter), chains
 * in sequence. Stops after the first chain with a failure. `onDeleted` is called after each successful delete
 * so the caller can drop the record and persist.
 */
export async function runDeletes(ctx: EngineContext, items: DeleteItem[], onDeleted: (item: DeleteItem) => void): Promise<boolean> {
  const byRecord = new Map(items.map((i) => [i.record, i]));
  for (const chain of scheduleDeletes(items.map((i) => i.record))) {
    const results = await Promise.allSettled(
      chain.map(async (record) => {
        const item = byRecord.get(record)!;
        await deleteOne(ctx, item);
        onDeleted(item);
      }),
    );
    if (results.some((r) => r.status === "rejected")) {
      for (const r of results) if (r.status === "rejected" && !(r.reason instanceof ReportedError)) throw r.reason;
      return false;
    }
  }
  return true;
}

/**
 * Refresh: Read every custom resource (in parallel, bounded by the limiter) and take what the provider returns
 * as the new outputs (and inputs, when it returns them). A read that returns no ID means the object is gone:
 * the resource leaves `resources` (edited in place, so the caller's snapshot sees each change) and
 * references to it from other resources are dropped.
 */
export async function refreshAll(ctx: EngineContext, resources: ResourceState[]): Promise<void> {
  const removed = new Set<string>();
  await Promise.allSettled(
    [...resources].map(async (r) => {
      if (!r.custom || r.type === DEFAULT_PROVIDER_TYPE) return;
      const plugin = await ctx.plugin().catch(() => undefined);
      const startedAt = Date.now();
      let res: Awaited<ReturnType<DynamicPlugin["read"]>>;
      try {
        const p = plugin ?? (await ctx.plugin());
        res = await ctx.limiter.run(() => p.read(targetOf(r), r.id ?? "", r.outputs, r.inputs));
      } catch (err) {
        reportFailure(ctx, "refresh", r, startedAt, grpcMessage(err), { providerMs: Date.now() - startedAt });
        return;
      }
      const providerMs = Date.now() - startedAt;
      if (!res.id) {
        resources.splice(resources.indexOf(r), 1);
        removed.add(r.urn);
        ctx.emit(newStep(ctx, "refresh-delete", r, startedAt, {}, { providerMs }));
        ctx.persist();
        return;
      }
      // As the engine does after each Read (pkg/resource/deploy/step.go RefreshStep.Apply, unless the resource is
      // external or the legacy refresh diff is asked for): Diff with the read outputs as olds and the stored inputs
      // as news, i.e. what an `up` of the unchanged program would do next. The provider's plan lines print now.
      let refreshChanges: boolean;
      try {
        const p = plugin ?? (await ctx.plugin());
        const d = await p.diff(targetOf(r), res.id, res.outputs, r.inputs, res.inputs ?? r.inputs, []);
        refreshChanges = d.changes === DiffChanges.SOME || d.replaces.length > 0;
      } catch (err) {
        reportFailure(ctx, "refresh", r, startedAt, grpcMessage(err), { providerMs: Date.now() - startedAt });
        return;
      }
      const driftKeys = changedKeys(r.outputs, res.outputs, ["__provider"]);
      const drifted = driftKeys.length > 0 || res.id !== r.id;
      r.id = res.id;
      r.outputs = res.outputs;
      if (res.inputs) r.inputs = res.inputs;
      if (drifted) r.modified = new Date().toISOString();
      ctx.emit(
        newStep(ctx, drifted ? "refresh-update" : "refresh-same", r, startedAt, drifted ? { driftKeys, refreshChanges } : { refreshChanges }, { providerMs }),
      );
      ctx.persist();
    }),
  );
  for (const r of resources) {
    r.dependencies = r.dependencies.filter((u) => !removed.has(u));
    for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
      r.propertyDependencies![k] = urns.filter((u) => !removed.has(u));
    }
  }
}
