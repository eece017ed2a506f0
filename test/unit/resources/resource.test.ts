import assert from "node:assert/strict";
import { cloudInitSpec } from "../../../provider/resources/cloudinit/spec";
import { domainSpec } from "../../../provider/resources/domain/spec";
import { isSecretPath, jsonClean } from "../../../provider/resources/resource";

describe("outputs handed to Pulumi", () => {
  it("drop undefined at every depth (protobuf's Struct refuses it), keeping null, 0, false and empty strings", () => {
    const v = { a: undefined, b: { c: undefined, d: 0, e: false, f: "" }, g: [1, undefined, { h: undefined, i: null }] };
    assert.deepEqual(jsonClean(v), { b: { d: 0, e: false, f: "" }, g: [1, { i: null }] });
  });
});

describe("isSecretPath: check failures on secrets go out without a property (the engine prints a named property's value)", () => {
  it("finds secrets at the top level and nested in objects and lists, and nothing else", () => {
    assert.equal(isSecretPath(cloudInitSpec.inputs, "userData"), true);
    assert.equal(isSecretPath(cloudInitSpec.inputs, "metaData.instanceId"), false);
    assert.equal(isSecretPath(domainSpec.inputs, "graphics.password"), true);
    assert.equal(isSecretPath(domainSpec.inputs, "graphics.port"), false);
    assert.equal(isSecretPath(domainSpec.inputs, "disks[0].source"), false);
    assert.equal(isSecretPath(domainSpec.inputs, "nosuch.password"), false);
  });
});
