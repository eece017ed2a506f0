/** Engine harness: refresh picks up drift and objects deleted behind its back. */
import assert from "node:assert/strict";
import { Fixture, ProgramSpec, stepList } from "./fixture";

const spec: ProgramSpec = {
  resources: [
    { name: "a", props: { value: 1 } },
    { name: "b", refs: { value: "a.serial" } },
  ],
};

describe("harness: refresh", () => {
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.cleanup());

  it("reports drift, takes the provider's outputs, and the next up corrects it", async () => {
    await fx.stack(spec).up();
    const stack = fx.stack(spec);
    const aId = stack.state().resources.find((r) => r.urn.endsWith("::a"))!.id!;
    fx.editBackend((b) => (b.objects[aId].value = 42));

    const r = await stack.refresh();
    assert.deepEqual(stepList(r).sort(), ["refresh-same:b", "refresh-update:a"]);
    assert.deepEqual(r.steps.find((s) => s.name === "a")!.detail.driftKeys, ["value"]);
    // Like the engine, refresh asks the provider's Diff (read outputs vs the program's inputs): its plan prints.
    assert.equal(r.steps.find((s) => s.name === "a")!.detail.refreshChanges, true);
    assert.equal(r.steps.find((s) => s.name === "b")!.detail.refreshChanges, false);
    assert.ok(
      r.diagnostics.some((d) => d.source === "plugin" && d.text.includes(`plan ${aId}: value`)),
      JSON.stringify(r.diagnostics),
    );
    const a = stack.state().resources.find((x) => x.urn.endsWith("::a"))!;
    assert.equal(a.outputs.value, 42);
    assert.equal(a.inputs.value, 1, "refresh leaves the inputs alone when read returns none");
    assert.equal(fx.backend().log.length, 2, "refresh changes nothing at the provider");

    const up = await fx.stack(spec).up();
    assert.deepEqual(stepList(up), ["update:a", "same:b"]);
    assert.equal(fx.backend().objects[aId].value, 1);
  });

  it("removes from state a resource deleted behind its back, and the next up creates it again", async () => {
    await fx.stack(spec).up();
    const stack = fx.stack(spec);
    const bId = stack.state().resources.find((r) => r.urn.endsWith("::b"))!.id!;
    fx.editBackend((b) => delete b.objects[bId]);

    const r = await stack.refresh();
    assert.deepEqual(stepList(r).sort(), ["refresh-delete:b", "refresh-same:a"]);
    assert.ok(!stack.state().resources.some((x) => x.urn.endsWith("::b")));

    const up = await fx.stack(spec).up();
    assert.deepEqual(stepList(up), ["same:a", "create:b"]);
  });
});
