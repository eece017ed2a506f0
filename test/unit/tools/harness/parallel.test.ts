/** Engine harness: independent resources are created concurrently; `parallel` bounds it. */
import assert from "node:assert/strict";
import { Fixture, ProgramSpec } from "./fixture";

const SLEEP = 500;
const spec: ProgramSpec = {
  resources: [
    { name: "x", props: { sleepMs: SLEEP } },
    { name: "y", props: { sleepMs: SLEEP } },
  ],
};

describe("harness: parallelism", () => {
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.cleanup());

  it("creates two independent resources concurrently", async () => {
    await fx.stack(spec).up();
    const [x, y] = fx.backend().log;
    const span = Math.max(x.ended, y.ended) - Math.min(x.started, y.started);
    assert.ok(x.started < y.ended && y.started < x.ended, "the two creates overlap");
    assert.ok(span < 2 * SLEEP, `both creates took ${span} ms together`);
  });

  it("with parallel: 1, provider operations run one at a time", async () => {
    await fx.stack(spec, { parallel: 1 }).up();
    const [x, y] = fx.backend().log;
    assert.ok(y.started >= x.ended, "the second create starts after the first ended");
  });
});
