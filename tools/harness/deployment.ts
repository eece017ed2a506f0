/**
 * The step generator and executor for `up` and `preview`: turns each registration from the program into
 * check → diff → create / update / replace / same against the dynamic-provider plugin, then deletes what the
 * program no longer registers.
 *
 * Like the engine, registrations are processed concurrently as they arrive: a resource waits only for the
 * resources it depends on (parent, `dependsOn`, property dependencies) that were registered in this run, and
 * provider operations are bounded by the `parallel` limiter. The rules follow pulumi/pulumi
 * `pkg/resource/deploy/step_generator.go`:
 * - DIFF_UNKNOWN (no `diff` method) → the engine diffs old inputs against new inputs itself;
 * - replacement when the diff names `replaces` (or a changed key matches `replaceOnChanges`), or the old
 *   resource is pending replacement; Check runs again with no olds first, so defaults are recomputed;
 * - delete-before-replace when the `deleteBeforeReplace` option says so, else when the provider says so;
 *   create-before-delete otherwise, the old object being deleted after the program, with the other deletes;
 * - an unchanged resource with init errors from an earlier run gets an (empty) update;
 * - `ignoreChanges` copies the old input values into the new inputs before Check.
 * Not emulated: deleting dependents before a delete-before-replace (`calculateDependentReplacements`),
 * aliases, imports, explicit provider resources, `deletedWith`, secrets.
 */
import { randomUUID } from "node:crypto";
import { Deferred } from "./concurrency";
import { EngineContext, ReportedError, newStep, reportFailure, targetOf, touch } from "./context";
import { DeleteItem, deleteOne, runDeletes } from "./deletes";
import type { LogSeverity, MonitorHandler, RegisterReply, Registration } from "./monitor";
import type { CheckResult, DynamicPlugin } from "./plugin";
import { DiffChanges, JsonMap, decodeInitFailure, grpcMessage } from "./proto";
import { DEFAULT_PROVIDER_TYPE, ResourceState, STACK_TYPE, canonical, changedKeys, makeUrn, sortByDependencies, urnName } from "./state";
import type { StepDetail } from "./types";

/** A registration not processed because something it needed failed; not a failure of its own. */
class SkipError extends Error {}

/** Copies the old values of `ignoreChanges` paths (`a`, `a.b`) into the new inputs. */
export function applyIgnoreChanges(olds: JsonMap, news: JsonMap, paths: string[]): JsonMap {
  const out = structuredClone(news);
  for (const p of paths) {
    const parts = p.split(".");
    let src: unknown = olds;
    let dst: JsonMap = out;
    for (const part of parts.slice(0, -1)) {
      src = (src as JsonMap | undefined)?.[part];
      if (typeof dst[part] !== "object" || dst[part] === null) dst[part] = {};
      dst = dst[part] as JsonMap;
    }
    const last = parts[parts.length - 1];
    const from = src as JsonMap | undefined;
    if (from && typeof from === "object" && last in from) dst[last] = structuredClone(from[last]);
    else delete dst[last];
  }
  return out;
}

export class Deployment implements MonitorHandler {
  /** Live records of the previous state, by URN. */
  private readonly olds = new Map<string, ResourceState>();
  /** Records left pending deletion (`delete: true`) by earlier runs. */
  private readonly oldPendingDeletes: ResourceState[] = [];
  /** Records of this run, in completion order. */
  private readonly news: ResourceState[] = [];
  /** Old records that a record of this run replaced, or that were deleted. */
  private readonly superseded = new Set<ResourceState>();
  /** Old objects replaced create-before-delete in this run, deleted after the program. */
  private readonly replaced: ResourceState[] = [];
  /** URN -> resolves true when that registration succeeded. */
  private readonly seen = new Map<string, Promise<boolean>>();
  private defaultProviderRef?: string;
  failed = false;

  constructor(
    private readonly ctx: EngineContext,
    previous: ResourceState[],
    private readonly onLog: (severity: LogSeverity, message: string, urn: string) => void,
  ) {
    for (const r of previous) {
      if (r.delete) this.oldPendingDeletes.push(r);
      else this.olds.set(r.urn, r);
    }
  }

  /** The state as it stands: this run's records plus the old ones not (yet) replaced or deleted. */
  snapshot(): ResourceState[] {
    const kept = [...this.olds.values()].filter((r) => !this.superseded.has(r));
    return sortByDependencies([...this.news, ...kept, ...this.replaced, ...this.oldPendingDeletes]);
  }

  /** Stack outputs registered by the program (falling back to the previous ones). */
  stackOutputs(): JsonMap {
    const stack = this.snapshot().find((r) => r.type === STACK_TYPE && !r.delete);
    return stack?.outputs ?? {};
  }

  async registerResource(reg: Registration): Promise<RegisterReply> {
    const urn = makeUrn(this.ctx.stack, this.ctx.project, reg.type, reg.name, reg.parent || undefined);
    if (this.seen.has(urn)) {
      const message = `duplicate resource URN ${urn}: two resources of the same type have the same name`;
      this.failed = true;
      this.ctx.fail({ urn, type: reg.type, name: reg.name, op: "create", message });
      throw new ReportedError(message);
    }
    const done = new Deferred<boolean>();
    this.seen.set(urn, done.promise);
    let ok = false;
    try {
      const reply = await this.process(urn, reg);
      ok = true;
      return reply;
    } catch (err) {
      if (!(err instanceof SkipError)) {
        this.failed = true;
        if (!(err instanceof ReportedError)) {
          const op = this.olds.has(urn) ? "update" : "create";
          this.ctx.fail({ urn, type: reg.type, name: reg.name, op, message: err instanceof Error ? err.message : String(err) });
        }
      }
      throw err;
    } finally {
      done.resolve(ok);
    }
  }

  registerResourceOutputs(urn: string, outputs: JsonMap): void {
    const rec = [...this.news].reverse().find((r) => r.urn === urn);
    if (!rec) return;
    rec.outputs = outputs;
    if (!this.ctx.dryRun) this.ctx.persist();
  }

  log(severity: LogSeverity, message: string, urn: string): void {
    this.onLog(severity, message, urn);
  }

  /**
   * After the program: delete replaced objects (create-before-delete), pending deletes from earlier runs, and
   * resources the program did not register, in reverse dependency order. Skipped when anything failed, as the
   * engine does.
   */
  async finish(): Promise<void> {
    if (this.failed) return;
    const items: DeleteItem[] = [
      ...this.replaced.map((record) => ({ record, op: "delete-replaced" as const })),
      ...this.oldPendingDeletes.map((record) => ({ record, op: "delete-replaced" as const })),
      ...[...this.olds.values()].filter((r) => !this.superseded.has(r) && !this.seen.has(r.urn)).map((record) => ({ record, op: "delete" as const })),
    ];
    const ok = await runDeletes(this.ctx, items, ({ record }) => {
      for (const list of [this.replaced, this.oldPendingDeletes]) {
        const i = list.indexOf(record);
        if (i >= 0) list.splice(i, 1);
      }
      this.superseded.add(record);
      this.ctx.persist();
    });
    if (!ok) this.failed = true;
  }

  private async process(urn: string, reg: Registration): Promise<RegisterReply> {
    const deps = new Set([reg.parent, ...reg.dependencies, ...Object.values(reg.propertyDependencies).flat()]);
    for (const dep of deps) {
      const pending = dep ? this.seen.get(dep) : undefined;
      if (pending && !(await pending)) throw new SkipError(`not processed: its dependency ${dep} failed`);
    }
    if (this.failed && this.ctx.continueOnError !== true) throw new SkipError("not processed: the deployment already failed");
    if (!reg.custom) return this.component(urn, reg);
    if (reg.provider || reg.type.startsWith("pulumi:providers:")) {
      throw new Error("explicit provider resources are not supported by the engine harness");
    }
    if (!reg.type.startsWith("pulumi-nodejs:dynamic")) {
      throw new Error(`the engine harness only drives dynamic resources (pulumi-nodejs:dynamic...), not ${reg.type}`);
    }
    return this.custom(urn, reg);
  }

  private commit(prior: ResourceState | undefined, rec: ResourceState): void {
    if (prior) this.superseded.add(prior);
    this.news.push(rec);
    if (!this.ctx.dryRun) this.ctx.persist();
  }

  private component(urn: string, reg: Registration): RegisterReply {
    const startedAt = Date.now();
    const prior = this.olds.get(urn);
    const rec: ResourceState = touch(
      { urn, type: reg.type, custom: false, inputs: reg.object, outputs: prior?.outputs ?? {}, dependencies: reg.dependencies },
      prior?.created,
    );
    if (reg.parent) rec.parent = reg.parent;
    const op = !prior ? "create" : canonical(prior.inputs) === canonical(reg.object) ? "same" : "update";
    if (op === "same") rec.modified = prior!.modified;
    this.commit(prior, rec);
    this.ctx.emit(newStep(this.ctx, op, rec, startedAt));
    return { urn, id: "", object: {} };
  }

  /** The default `pulumi-nodejs` provider, recorded in state as the engine does (its steps are not shown). */
  private useDefaultProvider(): string {
    if (!this.defaultProviderRef) {
      const urn = makeUrn(this.ctx.stack, this.ctx.project, DEFAULT_PROVIDER_TYPE, "default");
      const prior = this.olds.get(urn);
      const rec: ResourceState = prior
        ? { ...prior }
        : touch({ urn, type: DEFAULT_PROVIDER_TYPE, custom: true, id: randomUUID(), inputs: {}, outputs: {}, dependencies: [] });
      this.seen.set(urn, Promise.resolve(true));
      this.commit(prior, rec);
      this.defaultProviderRef = `${urn}::${rec.id}`;
    }
    return this.defaultProviderRef;
  }

  private async check(plugin: DynamicPlugin, rec: { urn: string; type: string }, olds: JsonMap, news: JsonMap): Promise<CheckResult> {
    let res: CheckResult;
    try {
      res = await plugin.check(targetOf(rec), olds, news);
    } catch (err) {
      this.ctx.fail({ urn: rec.urn, type: rec.type, name: urnName(rec.urn), op: "check", message: grpcMessage(err) });
      throw new ReportedError(`${rec.urn}: check failed: ${grpcMessage(err)}`);
    }
    if (res.failures.length > 0) {
      const text = res.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
      this.ctx.fail({ urn: rec.urn, type: rec.type, name: urnName(rec.urn), op: "check", message: `check failed: ${text}`, checkFailures: res.failures });
      throw new ReportedError(`${rec.urn}: check failed: ${text}`);
    }
    return res;
  }

  private async custom(urn: string, reg: Registration): Promise<RegisterReply> {
    const prior = this.olds.get(urn);
    const provider = this.useDefaultProvider();
    const plugin = await this.ctx.plugin();
    const startedAt = Date.now(); // after the plugin's start-up, which is not this resource's time
    const news = prior && reg.ignoreChanges.length ? applyIgnoreChanges(prior.inputs, reg.object, reg.ignoreChanges) : reg.object;
    const base: ResourceState = {
      urn,
      type: reg.type,
      custom: true,
      inputs: {},
      outputs: {},
      dependencies: reg.dependencies,
      provider,
    };
    if (reg.parent) base.parent = reg.parent;
    if (Object.keys(reg.propertyDependencies).length) base.propertyDependencies = reg.propertyDependencies;
    if (reg.protect) base.protect = true;
    if (reg.retainOnDelete) base.retainOnDelete = true;
    base.inputs = (await this.check(plugin, base, prior?.inputs ?? {}, news)).inputs;
    if (!prior) return this.reply(await this.createObject(plugin, base, reg, startedAt, "create", {}));

    const d = await plugin.diff(targetOf(base), prior.id ?? "", prior.outputs, base.inputs, prior.inputs, reg.ignoreChanges);
    let changes = d.changes;
    let engineKeys: string[] = [];
    if (changes === DiffChanges.UNKNOWN) {
      engineKeys = changedKeys(prior.inputs, base.inputs);
      changes = engineKeys.length ? DiffChanges.SOME : DiffChanges.NONE;
    }
    const replaces = new Set(d.replaces);
    if (changes === DiffChanges.SOME) {
      for (const k of engineKeys) if (reg.replaceOnChanges.some((p) => p === "*" || p === k)) replaces.add(k);
    }
    const initErrors = prior.initErrors ?? [];
    if (initErrors.length && reg.replaceOnChanges.some((p) => p === "*" || p === "#initerror")) {
      replaces.add("#initerror");
      changes = DiffChanges.SOME;
    }
    const detail: StepDetail = {};
    const changedInputs = changedKeys(prior.inputs, base.inputs, ["__provider"]);
    if (changedInputs.length) detail.changedInputs = changedInputs;

    if (changes === DiffChanges.SOME || prior.pendingReplacement) {
      if (replaces.size || prior.pendingReplacement) {
        const dbr = reg.deleteBeforeReplace ?? d.deleteBeforeReplace;
        return this.replace(plugin, prior, base, reg, startedAt, { ...detail, replaces: [...replaces], deleteBeforeReplace: dbr });
      }
      return this.update(plugin, prior, base, reg, startedAt, detail);
    }
    if (initErrors.length) return this.update(plugin, prior, base, reg, startedAt, { ...detail, initErrors });
    const rec: ResourceState = { ...base, id: prior.id, outputs: prior.outputs, created: prior.created, modified: prior.modified };
    this.commit(prior, rec);
    this.ctx.emit(newStep(this.ctx, "same", rec, startedAt, detail));
    return this.reply(rec);
  }

  private async update(
    plugin: DynamicPlugin,
    prior: ResourceState,
    base: ResourceState,
    reg: Registration,
    startedAt: number,
    detail: StepDetail,
  ): Promise<RegisterReply> {
    let rec: ResourceState = { ...base, id: prior.id, outputs: base.inputs, created: prior.created, modified: prior.modified };
    let providerMs: number | undefined;
    if (!this.ctx.dryRun) {
      const t0 = Date.now();
      try {
        const outputs = await this.ctx.limiter.run(() =>
          plugin.update(targetOf(base), prior.id ?? "", prior.outputs, base.inputs, prior.inputs, reg.ignoreChanges, reg.timeouts.update),
        );
        rec = touch({ ...rec, outputs });
      } catch (err) {
        const init = decodeInitFailure(err);
        const message = grpcMessage(err);
        if (init) {
          const reasons = init.reasons.length ? init.reasons : [message];
          this.commit(prior, touch({ ...rec, outputs: init.properties, initErrors: reasons }));
          throw reportFailure(this.ctx, "update", base, startedAt, message, { detail, providerMs: Date.now() - t0, initErrors: reasons });
        }
        throw reportFailure(this.ctx, "update", base, startedAt, message, { detail, providerMs: Date.now() - t0 });
      }
      providerMs = Date.now() - t0;
    }
    this.commit(prior, rec);
    this.ctx.emit(newStep(this.ctx, "update", rec, startedAt, detail, { providerMs }));
    return this.reply(rec);
  }

  private async replace(
    plugin: DynamicPlugin,
    prior: ResourceState,
    base: ResourceState,
    reg: Registration,
    startedAt: number,
    detail: StepDetail,
  ): Promise<RegisterReply> {
    if (prior.protect && reg.protect) {
      throw reportFailure(
        this.ctx,
        "replace",
        base,
        startedAt,
        "unable to replace the resource: it is protected; remove the `protect` option from the program first",
        { detail },
      );
    }
    // step_generator.go: "we need to recompute the default values" for the new object: Check with no olds.
    base.inputs = (await this.check(plugin, base, {}, reg.object)).inputs;
    if (detail.deleteBeforeReplace && !prior.pendingReplacement) {
      prior.protect = reg.protect || undefined; // unprotecting and replacing in one run is allowed
      await deleteOne(this.ctx, { record: prior, op: "delete-replaced" });
      if (!this.ctx.dryRun) {
        // Deleted but still in state until the replacement exists, so a failed create is retried next time.
        prior.pendingReplacement = true;
        this.ctx.persist();
      }
    }
    return this.reply(await this.createObject(plugin, base, reg, startedAt, "replace", detail, prior));
  }

  /**
   * Create (or create the replacement). A failure that carries `ErrorResourceInitFailed` leaves the object in
   * state with its ID, outputs and `initErrors`. With create-before-delete the old object is then pending
   * deletion.
   */
  private async createObject(
    plugin: DynamicPlugin,
    base: ResourceState,
    reg: Registration,
    startedAt: number,
    op: "create" | "replace",
    detail: StepDetail,
    prior?: ResourceState,
  ): Promise<ResourceState> {
    const cbdOld = op === "replace" && !detail.deleteBeforeReplace ? prior : undefined;
    const commit = (rec: ResourceState) => {
      if (cbdOld) {
        cbdOld.delete = true;
        this.replaced.push(cbdOld);
      }
      this.commit(prior, rec);
    };
    if (this.ctx.dryRun) {
      const rec: ResourceState = { ...base, id: "", outputs: base.inputs };
      commit(rec);
      this.ctx.emit(newStep(this.ctx, op, rec, startedAt, detail));
      return rec;
    }
    const t0 = Date.now();
    try {
      const res = await this.ctx.limiter.run(() => plugin.create(targetOf(base), base.inputs, reg.timeouts.create));
      const rec = touch({ ...base, id: res.id, outputs: res.outputs });
      commit(rec);
      this.ctx.emit(newStep(this.ctx, op, rec, startedAt, detail, { providerMs: Date.now() - t0 }));
      return rec;
    } catch (err) {
      const init = decodeInitFailure(err);
      const message = grpcMessage(err);
      if (!init) throw reportFailure(this.ctx, op, base, startedAt, message, { detail, providerMs: Date.now() - t0 });
      const reasons = init.reasons.length ? init.reasons : [message];
      commit(touch({ ...base, id: init.id, outputs: init.properties, initErrors: reasons }));
      throw reportFailure(this.ctx, op, base, startedAt, message, { detail, providerMs: Date.now() - t0, initErrors: reasons });
    }
  }

  private reply(rec: ResourceState): RegisterReply {
    return { urn: rec.urn, id: rec.id ?? "", object: rec.outputs };
  }
}
