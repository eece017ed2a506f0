/** Engine harness: TypeScript programs by default, Pulumi.<stack>.yaml config, failed steps counted as failed. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURE_PROGRAM, Fixture, REPO_ROOT } from "./fixture";

const CLI = path.join(REPO_ROOT, "dist/tools/harness/cli.js");

describe("harness: TypeScript, stack config file, summary", function () {
  this.timeout(120000);
  let fx: Fixture;
  let program = "";
  beforeEach(() => {
    fx = new Fixture();
    // Inside the repository, so the program resolves @pulumi/pulumi and typescript as a user's project would.
    program = fs.mkdtempSync(path.join(REPO_ROOT, "dist", "pvt-srf-tsprog-"));
  });
  afterEach(() => {
    fx.cleanup();
    fs.rmSync(program, { recursive: true, force: true });
  });
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args, "--state", fx.stateDir], { encoding: "utf8", timeout: 100_000 });

  it("runs an index.ts program as it is (no --env), with the config of Pulumi.<stack>.yaml; --config wins over the file", () => {
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: tsdemo\nruntime: nodejs\n");
    // As `pulumi new typescript` leaves it: package.json main index.ts, a tsconfig, the program in TypeScript.
    fs.writeFileSync(path.join(program, "package.json"), JSON.stringify({ name: "tsdemo", main: "index.ts" }));
    fs.writeFileSync(
      path.join(program, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: "ES2022",
          module: "node16",
          moduleResolution: "node16",
          esModuleInterop: true,
          skipLibCheck: true,
          types: ["node"],
        },
        files: ["index.ts"],
      }),
    );
    fs.writeFileSync(
      path.join(program, "Pulumi.dev.yaml"),
      'config:\n  tsdemo:greeting: "hello from the stack file"\n  tsdemo:count: 3\n  virt:uri: test:///default\n',
    );
    fs.writeFileSync(
      path.join(program, "index.ts"),
      'import * as pulumi from "@pulumi/pulumi";\nconst c = new pulumi.Config();\nconst n: number = c.requireNumber("count");\n' +
        'export const greeting: string = c.require("greeting");\nexport const twice = n * 2;\nexport const uri = new pulumi.Config("virt").get("uri");\n',
    );
    const r = cli("up", program);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /greeting: "hello from the stack file"/);
    assert.match(r.stdout, /twice: 6/);
    assert.match(r.stdout, /uri: "test:\/\/\/default"/);
    const o = cli("up", program, "--config", "greeting=from the command line");
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stdout, /greeting: "from the command line"/);
  });

  it("refuses an encrypted value in Pulumi.<stack>.yaml, saying what to do", () => {
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: tsdemo\nruntime: nodejs\n");
    fs.writeFileSync(path.join(program, "Pulumi.dev.yaml"), "config:\n  tsdemo:password:\n    secure: AAABAxyz\n");
    fs.writeFileSync(path.join(program, "index.ts"), "export const x = 1;\n");
    const r = cli("preview", program);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /Pulumi\.dev\.yaml:2: tsdemo:password is an encrypted \(secure\) value, which the harness cannot read; pass it with --config tsdemo:password=VALUE/,
    );
  });

  it("counts a failed step as failed in the summary, not as done", () => {
    const spec = { resources: [{ name: "ok" }, { name: "bad", props: { fail: "boom" } }] };
    const r = spawnSync(
      process.execPath,
      [CLI, "up", FIXTURE_PROGRAM, "--state", fx.stateDir, "--config", `fixture:spec=${JSON.stringify(spec)}`, "--config", `fixture:db=${fx.dbFile}`],
      { encoding: "utf8", timeout: 50_000 },
    );
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const summary = /^up: (.*)$/m.exec(r.stdout)?.[1] ?? "";
    assert.match(summary, /1 failed/, summary);
    assert.match(summary, /^2 created, 1 failed/, summary);
  });
});
