/**
 * Engine harness: failures. Check failures, creates that fail with and without an ID (ErrorResourceInitFailed),
 * programs that throw.
 */
import assert from "node:assert/strict";
import { DeploymentError } from "../../../../tools/harness";
import { Fixture, stepList } from "./fixture";

/** Runs `op` and returns the DeploymentError it must throw. */
async function failure(op: () => Promise<unknown>): Promise<DeploymentError> {
  try {
    await op();
  } catch (err) {
    assert.ok(err instanceof DeploymentError, `expected a DeploymentError, got ${String(err)}`);
    return err;
  }
  assert.fail("the operation should have failed");
}

describe("harness: failures", () => {
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.cleanup());

  it("a check failure fails the operation with the property and the reason", async () => {
    const err = await failure(() => fx.stack({ resources: [{ name: "bad", props: { size: -1 } }] }).up());
    assert.match(err.message, /harness:Thing bad \(check\): check failed: size: size must be >= 0/);
    assert.deepEqual(err.failures[0].checkFailures, [{ property: "size", reason: "size must be >= 0" }]);
    assert.deepEqual(fx.backend().log, []);
  });

  it("a create that throws without an ID leaves nothing in state; resources already done stay", async () => {
    const stack = fx.stack({ resources: [{ name: "ok" }, { name: "bad", props: { fail: "quota exceeded" }, dependsOn: ["ok"] }] });
    const err = await failure(() => stack.up());
    assert.match(err.message, /harness:Thing bad \(create\): quota exceeded/);
    assert.equal(err.failures.length, 1);
    assert.deepEqual(stepList(err.result), ["create:ok", "create:bad"]);
    assert.equal(err.result.steps.find((s) => s.name === "bad")!.error, "quota exceeded");
    const urns = stack.state().resources.map((r) => r.urn);
    assert.ok(urns.some((u) => u.endsWith("::ok")));
    assert.ok(!urns.some((u) => u.endsWith("::bad")));
  });

  it("a create that throws with an ID keeps the half-created object in state; the next up updates it", async () => {
    const spec = (failWithId?: string) => ({ resources: [{ name: "half", props: failWithId ? { failWithId } : {} }] });
    const stack = fx.stack(spec("boom: did not start"));
    const err = await failure(() => stack.up());
    assert.match(err.message, /harness:Thing half \(create\): boom: did not start/);
    assert.match(err.message, /stays in state/);
    assert.deepEqual(err.failures[0].initErrors, ["boom: did not start"]);

    const half = stack.state().resources.find((r) => r.urn.endsWith("::half"))!;
    const [backendId] = Object.keys(fx.backend().objects);
    assert.equal(half.id, backendId);
    assert.deepEqual(half.initErrors, ["boom: did not start"]);
    assert.equal(half.outputs.serial, fx.backend().objects[backendId].serial);

    const r = await fx.stack(spec()).up();
    const step = r.steps.find((s) => s.name === "half")!;
    assert.equal(step.op, "update", "init errors make the engine update an otherwise unchanged resource");
    assert.deepEqual(step.detail.initErrors, ["boom: did not start"]);
    assert.equal(
      fx
        .stack(spec())
        .state()
        .resources.find((r) => r.urn.endsWith("::half"))!.initErrors,
      undefined,
    );
  });

  it("continueOnError (up --continue-on-error): after a failure, steps that do not depend on it still run", async () => {
    const spec = {
      resources: [
        { name: "bad", props: { fail: "host down" } },
        { name: "first", props: { sleepMs: 400 } },
        { name: "second", dependsOn: ["first"] },
        { name: "child", dependsOn: ["bad"] },
      ],
    };
    const plain = await failure(() => fx.stack(spec).up());
    assert.ok(!stepList(plain.result).includes("create:second"), "by default no new step starts after a failure");
    await fx.stack(spec).destroy();
    const err = await failure(() => fx.stack(spec, { continueOnError: true }).up());
    assert.deepEqual(
      err.failures.map((f) => f.name),
      ["bad"],
    );
    const steps = stepList(err.result);
    assert.ok(steps.includes("create:first") && steps.includes("create:second"), steps.join(", "));
    assert.ok(!steps.includes("create:child"), "what depends on the failed resource is not processed");
  });

  it("protect: destroy refuses to delete a protected resource and leaves the state alone", async () => {
    const spec = { resources: [{ name: "keep", opts: { protect: true } }] };
    await fx.stack(spec).up();
    const stack = fx.stack(spec);
    const err = await failure(() => stack.destroy());
    assert.match(err.message, /harness:Thing keep \(delete\): the resource is protected/);
    assert.ok(stack.state().resources.some((r) => r.urn.endsWith("::keep") && r.protect));
    assert.equal(Object.keys(fx.backend().objects).length, 1);
  });

  // A hang would fail this test on mocha's limit; the assertions are about what is reported.
  it("a failing program is reported with its error and exit code", async () => {
    const err = await failure(() => fx.stack({ resources: [], throw: "kaboom from the program" }).up());
    assert.match(err.message, /the program exited with code \d+/);
    assert.match(err.message, /kaboom from the program/);
    assert.notEqual(err.programExitCode, 0);
  });
});
