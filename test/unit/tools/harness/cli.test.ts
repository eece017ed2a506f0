/** Engine harness CLI: progress lines, outputs, exit codes. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { FIXTURE_PROGRAM, Fixture, REPO_ROOT } from "./fixture";

const CLI = path.join(REPO_ROOT, "dist/tools/harness/cli.js");

describe("harness: cli", () => {
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.cleanup());

  const run = (op: string, spec: object) =>
    spawnSync(
      process.execPath,
      [CLI, op, FIXTURE_PROGRAM, "--state", fx.stateDir, "--config", `fixture:spec=${JSON.stringify(spec)}`, "--config", `fixture:db=${fx.dbFile}`],
      { encoding: "utf8", timeout: 50_000 },
    );

  it("prints a line per resource, the provider's output, the outputs and a summary", () => {
    const r = run("up", { resources: [{ name: "a" }] });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\+ harness:Thing a created \(\d+\.\d s\)$/m);
    assert.match(r.stdout, /\| provider: fixture provider configured/);
    assert.match(r.stdout, /Outputs:\n {2}aSerial: "[0-9a-f-]{36}"/);
    assert.match(r.stdout, /up: 2 created/);
    const d = run("destroy", { resources: [{ name: "a" }] });
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /^- harness:Thing a deleted/m);
  });

  it("exits 1 and prints the failure", () => {
    const r = run("up", { resources: [{ name: "bad", props: { size: -1 } }] });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /up failed\n {2}harness:Thing bad \(check\): check failed: size: size must be >= 0/);
  });
});
