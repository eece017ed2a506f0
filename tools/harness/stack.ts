/**
 * `Stack`: the engine harness's API. Each operation (preview, up, refresh, destroy) starts its own processes
 * (the program under `cmd/run`, the dynamic-provider plugin) and gRPC server, and kills/stops all of them
 * before it returns or throws.
 *
 * This is an engine *emulator*, wire-faithful for the program (ResourceMonitor/Engine) and for the dynamic
 * provider plugin (ResourceProvider); it is not the CLI (no rendering of plans, no checkpoint format, no
 * refresh-before-update). See tools/harness/README.md.
 */
import * as path from "node:path";
import { Limiter } from "./concurrency";
import { EngineContext } from "./context";
import { refreshAll, runDeletes } from "./deletes";
import { Deployment } from "./deployment";
import { displayType, formatStep } from "./format";
import { MonitorServer } from "./monitor";
import { DynamicPlugin } from "./plugin";
import { Child } from "./processes";
import { readProjectFile, readStackConfig, startProgram } from "./program";
import { JsonMap } from "./proto";
import { ResourceState, STACK_TYPE, StackState, StateStore } from "./state";
import { DeploymentError, Diagnostic, Operation, OperationResult, ResourceFailure, Step } from "./types";

export interface StackOptions {
  /** Directory of the program: cwd of the program and of the plugin (closures' `require`s resolve from it). */
  programDir: string;
  /** Entry given to cmd/run; default: Pulumi.yaml `main`, else "." (package.json `main`, else index.js). */
  entry?: string;
  /** Directory of the state file (`<project>.<stack>.json`). */
  stateDir: string;
  /** Default: Pulumi.yaml `name`, else the program directory's name. */
  projectName?: string;
  /** Default "dev". */
  stackName?: string;
  /**
   * Stack config. Keys without a namespace get the project's (`key` -> `<project>:key`), as `pulumi config set`
   * does; non-string values are JSON-encoded. The program gets it in PULUMI_CONFIG; the plugin gets all of it
   * as Configure args (dynamic providers receive the full config).
   */
  config?: Record<string, unknown>;
  /** Config keys to list in PULUMI_CONFIG_SECRET_KEYS. */
  secretKeys?: string[];
  /**
   * Maximum provider operations (Create/Update/Delete/Read) in flight. Default: unbounded (`Infinity`), like
   * the CLI's default `--parallel` (2147483647). Check and Diff are not bounded, as in the engine, where they
   * belong to step generation. Also passed to cmd/run as `--parallel` (1 makes the SDK serialize).
   */
  parallel?: number;
  /**
   * Like `pulumi up --continue-on-error`: after a failure, resources that do not depend on the failed one are
   * still created or updated; the delete phase is skipped as after any failure. Default false.
   */
  continueOnError?: boolean;
  /** Extra environment for the program and the plugin. */
  env?: Record<string, string>;
  /** Print plugin/program output and logs (prefixed) and each step to stderr as they happen. */
  verbose?: boolean;
  onStep?: (step: Step) => void;
  onDiagnostic?: (d: Diagnostic) => void;
  /** Keep `Engine.Log` debug messages (the SDK sends many). Default false. */
  debugLogs?: boolean;
  /** Preload the util.inspect colour workaround into the program (default true; see no-color-inspect.ts). */
  noColorInspect?: boolean;
  /** Kill the program if it runs longer than this. Default 10 minutes. */
  programTimeoutMs?: number;
}

/** One operation's processes, sinks and context. */
class Run {
  readonly steps: Step[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly failures: ResourceFailure[] = [];
  readonly timings: OperationResult["timings"] = {};
  readonly t0 = Date.now();
  readonly ctx: EngineContext;
  snapshot: () => ResourceState[] = () => [];
  program?: Child;
  /** The program's exit code (preview, up). */
  exitCode?: number;
  monitor?: MonitorServer;
  private pluginStart?: Promise<DynamicPlugin>;

  constructor(
    private readonly stack: Stack,
    readonly operation: Operation,
  ) {
    const dryRun = operation === "preview";
    this.ctx = {
      project: stack.project,
      stack: stack.stackName,
      dryRun,
      limiter: new Limiter(stack.options.parallel ?? Infinity),
      continueOnError: stack.options.continueOnError === true,
      plugin: () => this.plugin(),
      emit: (step) => {
        this.steps.push(step);
        if (stack.options.verbose) process.stderr.write(`${formatStep(step)}\n`);
        stack.options.onStep?.(step);
      },
      fail: (f) => this.failures.push(f),
      persist: () => {
        if (!dryRun) stack.store.save(this.snapshot());
      },
    };
  }

  plugin(): Promise<DynamicPlugin> {
    this.pluginStart ??= DynamicPlugin.start({
      programDir: this.stack.programDir,
      project: this.stack.project,
      config: this.stack.config,
      engineAddress: this.monitor?.address ?? "127.0.0.1:0",
      env: this.stack.options.env,
      onOutput: (line) => this.diag({ source: "plugin", stream: line.stream, text: line.text, t: line.t }),
    }).then((p) => {
      this.timings.pluginStartMs = p.startMs;
      return p;
    });
    return this.pluginStart;
  }

  diag(d: Diagnostic): void {
    if (d.severity === "debug" && !this.stack.options.debugLogs) return;
    this.diagnostics.push(d);
    if (this.stack.options.verbose) {
      const tag = d.source === "log" ? `log:${d.severity}` : d.stream === "stderr" ? `${d.source}:err` : d.source;
      process.stderr.write(`[${tag}] ${d.text}\n`);
    }
    this.stack.options.onDiagnostic?.(d);
  }

  result(outputs: JsonMap): OperationResult {
    const summary: OperationResult["summary"] = {};
    // A failed step did not happen: it counts as failed, not as done.
    for (const s of this.steps) {
      const key = s.error ? "failed" : s.op;
      summary[key] = (summary[key] ?? 0) + 1;
    }
    return {
      operation: this.operation,
      steps: this.steps,
      outputs,
      diagnostics: this.diagnostics,
      durationMs: Date.now() - this.t0,
      timings: this.timings,
      summary,
    };
  }

  /** Kills the program and the plugin and stops the server, whatever state they are in. */
  async cleanup(): Promise<void> {
    await this.program?.kill();
    this.monitor?.stop();
    const plugin = await this.pluginStart?.catch(() => undefined);
    await plugin?.stop();
  }
}

export class Stack {
  readonly programDir: string;
  readonly entry: string;
  readonly project: string;
  readonly stackName: string;
  /** The config as sent: namespaced keys, string values. */
  readonly config: Record<string, string>;
  readonly store: StateStore;

  constructor(readonly options: StackOptions) {
    this.programDir = path.resolve(options.programDir);
    const projectFile = readProjectFile(this.programDir);
    this.project = options.projectName ?? projectFile.name ?? path.basename(this.programDir);
    this.entry = options.entry ?? projectFile.main ?? ".";
    this.stackName = options.stackName ?? "dev";
    this.config = {};
    // Pulumi.<stack>.yaml first (as `pulumi config` keeps it), then the config given here, which wins.
    for (const [k, v] of Object.entries({ ...readStackConfig(this.programDir, this.stackName), ...(options.config ?? {}) })) {
      this.config[k.includes(":") ? k : `${this.project}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    this.store = new StateStore(path.resolve(options.stateDir), this.project, this.stackName);
  }

  /** Check and Diff only: nothing is created, updated or deleted and the state is not written. */
  preview(): Promise<OperationResult> {
    return this.operate("preview", (run) => this.runProgram(run));
  }

  up(): Promise<OperationResult> {
    return this.operate("up", (run) => this.runProgram(run));
  }

  /** Reads every resource; drift updates the state, objects gone are removed from it. No program run. */
  refresh(): Promise<OperationResult> {
    return this.operate("refresh", async (run) => {
      const resources = this.store.load().resources;
      run.snapshot = () => resources;
      await refreshAll(run.ctx, resources);
      run.ctx.persist();
      return stackOutputsOf(resources);
    });
  }

  /** Deletes every resource in reverse dependency order. No program run. */
  destroy(): Promise<OperationResult> {
    return this.operate("destroy", async (run) => {
      const resources = this.store.load().resources;
      run.snapshot = () => resources;
      const t0 = Date.now();
      const items = resources.map((record) => ({ record, op: "delete" as const }));
      await runDeletes(run.ctx, items, ({ record }) => {
        resources.splice(resources.indexOf(record), 1);
        run.ctx.persist();
      });
      run.timings.deletesMs = Date.now() - t0;
      run.ctx.persist();
      return stackOutputsOf(resources);
    });
  }

  /** The state file's content (an empty state when there is none). */
  state(): StackState {
    return this.store.load();
  }

  /** Stack outputs from the state. */
  outputs(): JsonMap {
    return stackOutputsOf(this.store.load().resources);
  }

  private async operate(operation: Operation, body: (run: Run) => Promise<JsonMap>): Promise<OperationResult> {
    const run = new Run(this, operation);
    let outputs: JsonMap = {};
    try {
      outputs = await body(run);
    } catch (err) {
      run.failures.push({ urn: "", type: "", name: "", op: "operation", message: err instanceof Error ? err.message : String(err) });
    } finally {
      await run.cleanup();
    }
    const result = run.result(outputs);
    if (run.failures.length === 0 && !run.exitCode) return result;
    throw new DeploymentError(errorMessage(operation, run), result, run.failures, run.exitCode);
  }

  private async runProgram(run: Run): Promise<JsonMap> {
    const previous = this.store.load().resources;
    const deployment = new Deployment(run.ctx, previous, (severity, text, urn) =>
      run.diag({ source: "log", severity, text, t: Date.now(), ...(urn ? { urn } : {}) }),
    );
    run.snapshot = () => deployment.snapshot();
    run.monitor = await MonitorServer.start(deployment);
    // Started now rather than at the first registration (as the engine does) to overlap its ~0.8 s start-up
    // with the program's; the cost of an unused plugin is one short-lived process.
    run.plugin().catch(() => undefined);
    const t0 = Date.now();
    run.program = startProgram({
      programDir: this.programDir,
      entry: this.entry,
      project: this.project,
      stack: this.stackName,
      monitorAddress: run.monitor.address,
      dryRun: run.ctx.dryRun,
      parallel: Number.isFinite(this.options.parallel ?? Infinity) ? this.options.parallel! : 2147483647,
      config: this.config,
      secretKeys: this.options.secretKeys ?? [],
      env: this.options.env,
      noColorInspect: this.options.noColorInspect ?? true,
      onOutput: (line) => run.diag({ source: "program", stream: line.stream, text: line.text, t: line.t }),
    });
    const timeoutMs = this.options.programTimeoutMs ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(-2), timeoutMs);
    });
    const code = await Promise.race([run.program.exited, timedOut]);
    clearTimeout(timer);
    run.timings.programMs = Date.now() - t0;
    if (code === -2) {
      run.failures.push({ urn: "", type: "", name: "", op: "operation", message: `the program did not finish within ${timeoutMs} ms` });
      await run.program.kill();
    }
    await run.monitor.drain();
    run.exitCode = code;
    if (code === 0 && !deployment.failed) {
      const t1 = Date.now();
      await deployment.finish();
      run.timings.deletesMs = Date.now() - t1;
    }
    run.ctx.persist();
    return deployment.stackOutputs();
  }
}

function stackOutputsOf(resources: ResourceState[]): JsonMap {
  return resources.find((r) => r.type === STACK_TYPE && !r.delete)?.outputs ?? {};
}

/** The error text: each failed resource with the provider's message, or why the program failed. */
function errorMessage(operation: Operation, run: Run): string {
  const exitCode = run.exitCode;
  const lines = [`${operation} failed`];
  for (const f of run.failures) {
    const what = f.urn ? `${displayType(f.type)} ${f.name} (${f.op})` : "harness";
    let line = `  ${what}: ${f.message}`;
    if (f.initErrors) line += ` [the object exists but did not initialise; it stays in state: ${f.initErrors.join("; ")}]`;
    lines.push(line);
  }
  if (exitCode !== undefined && exitCode !== 0) {
    lines.push(`  the program exited with code ${exitCode}`);
    if (run.failures.length === 0) {
      const errors = run.diagnostics.filter((d) => d.severity === "error").map((d) => d.text);
      const stderr = run.diagnostics.filter((d) => d.source === "program" && d.stream === "stderr").map((d) => d.text);
      for (const text of [...errors, ...stderr.slice(-20)]) lines.push(`    ${text}`);
    }
  }
  return lines.join("\n");
}
