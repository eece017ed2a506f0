/**
 * The real Pulumi CLI (built by scripts/pulumi-cli.sh) driving programs the way users run them: a folder laid out
 * like `pulumi new typescript` makes it (Pulumi.yaml with runtime nodejs, package.json, tsconfig.json, index.ts),
 * with this package installed from `npm pack`, a file:// backend, the passphrase secrets provider, and nothing
 * fetched from the network. TypeScript runs as written (the CLI's ts-node path), not compiled by us first.
 *
 * One workspace per test run: the package is packed and npm-installed once, and every project links to that
 * node_modules. Each operation writes an event log (`--event-log`) read for the steps, and keeps the text the CLI
 * printed, which is what a user reads.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./host";

export const REPO = join(__dirname, "..", "..", "..");

/**
 * The folder holding `pulumi`: `PULUMI_VIRT_CLI_DIR` when set, else what scripts/pulumi-cli.sh has cached
 * (`--check` never builds). Null when there is none.
 */
export function locateCli(): string | null {
  const fromEnv = process.env["PULUMI_VIRT_CLI_DIR"];
  if (fromEnv) {
    if (!existsSync(join(fromEnv, "pulumi"))) throw new Error(`PULUMI_VIRT_CLI_DIR=${fromEnv} has no pulumi`);
    return fromEnv;
  }
  try {
    const out = execFileSync("bash", [join(REPO, "scripts", "pulumi-cli.sh"), "--check"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out.trim().split("\n").pop() || null;
  } catch {
    return null;
  }
}

/** One step of an operation, from the engine's event log. */
export interface CliStep {
  op: string;
  urn: string;
  type: string;
  /** The resource's name (the URN's last part). */
  name: string;
  /** Property keys the engine reports as changed (diffs), when it has them. */
  diffs: string[];
}

export interface CliResult {
  /** What the CLI printed on stdout and stderr: what a user reads. */
  text: string;
  steps: CliStep[];
  /** name → op of each resource, the stack itself left out (the last step for a name wins: see `steps`). */
  ops: Record<string, string>;
  /** Diagnostics (provider and program output, engine messages), by severity. */
  diagnostics: { severity: string; message: string; urn: string }[];
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly result: CliResult,
    readonly code: number,
  ) {
    super(message);
  }
}

/** The shared temp folder: the packed package installed once, the backend, PULUMI_HOME. */
export class CliWorkspace {
  private static current: CliWorkspace | undefined;
  readonly root = tempDir("cli");
  readonly install: string;
  readonly backend: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;

  private constructor(readonly cliDir: string) {
    this.install = join(this.root.path, "install");
    this.backend = join(this.root.path, "backend");
    this.home = join(this.root.path, "home");
    for (const d of [this.install, this.backend, this.home]) mkdirSync(d, { recursive: true });
    this.env = {
      ...process.env,
      PATH: `${cliDir}:${process.env["PATH"]}`,
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_DISABLE_REGISTRY_RESOLVE: "true",
      PULUMI_DEBUG_COMMANDS: "true", // enables --event-log (as the Automation API does), read for the steps
      NO_COLOR: "1",
    };
  }

  /** The run's workspace, made on first use: `npm pack` of this repository, `npm install` into one folder. */
  static get(cliDir: string): CliWorkspace {
    if (CliWorkspace.current) return CliWorkspace.current;
    const ws = new CliWorkspace(cliDir);
    try {
      const packed = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", ws.root.path], { cwd: REPO, encoding: "utf8" })
        .trim()
        .split("\n")
        .pop()!;
      writeFileSync(join(ws.install, "package.json"), JSON.stringify(packageJson("pulumi-virt-cli-tests", `file:${join(ws.root.path, packed)}`), null, 2));
      execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
        cwd: ws.install,
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (e) {
      ws.root.remove();
      throw e;
    }
    CliWorkspace.current = ws;
    return ws;
  }

  /** Removes the workspace (the last suite's `after`); projects must be destroyed first. */
  static dispose(): void {
    CliWorkspace.current?.root.remove();
    CliWorkspace.current = undefined;
  }

  /**
   * A project folder for one program: Pulumi.yaml (name and description from `from`, runtime nodejs, no main),
   * package.json and tsconfig.json as `pulumi new typescript` writes them, `index.ts` copied as written, and
   * node_modules linked to the shared install. Then `pulumi stack init dev`.
   */
  async project(id: string, programTs: string, projectYaml: string): Promise<CliProject> {
    const dir = join(this.root.path, id);
    mkdirSync(dir);
    const yaml = readFileSync(projectYaml, "utf8");
    const name = /^name:\s*(\S+)/m.exec(yaml)![1]!;
    const description = /^description:\s*(.+)$/m.exec(yaml)?.[1] ?? name;
    writeFileSync(join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\ndescription: ${description}\n`);
    writeFileSync(join(dir, "package.json"), readFileSync(join(this.install, "package.json")));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 4));
    writeFileSync(join(dir, "index.ts"), readFileSync(programTs));
    symlinkSync(join(this.install, "node_modules"), join(dir, "node_modules"), "dir");
    const p = new CliProject(this, dir, name);
    await p.pulumi(["stack", "init", p.stack]);
    return p;
  }
}

function packageJson(name: string, pulumiVirt: string): object {
  return {
    name,
    main: "index.ts",
    devDependencies: { "@types/node": "20.19.43", typescript: "5.9.3" },
    dependencies: { "@pulumi/pulumi": "3.248.0", "pulumi-virt": pulumiVirt },
  };
}

// As the `typescript` template has it.
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

let logCounter = 0;

export class CliProject {
  readonly stack = "dev";
  /** The stack config (keys without a namespace get the project's); written before every operation. */
  readonly config: Record<string, string> = {};
  /** Gets what the CLI prints as it comes (the demo shows it live). */
  onOutput?: (text: string) => void;

  constructor(
    readonly ws: CliWorkspace,
    readonly dir: string,
    readonly project: string,
  ) {}

  private writeConfig(): void {
    const file = join(this.dir, `Pulumi.${this.stack}.yaml`);
    const salt = existsSync(file) ? /^encryptionsalt:.*$/m.exec(readFileSync(file, "utf8"))?.[0] : undefined;
    const lines = Object.entries(this.config).map(([k, v]) => `  ${JSON.stringify(k.includes(":") ? k : `${this.project}:${k}`)}: ${JSON.stringify(v)}`);
    writeFileSync(file, `${salt ? `${salt}\n` : ""}config:\n${lines.join("\n")}\n`);
  }

  /** Runs `pulumi <args>` in the project folder; resolves with what it printed, rejects with CliError on failure. */
  pulumi(args: string[], opts: { events?: string } = {}): Promise<{ text: string; code: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(join(this.ws.cliDir, "pulumi"), args, { cwd: this.dir, env: this.ws.env, stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      const take = (d: Buffer) => {
        text += d.toString("utf8");
        this.onOutput?.(d.toString("utf8"));
      };
      child.stdout.on("data", take);
      child.stderr.on("data", take);
      child.on("error", reject);
      child.on("close", (code) => {
        if (process.env["CLI_VERBOSE"]) process.stderr.write(`$ pulumi ${args.join(" ")}\n${text}\n`);
        if (code === 0) resolve({ text, code });
        else
          reject(
            new CliError(
              `pulumi ${args.join(" ")} exited ${code}:\n${text}`,
              { text, steps: [], ops: {}, diagnostics: readEvents(opts.events).diagnostics },
              code ?? -1,
            ),
          );
      });
    });
  }

  /** An engine operation with its event log read into steps and diagnostics. */
  private async operation(args: string[]): Promise<CliResult> {
    this.writeConfig();
    const events = join(this.ws.root.path, `events-${process.pid}-${++logCounter}.jsonl`);
    try {
      const { text } = await this.pulumi([...args, "--stack", this.stack, "--non-interactive", "--color", "never", "--event-log", events], { events });
      return { text, ...readEvents(events) };
    } catch (e) {
      if (e instanceof CliError) {
        const parsed = readEvents(events);
        throw new CliError(e.message, { text: e.result.text, ...parsed }, e.code);
      }
      throw e;
    } finally {
      rmSync(events, { force: true });
    }
  }

  preview(...extra: string[]): Promise<CliResult> {
    return this.operation(["preview", ...extra]);
  }
  up(...extra: string[]): Promise<CliResult> {
    return this.operation(["up", "--yes", "--skip-preview", ...extra]);
  }
  refresh(...extra: string[]): Promise<CliResult> {
    return this.operation(["refresh", "--yes", "--skip-preview", ...extra]);
  }
  destroy(...extra: string[]): Promise<CliResult> {
    return this.operation(["destroy", "--yes", "--skip-preview", ...extra]);
  }

  /** `pulumi stack output --json` (secrets stay `[secret]`). */
  async outputs(): Promise<Record<string, unknown>> {
    const { text } = await this.pulumi(["stack", "output", "--json", "--stack", this.stack]);
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** `pulumi stack export`: the checkpoint as stored (secrets encrypted). */
  async exportState(): Promise<{
    text: string;
    resources: { urn: string; type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[];
  }> {
    const { text } = await this.pulumi(["stack", "export", "--stack", this.stack]);
    const dep = JSON.parse(text) as {
      deployment: { resources?: { urn: string; type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] };
    };
    return { text, resources: dep.deployment.resources ?? [] };
  }

  /** For `after`: destroy through the CLI whatever a failed test left; the stack record goes with it. */
  async cleanup(): Promise<void> {
    await this.destroy().catch(() => undefined);
    await this.pulumi(["stack", "rm", "--yes", "--force", "--stack", this.stack]).catch(() => undefined);
  }
}

interface EngineEvent {
  resourcePreEvent?: { metadata: StepMetadata; planning?: boolean };
  resOutputsEvent?: { metadata: StepMetadata; planning?: boolean };
  diagnosticEvent?: { urn?: string; message: string; severity: string };
}
interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  diffs?: string[];
}

function readEvents(file: string | undefined): Omit<CliResult, "text"> {
  const steps: CliStep[] = [];
  const diagnostics: CliResult["diagnostics"] = [];
  if (file && existsSync(file)) {
    const pre = new Map<string, CliStep>();
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as EngineEvent;
      const step = e.resOutputsEvent ?? e.resourcePreEvent;
      if (step) {
        const m = step.metadata;
        const s: CliStep = { op: m.op, urn: m.urn, type: m.type, name: m.urn.split("::").pop()!, diffs: m.diffs ?? [] };
        const key = `${m.op} ${m.urn}`;
        // One entry per (op, urn): the outputs event, when there is one, replaces the pre event.
        if (!pre.has(key)) steps.push(s);
        else steps[steps.indexOf(pre.get(key)!)] = s;
        pre.set(key, s);
      }
      if (e.diagnosticEvent) diagnostics.push({ severity: e.diagnosticEvent.severity, message: e.diagnosticEvent.message, urn: e.diagnosticEvent.urn ?? "" });
    }
  }
  const ops: Record<string, string> = {};
  for (const s of steps) if (s.type !== "pulumi:pulumi:Stack" && !s.type.startsWith("pulumi:providers:")) ops[s.name] = s.op;
  return { steps, ops, diagnostics };
}

let skipNoted = false;

/**
 * For a CLI suite's `before`: the CLI folder. With no CLI the suite is skipped and says so once — except under
 * CI=true, where a missing CLI fails (CI builds it with scripts/pulumi-cli.sh before `npm test`).
 */
export function cliOrSkip(ctx: Mocha.Context): string {
  const dir = locateCli();
  if (dir) return dir;
  const why = "no Pulumi CLI: scripts/pulumi-cli.sh has none cached and PULUMI_VIRT_CLI_DIR is not set (build it: bash scripts/pulumi-cli.sh, needs Go)";
  if (process.env["CI"] === "true") throw new Error(`the CLI suite (test/cli) cannot run under CI: ${why}`);
  if (!skipNoted) {
    skipNoted = true;
    console.log(`\n  SKIPPED the CLI suite (test/cli, every example under the real pulumi): ${why}\n`);
  }
  ctx.skip();
}

process.on("exit", () => CliWorkspace.dispose());
