/**
 * Runs a Pulumi program the way `pulumi-language-nodejs` does (sdk/nodejs/cmd/pulumi-language-nodejs/main.go
 * `constructArguments`): `node [--require no-color-inspect] <@pulumi/pulumi/cmd/run> --monitor … --engine …
 * --project … --stack … --organization … --root-directory … --pwd … --parallel … [--dry-run] <entry>`, with
 * the stack config in `PULUMI_CONFIG` and the names of secret keys in `PULUMI_CONFIG_SECRET_KEYS`.
 *
 * Only precompiled JavaScript is supported (no ts-node): `PULUMI_NODEJS_TYPESCRIPT` is not set.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Child, OutputLine, childEnv, spawnNode } from "./processes";

export interface ProgramOptions {
  programDir: string;
  /** Entry passed to cmd/run; "." lets cmd/run pick package.json's `main`, as the CLI does without `main:`. */
  entry: string;
  project: string;
  stack: string;
  monitorAddress: string;
  dryRun: boolean;
  /** `--parallel`; the CLI's default is 2147483647 ("unbounded"). 1 makes the SDK serialize registrations. */
  parallel: number;
  config: Record<string, string>;
  secretKeys: string[];
  env?: Record<string, string>;
  /** Preload the util.inspect workaround (default in the harness: yes). */
  noColorInspect: boolean;
  onOutput: (line: OutputLine) => void;
}

/** Starts the program; the returned child's `exited` resolves with cmd/run's exit code (32: error already logged). */
export function startProgram(opts: ProgramOptions): Child {
  const runScript = require.resolve("@pulumi/pulumi/cmd/run", { paths: [opts.programDir] });
  const preload = opts.noColorInspect ? ["--require", require.resolve("./no-color-inspect")] : [];
  const args = [
    ...preload,
    runScript,
    "--monitor", opts.monitorAddress,
    "--engine", opts.monitorAddress,
    "--project", opts.project,
    "--stack", opts.stack,
    "--organization", "organization",
    "--root-directory", opts.programDir,
    "--pwd", opts.programDir,
    "--parallel", String(opts.parallel),
    ...(opts.dryRun ? ["--dry-run"] : []),
    opts.entry,
  ];
  const env = childEnv({
    PULUMI_CONFIG: JSON.stringify(opts.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(opts.secretKeys),
    ...opts.env,
  });
  return spawnNode(args, { cwd: opts.programDir, env }, opts.onOutput);
}

/** `name:` and `main:` from the program's Pulumi.yaml, if there is one (top-level scalar keys only). */
export function readProjectFile(programDir: string): { name?: string; main?: string } {
  for (const file of ["Pulumi.yaml", "Pulumi.yml"]) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(programDir, file), "utf8");
    } catch {
      continue;
    }
    const scalar = (key: string) => {
      const m = new RegExp(`^${key}:\\s*["']?([^"'#\\n]+?)["']?\\s*(#.*)?$`, "m").exec(text);
      return m ? m[1].trim() : undefined;
    };
    return { name: scalar("name"), main: scalar("main") };
  }
  return {};
}
