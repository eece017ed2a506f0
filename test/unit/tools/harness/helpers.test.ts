/** Engine harness: the pure parts (URNs, dependency order, delete schedule, ignoreChanges, limiter, formatting). */
import assert from "node:assert/strict";
import { Limiter } from "../../../../tools/harness/concurrency";
import { applyIgnoreChanges } from "../../../../tools/harness/deployment";
import { formatStep } from "../../../../tools/harness/format";
import { parseDuration } from "../../../../tools/harness/monitor";
import { ResourceState, makeUrn, scheduleDeletes, sortByDependencies, urnName } from "../../../../tools/harness/state";

const STACK = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
const res = (name: string, deps: string[] = [], extra: Partial<ResourceState> = {}): ResourceState => ({
  urn: makeUrn("dev", "p", "t:m:T", name, STACK),
  type: "t:m:T",
  custom: true,
  inputs: {},
  outputs: {},
  dependencies: deps.map((d) => makeUrn("dev", "p", "t:m:T", d, STACK)),
  parent: STACK,
  ...extra,
});
const stack: ResourceState = { urn: STACK, type: "pulumi:pulumi:Stack", custom: false, inputs: {}, outputs: {}, dependencies: [] };
const names = (rs: ResourceState[]) => rs.map((r) => (r === stack ? "stack" : urnName(r.urn)));

describe("harness: helpers", () => {
  it("builds URNs with parent-qualified types, except under the stack", () => {
    assert.equal(makeUrn("dev", "p", "t:m:T", "a", STACK), "urn:pulumi:dev::p::t:m:T::a");
    const comp = makeUrn("dev", "p", "my:C", "c", STACK);
    assert.equal(makeUrn("dev", "p", "t:m:T", "a", comp), "urn:pulumi:dev::p::my:C$t:m:T::a");
    assert.equal(urnName("urn:pulumi:dev::p::t:m:T::odd::name"), "odd::name");
  });

  it("sorts records after their dependencies and parent, stably", () => {
    const c = res("c", ["b"]);
    const b = res("b", ["a"]);
    const a = res("a");
    const x = res("x");
    assert.deepEqual(names(sortByDependencies([c, x, b, stack, a])), ["stack", "a", "b", "c", "x"]);
  });

  it("schedules deletes in antichains: dependents and children first", () => {
    const a = res("a");
    const b = res("b", ["a"]);
    const c = res("c", ["a"]);
    const d = res("d", ["b"]);
    const chains = scheduleDeletes([stack, a, b, c, d]).map(names);
    assert.deepEqual(chains, [["c", "d"], ["b"], ["a"], ["stack"]]);
  });

  it("applies ignoreChanges paths from the old inputs", () => {
    const olds = { a: 1, n: { x: 1, y: 2 }, gone: 5 };
    const news = { a: 2, n: { x: 9, y: 9 }, added: 3 };
    assert.deepEqual(applyIgnoreChanges(olds, news, ["a", "n.x", "added"]), { a: 1, n: { x: 1, y: 9 } });
  });

  it("limits concurrency and hands slots over in order", async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        limiter.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 10));
          order.push(i);
          active--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order.sort(), [0, 1, 2, 3, 4]);
  });

  it("parses custom timeouts as Go durations", () => {
    assert.equal(parseDuration("1h30m"), 5400);
    assert.equal(parseDuration("90s"), 90);
    assert.equal(parseDuration(""), 0);
  });

  it("formats steps as progress lines", () => {
    const base = {
      urn: "urn:pulumi:dev::p::pulumi-nodejs:dynamic/virt:Volume::data",
      type: "pulumi-nodejs:dynamic/virt:Volume",
      name: "data",
      preview: false,
      startedAt: 0,
    };
    assert.equal(formatStep({ ...base, op: "create", detail: {}, durationMs: 1234 }), "+ virt:Volume data created (1.2 s)");
    assert.equal(
      formatStep({ ...base, op: "replace", detail: { replaces: ["pool"], deleteBeforeReplace: true }, durationMs: 50 }),
      "+- virt:Volume data replaced [replace: pool; delete first] (0.1 s)",
    );
    assert.equal(formatStep({ ...base, op: "update", detail: {}, durationMs: 0, preview: true }), "~ virt:Volume data update");
    assert.equal(formatStep({ ...base, op: "create", detail: {}, durationMs: 5, error: "boom" }), "x virt:Volume data create FAILED: boom (0.0 s)");
  });
});
