/**
 * Shared set-up for the engine-harness tests: a temporary directory per test holding the state and the fixture
 * provider's backend file, and a `Stack` over the config-driven fixture program
 * (test/fixtures/harness/program) with a given resource spec.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Stack, StackOptions } from "../../../../tools/harness";

export const REPO_ROOT = path.resolve(__dirname, "../../../../..");
export const FIXTURE_PROGRAM = path.join(REPO_ROOT, "test/fixtures/harness/program");

/** One resource of the fixture program's `fixture:spec`. */
export interface ResourceSpec {
  name: string;
  kind?: "Thing" | "Plain";
  props?: Record<string, unknown>;
  /** input -> `<other resource>.<output>` */
  refs?: Record<string, string>;
  dependsOn?: string[];
  opts?: Record<string, unknown>;
}

export interface ProgramSpec {
  resources: ResourceSpec[];
  /** Make the program throw this message after declaring its resources. */
  throw?: string;
}

/** An object the fixture provider keeps in its backend file. */
export type BackendObject = Record<string, unknown> & { name: string; serial: string };

export interface BackendLogEntry {
  op: "create" | "create-half" | "create-failed" | "update" | "delete";
  id: string | null;
  name: string;
  started: number;
  ended: number;
}

export interface Backend {
  objects: Record<string, BackendObject>;
  log: BackendLogEntry[];
}

export class Fixture {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-test-"));
  readonly stateDir = path.join(this.dir, "state");
  readonly dbFile = path.join(this.dir, "backend.json");

  stack(spec: ProgramSpec, extra: Partial<StackOptions> = {}): Stack {
    return new Stack({
      programDir: FIXTURE_PROGRAM,
      stateDir: this.stateDir,
      config: { "fixture:spec": JSON.stringify(spec), "fixture:db": this.dbFile },
      verbose: process.env.HARNESS_VERBOSE === "1",
      ...extra,
    });
  }

  backend(): Backend {
    try {
      return JSON.parse(fs.readFileSync(this.dbFile, "utf8")) as Backend;
    } catch {
      return { objects: {}, log: [] };
    }
  }

  /** Edits the backend behind the harness's back (drift). */
  editBackend(edit: (b: Backend) => void): void {
    const b = this.backend();
    edit(b);
    fs.writeFileSync(this.dbFile, JSON.stringify(b, null, 2));
  }

  /** Backend log entries as `op:name`. */
  ops(): string[] {
    return this.backend().log.map((e) => `${e.op}:${e.name}`);
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Steps as `op:name`, leaving out the stack resource. */
export function stepList(result: { steps: { op: string; name: string; type: string }[] }): string[] {
  return result.steps.filter((s) => s.type !== "pulumi:pulumi:Stack").map((s) => `${s.op}:${s.name}`);
}
