import assert from "node:assert/strict";
import { jsonClean } from "../../../provider/resources/resource";
import { domain } from "../../../provider/resources/domain";
import { volume } from "../../../provider/resources/volume";

describe("outputs handed to Pulumi", () => {
  it("drop undefined at every depth (protobuf's Struct refuses it), keeping null, 0, false and empty strings", () => {
    const v = { a: undefined, b: { c: undefined, d: 0, e: false, f: "" }, g: [1, undefined, { h: undefined, i: null }] };
    assert.deepEqual(jsonClean(v), { b: { d: 0, e: false, f: "" }, g: [1, { i: null }] });
  });
});

describe("check failures as Pulumi shows them", () => {
  it("never repeat the property: Pulumi prints it, so the reason starts with what is wrong", async () => {
    const r = await domain.check({}, { name: "pvt-srf-x", memory: "lots", vcpus: 0, metadata: [{ uri: "app/1", prefix: "app", xml: "<a/>" }] });
    const by = Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
    assert.match(by["memory"]!, /^"lots" /);
    assert.match(by["vcpus"]!, /^0 is below the minimum 1/);
    assert.match(by["metadata[0].uri"]!, /^"app\/1" is not an absolute URI/);
    for (const f of r.failures) assert.ok(!f.reason.startsWith(`${f.property}:`), `${f.property}: ${f.reason}`);
    const v = await volume.check({}, { name: "v", pool: "p" });
    assert.match(v.failures[0]!.reason, /^is required for an empty volume/);
    const n = await volume.check({}, { pool: "p", capacity: 1 });
    assert.deepEqual(n.failures.map((f) => `${f.property}: ${f.reason}`), ["name: is required: The volume's name, unique in its pool (the file name in a dir pool)."]);
  });
});
