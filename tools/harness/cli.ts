/**
 * Command line for the engine harness:
 *
 *   node dist/tools/harness/cli.js <preview|up|refresh|destroy> <program-dir> [options]
 *
 *   --state DIR        state directory (default: $TMPDIR/pulumi-virt-harness)
 *   --stack NAME       stack name (default: dev)
 *   --project NAME     project name (default: Pulumi.yaml `name`, else the directory name)
 *   --config k=v       stack config, repeatable (`key` without namespace -> `<project>:key`)
 *   --secret k         mark a config key secret (PULUMI_CONFIG_SECRET_KEYS), repeatable
 *   --env K=V          extra environment for the program and the plugin, repeatable
 *   --parallel N       bound on concurrent provider operations (default: unbounded)
 *   --show-same        also print unchanged resources
 *   --quiet            do not print provider/program output
 *   --verbose          also print SDK debug logs
 *   --json             print the result as JSON instead of text
 *
 * Prints one line per resource as its step completes (`+ virt:Volume data created (1.2 s)`), provider and
 * program output prefixed with `|`, then the stack outputs and a summary. Exit code 1 when the operation fails.
 */
import * as os from "node:os";
import * as path from "node:path";
import { formatOutputs, formatStep, formatSummary } from "./format";
import { Stack } from "./stack";
import { DeploymentError, Diagnostic, Operation, OperationResult } from "./types";

const OPERATIONS: Operation[] = ["preview", "up", "refresh", "destroy"];

interface CliArgs {
  operation: Operation;
  programDir: string;
  stateDir: string;
  stackName?: string;
  projectName?: string;
  config: Record<string, string>;
  secretKeys: string[];
  env: Record<string, string>;
  parallel?: number;
  showSame: boolean;
  quiet: boolean;
  verbose: boolean;
  json: boolean;
}

function usage(message?: string): never {
  if (message) process.stderr.write(`error: ${message}\n\n`);
  process.stderr.write(
    "usage: cli.js <preview|up|refresh|destroy> <program-dir> [--state DIR] [--stack NAME] [--project NAME]\n" +
      "              [--config k=v ...] [--secret k ...] [--env K=V ...] [--parallel N]\n" +
      "              [--show-same] [--quiet] [--verbose] [--json]\n",
  );
  process.exit(2);
}

function keyValue(text: string, flag: string): [string, string] {
  const i = text.indexOf("=");
  if (i <= 0) usage(`${flag} expects key=value, got ${JSON.stringify(text)}`);
  return [text.slice(0, i), text.slice(i + 1)];
}

export function parseArgs(argv: string[]): CliArgs {
  const positional: string[] = [];
  const args: Omit<CliArgs, "operation" | "programDir"> = {
    stateDir: path.join(os.tmpdir(), "pulumi-virt-harness"),
    config: {},
    secretKeys: [],
    env: {},
    showSame: false,
    quiet: false,
    verbose: false,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === "--state") args.stateDir = path.resolve(value());
    else if (a === "--stack") args.stackName = value();
    else if (a === "--project") args.projectName = value();
    else if (a === "--config") {
      const [k, v] = keyValue(value(), a);
      args.config[k] = v;
    } else if (a === "--secret") args.secretKeys.push(value());
    else if (a === "--env") {
      const [k, v] = keyValue(value(), a);
      args.env[k] = v;
    } else if (a === "--parallel") {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) usage("--parallel expects a positive integer");
      args.parallel = n;
    } else if (a === "--show-same") args.showSame = true;
    else if (a === "--quiet") args.quiet = true;
    else if (a === "--verbose") args.verbose = true;
    else if (a === "--json") args.json = true;
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2) usage("expected an operation and a program directory");
  const operation = positional[0] as Operation;
  if (!OPERATIONS.includes(operation)) usage(`unknown operation ${positional[0]}`);
  return { ...args, operation, programDir: path.resolve(positional[1]) };
}

function printDiagnostic(d: Diagnostic, args: CliArgs): void {
  if (args.quiet || args.json) return;
  if (d.severity === "debug" && !args.verbose) return;
  const tag = d.source === "log" ? `${d.severity}` : d.source === "plugin" ? "provider" : "program";
  process.stdout.write(`  | ${tag}: ${d.text}\n`);
}

function printResult(result: OperationResult, stack: Stack, args: CliArgs): void {
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const outputs = formatOutputs(result.outputs);
  if (outputs.length) process.stdout.write(`Outputs:\n${outputs.map((l) => `  ${l}\n`).join("")}`);
  process.stdout.write(`${args.operation}: ${formatSummary(result)}\nstate: ${stack.store.file}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const stack = new Stack({
    programDir: args.programDir,
    stateDir: args.stateDir,
    stackName: args.stackName,
    projectName: args.projectName,
    config: args.config,
    secretKeys: args.secretKeys,
    env: args.env,
    parallel: args.parallel,
    debugLogs: args.verbose,
    onStep: (step) => {
      if (args.json || ((step.op === "same" || step.op === "refresh-same") && !args.showSame && !step.error)) return;
      process.stdout.write(`${formatStep(step)}\n`);
    },
    onDiagnostic: (d) => printDiagnostic(d, args),
  });
  if (!args.json) process.stdout.write(`${args.operation} ${stack.project}/${stack.stackName} (${args.programDir})\n`);
  try {
    printResult(await stack[args.operation](), stack, args);
    return 0;
  } catch (err) {
    if (!(err instanceof DeploymentError)) throw err;
    printResult(err.result, stack, args);
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
