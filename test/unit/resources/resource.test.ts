import assert from "node:assert/strict";
import { jsonClean } from "../../../provider/resources/resource";

describe("outputs handed to Pulumi", () => {
  it("drop undefined at every depth (protobuf's Struct refuses it), keeping null, 0, false and empty strings", () => {
    const v = { a: undefined, b: { c: undefined, d: 0, e: false, f: "" }, g: [1, undefined, { h: undefined, i: null }] };
    assert.deepEqual(jsonClean(v), { b: { d: 0, e: false, f: "" }, g: [1, { i: null }] });
  });
});
