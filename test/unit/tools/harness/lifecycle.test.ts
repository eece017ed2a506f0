/**
 * Engine harness against the real `cmd/run` and the real dynamic-provider plugin: preview, up, no-op up,
 * update, replacement orderings, deletion of unregistered resources, destroy.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { UNKNOWN } from "../../../../tools/harness";
import { Fixture, ProgramSpec, stepList } from "./fixture";

const chain: ProgramSpec = {
  resources: [
    { name: "a", props: { value: 1 } },
    { name: "b", refs: { value: "a.serial" } },
    { name: "c", props: { value: "c" }, dependsOn: ["b"] },
  ],
};

describe("harness: lifecycle", () => {
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.cleanup());

  it("preview on an empty state plans creates and creates nothing", async () => {
    const stack = fx.stack(chain);
    const r = await stack.preview();
    assert.deepEqual(stepList(r), ["create:a", "create:b", "create:c"]);
    assert.ok(r.steps.every((s) => s.preview));
    assert.equal(r.outputs.aSerial, UNKNOWN, "computed outputs are unknown in a preview");
    assert.deepEqual(fx.backend().log, []);
    assert.equal(fs.existsSync(stack.store.file), false, "a preview writes no state");
    assert.ok(
      r.diagnostics.some((d) => d.source === "plugin" && d.text.includes("fixture provider configured")),
      "plugin output is collected",
    );
  });

  it("up creates in dependency order and records dependencies, provider and outputs", async () => {
    const stack = fx.stack(chain);
    const r = await stack.up();
    assert.deepEqual(stepList(r), ["create:a", "create:b", "create:c"]);
    assert.deepEqual(fx.ops(), ["create:a", "create:b", "create:c"]);
    const log = fx.backend().log;
    assert.ok(log[1].started >= log[0].ended && log[2].started >= log[1].ended, "each create waits for its dependency");

    const state = stack.state().resources;
    const byName = (n: string) => state.find((x) => x.urn.endsWith(`::${n}`))!;
    const [a, b, c] = ["a", "b", "c"].map(byName);
    assert.deepEqual(b.dependencies, [a.urn]);
    assert.deepEqual(b.propertyDependencies?.value, [a.urn]);
    assert.deepEqual(c.dependencies, [b.urn]);
    assert.ok(state.indexOf(a) < state.indexOf(b) && state.indexOf(b) < state.indexOf(c), "state is in dependency order");
    for (const x of [a, b, c]) {
      assert.equal(typeof x.inputs.__provider, "string");
      assert.equal(typeof x.outputs.__provider, "string");
      assert.match(x.provider!, /::pulumi:providers:pulumi-nodejs::default::[0-9a-f-]{36}$/);
      assert.ok(fx.backend().objects[x.id!], `${x.urn} exists in the backend`);
    }
    assert.equal(a.inputs.zone, "a", "inputs are the checked inputs (defaults filled by check)");
    assert.equal(b.outputs.value, a.outputs.serial);
    assert.equal(r.outputs.aSerial, a.outputs.serial);
    assert.deepEqual(stack.outputs(), r.outputs);
  });

  it("a second up with no changes is all `same` and calls no Create/Update", async () => {
    await fx.stack(chain).up();
    const before = fx.stack(chain).state();
    const r = await fx.stack(chain).up();
    assert.deepEqual(stepList(r), ["same:a", "same:b", "same:c"]);
    assert.equal(fx.backend().log.length, 3);
    assert.deepEqual(
      fx
        .stack(chain)
        .state()
        .resources.map((x) => x.id),
      before.resources.map((x) => x.id),
    );
  });

  it("an input change updates in place; dependents whose inputs did not change stay the same", async () => {
    await fx.stack(chain).up();
    const changed: ProgramSpec = { resources: [{ ...chain.resources[0], props: { value: 2 } }, ...chain.resources.slice(1)] };
    // In a preview the dynamic plugin cannot say what an update will output (no supportsPreview), so a.serial is
    // unknown and b, which takes it as input, shows as an update too (as with the real engine).
    const preview = await fx.stack(changed).preview();
    assert.deepEqual(stepList(preview), ["update:a", "update:b", "same:c"]);
    const r = await fx.stack(changed).up();
    assert.deepEqual(stepList(r), ["update:a", "same:b", "same:c"]);
    assert.deepEqual(r.steps.find((s) => s.name === "a")!.detail.changedInputs, ["value"]);
    assert.deepEqual(fx.ops().slice(3), ["update:a"]);
    const a = fx
      .stack(changed)
      .state()
      .resources.find((x) => x.urn.endsWith("::a"))!;
    assert.equal(a.outputs.value, 2);
  });

  it("replacement: create-before-delete by default, delete-before-replace when the provider or the option asks", async () => {
    const spec = (zone: string): ProgramSpec => ({
      resources: [
        { name: "cbd", props: { zone } },
        { name: "user", refs: { value: "cbd.serial" } },
        { name: "dbrProvider", props: { zone, dbr: true } },
        { name: "dbrOption", props: { zone }, opts: { deleteBeforeReplace: true } },
      ],
    });
    await fx.stack(spec("a")).up();
    const r = await fx.stack(spec("b")).up();

    const opsOf = (name: string) =>
      fx
        .ops()
        .slice(4)
        .filter((o) => o.endsWith(`:${name}`))
        .map((o) => o.split(":")[0]);
    assert.deepEqual(opsOf("cbd"), ["create", "delete"]);
    assert.deepEqual(opsOf("dbrProvider"), ["delete", "create"]);
    assert.deepEqual(opsOf("dbrOption"), ["delete", "create"]);
    // the dependent is updated to the new object before the old one is deleted
    const tail = fx
      .ops()
      .slice(4)
      .filter((o) => /:(cbd|user)$/.test(o));
    assert.deepEqual(tail, ["create:cbd", "update:user", "delete:cbd"]);

    const steps = stepList(r);
    assert.ok(steps.indexOf("delete-replaced:dbrProvider") < steps.indexOf("replace:dbrProvider"));
    assert.ok(steps.indexOf("replace:cbd") < steps.indexOf("delete-replaced:cbd"));
    assert.equal(steps[steps.length - 1], "delete-replaced:cbd", "create-before-delete deletes the old object last");
    const step = (n: string) => r.steps.find((s) => s.name === n && s.op === "replace")!;
    assert.deepEqual(step("cbd").detail.replaces, ["zone"]);
    assert.equal(step("cbd").detail.deleteBeforeReplace, false);
    assert.equal(step("dbrProvider").detail.deleteBeforeReplace, true);
    assert.equal(step("dbrOption").detail.deleteBeforeReplace, true);

    const state = fx.stack(spec("b")).state().resources;
    assert.equal(state.filter((x) => x.delete || x.pendingReplacement).length, 0);
    assert.equal(Object.keys(fx.backend().objects).length, 4);
  });

  it("a provider without `diff`: the engine diffs the inputs; replaceOnChanges forces a replacement", async () => {
    const spec = (value: number, replaceOnChanges: string[] = []): ProgramSpec => ({
      resources: [{ name: "p", kind: "Plain", props: { value }, opts: { replaceOnChanges } }],
    });
    await fx.stack(spec(1)).up();
    assert.deepEqual(stepList(await fx.stack(spec(1)).up()), ["same:p"]);
    assert.deepEqual(stepList(await fx.stack(spec(2)).up()), ["update:p"]);
    const r = await fx.stack(spec(3, ["value"])).up();
    assert.deepEqual(stepList(r), ["replace:p", "delete-replaced:p"]);
    assert.deepEqual(r.steps.find((s) => s.op === "replace")!.detail.replaces, ["value"]);
  });

  it("resources no longer registered are deleted in reverse dependency order", async () => {
    await fx.stack(chain).up();
    const stack = fx.stack({ resources: [] });
    const r = await stack.up();
    assert.deepEqual(stepList(r), ["delete:c", "delete:b", "delete:a"]);
    assert.deepEqual(fx.ops().slice(3), ["delete:c", "delete:b", "delete:a"]);
    assert.deepEqual(
      stack.state().resources.map((x) => x.type),
      ["pulumi:pulumi:Stack"],
      "the default provider goes too",
    );
  });

  it("destroy deletes everything in reverse dependency order", async () => {
    await fx.stack(chain).up();
    const stack = fx.stack(chain);
    const r = await stack.destroy();
    assert.deepEqual(fx.ops().slice(3), ["delete:c", "delete:b", "delete:a"]);
    assert.deepEqual(
      r.steps.map((s) => `${s.op}:${s.name}`),
      ["delete:c", "delete:b", "delete:a", "delete:harness-fixture-dev"],
    );
    assert.deepEqual(stack.state().resources, []);
    assert.deepEqual(fx.backend().objects, {});
  });
});
