/**
 * Child processes of the harness (the program under `cmd/run`, the dynamic-provider plugin): spawning with
 * line-by-line capture of stdout/stderr, and a registry so that every child is killed at the end of an
 * operation, on error, and, as a last resort, when the harness process itself exits.
 */
import { ChildProcess, spawn } from "node:child_process";

/** One line a child wrote. */
export interface OutputLine {
  stream: "stdout" | "stderr";
  text: string;
  /** Epoch milliseconds. */
  t: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/** A spawned child with its exit as a promise. */
export interface Child {
  proc: ChildProcess;
  /** Resolves with the exit code once the child has exited (-1 when it was killed by a signal or never started). */
  exited: Promise<number>;
  /** Kills the child (SIGKILL) if it is still running and waits for it to exit. */
  kill(): Promise<void>;
}

/**
 * Spawns `process.execPath` with `args`. Each complete output line is passed to `onLine` (a trailing
 * partial line is flushed at exit).
 */
export function spawnNode(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }, onLine: (line: OutputLine) => void): Child {
  installExitHook();
  const proc = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  const pending: Record<OutputLine["stream"], string> = { stdout: "", stderr: "" };
  const feed = (stream: OutputLine["stream"]) => (chunk: Buffer) => {
    const text = pending[stream] + chunk.toString("utf8");
    const lines = text.split("\n");
    pending[stream] = lines.pop() ?? "";
    for (const l of lines) onLine({ stream, text: l.replace(/\r$/, ""), t: Date.now() });
  };
  proc.stdout!.on("data", feed("stdout"));
  proc.stderr!.on("data", feed("stderr"));
  const exited = new Promise<number>((resolve) => {
    proc.on("error", (err) => {
      onLine({ stream: "stderr", text: `spawn failed: ${err.message}`, t: Date.now() });
      live.delete(proc);
      resolve(-1);
    });
    proc.on("close", (code, signal) => {
      live.delete(proc);
      for (const stream of ["stdout", "stderr"] as const) {
        if (pending[stream]) onLine({ stream, text: pending[stream], t: Date.now() });
        pending[stream] = "";
      }
      resolve(code ?? (signal ? -1 : 0));
    });
  });
  return {
    proc,
    exited,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * The environment for a child: the harness's own, minus variables through which an outer Pulumi run (or an
 * earlier test) could leak settings into the child, plus `extra`.
 */
export function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("PULUMI_NODEJS_") || k === "PULUMI_CONFIG" || k === "PULUMI_CONFIG_SECRET_KEYS") continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}
