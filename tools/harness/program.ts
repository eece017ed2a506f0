/**
 * Runs a Pulumi program the way `pulumi-language-nodejs` does (sdk/nodejs/cmd/pulumi-language-nodejs/main.go
 * `constructArguments`): `node [--require no-color-inspect] <@pulumi/pulumi/cmd/run> --monitor … --engine …
 * --project … --stack … --organization … --root-directory … --pwd … --parallel … [--dry-run] <entry>`, with
 * the stack config in `PULUMI_CONFIG` and the names of secret keys in `PULUMI_CONFIG_SECRET_KEYS`.
 *
 * TypeScript is on by default, as with the real CLI (Pulumi.yaml `runtime.options.typescript` defaults to true):
 * `PULUMI_NODEJS_TYPESCRIPT=true`, so cmd/run registers the SDK's bundled ts-node and an `index.ts` entry runs
 * as it is. `--env PULUMI_NODEJS_TYPESCRIPT=false` turns it off.
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
    "--monitor",
    opts.monitorAddress,
    "--engine",
    opts.monitorAddress,
    "--project",
    opts.project,
    "--stack",
    opts.stack,
    "--organization",
    "organization",
    "--root-directory",
    opts.programDir,
    "--pwd",
    opts.programDir,
    "--parallel",
    String(opts.parallel),
    ...(opts.dryRun ? ["--dry-run"] : []),
    opts.entry,
  ];
  const env = childEnv({
    PULUMI_NODEJS_TYPESCRIPT: "true",
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

/**
 * The `config:` of the program's `Pulumi.<stack>.yaml`, as `pulumi config` keeps it: namespaced keys with scalar
 * values (strings, numbers, booleans; quotes removed). Encrypted (`secure:`) and structured values are refused
 * with what to do instead. No file: no config.
 */
export function readStackConfig(programDir: string, stack: string): Record<string, string> {
  let text: string | undefined;
  let file = "";
  for (const name of [`Pulumi.${stack}.yaml`, `Pulumi.${stack}.yml`]) {
    file = path.join(programDir, name);
    try {
      text = fs.readFileSync(file, "utf8");
      break;
    } catch {
      // next
    }
  }
  if (text === undefined) return {};
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^config:\s*(#.*)?$/.test(l));
  if (start === -1) return out;
  let indent: number | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const depth = line.length - line.trimStart().length;
    if (depth === 0) break; // the next top-level key
    indent ??= depth;
    if (depth > indent) continue; // inside a value refused below
    const m = /^\s*("[^"]+"|'[^']+'|[^:#\s][^:#]*(?::[^:#\s]+)?):(?:\s+(.*?))?\s*(?:\s#.*)?$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: cannot read this config line: ${line.trim()}`);
    const key = m[1]!.replace(/^["']|["']$/g, "");
    const value = m[2];
    if (value === undefined || value === "") {
      const next = lines[i + 1] ?? "";
      const what = /^\s+secure:/.test(next) ? "an encrypted (secure) value" : "a structured value";
      throw new Error(`${file}:${i + 1}: ${key} is ${what}, which the harness cannot read; pass it with --config ${key}=VALUE (and --secret ${key})`);
    }
    out[key] = /^".*"$|^'.*'$/.test(value) ? value.slice(1, -1) : value;
  }
  return out;
}
