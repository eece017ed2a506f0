import assert from "node:assert/strict";
import { PropSpec, UNKNOWN } from "../../../provider/diff";
import { checkInputs } from "../../../provider/resources/check";
import { compareIp, inSubnet, ipVersion, netmaskToPrefix } from "../../../provider/resources/ip";

const spec: Record<string, PropSpec> = {
  name: { type: { kind: "string", format: "name" }, doc: "The volume's name. Unique in its pool.", required: true, update: "replace" },
  capacity: { type: { kind: "size", min: 1 }, doc: "Size.", required: true, update: "live" },
  format: { type: { kind: "string", enum: ["raw", "qcow2"] }, doc: "Format.", default: "qcow2", update: "replace" },
  path: { type: { kind: "string", format: "absolutePath" }, doc: "Path.", update: "replace" },
  count: { type: { kind: "integer", min: 1, max: 4 }, doc: "Count.", update: "live" },
  target: {
    type: { kind: "object", properties: { mode: { type: { kind: "string", format: "octalMode" }, doc: "Mode.", update: "live" } } },
    doc: "Target.",
    update: "live",
  },
  hosts: {
    type: {
      kind: "array",
      key: "mac",
      items: { kind: "object", properties: { mac: { type: { kind: "string", format: "mac" }, doc: "MAC.", required: true, update: "live" } } },
    },
    doc: "Hosts.",
    update: "live",
  },
};

describe("check", () => {
  it("normalises: sizes to bytes, defaults filled, MACs lower-case, Pulumi's keys kept", () => {
    const r = checkInputs(spec, { name: "data", capacity: "1GiB", hosts: [{ mac: "52:54:00:AA:BB:CC" }], __provider: "x" });
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.inputs, { name: "data", capacity: 1073741824, format: "qcow2", hosts: [{ mac: "52:54:00:aa:bb:cc" }], __provider: "x" });
  });

  it("reports every failure at once, each naming the property, the value and what is allowed", () => {
    const r = checkInputs(spec, {
      capacity: "10XB",
      format: "vmdk",
      path: "relative/dir",
      count: 9,
      target: { mode: "rwx", colour: 1 },
      hosts: [{ mac: "52:54:00:00:00:01" }, { mac: "52:54:00:00:00:01" }, { mac: "nope" }],
      bogus: 1,
    });
    const by = Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
    assert.match(by["name"]!, /name is required: The volume's name\./);
    assert.match(by["capacity"]!, /capacity: "10XB" has an unknown unit/);
    assert.match(by["format"]!, /"vmdk" is not one of "raw", "qcow2"/);
    assert.match(by["path"]!, /must be an absolute path/);
    assert.match(by["count"]!, /9 is above the maximum 4/);
    assert.match(by["target.mode"]!, /"rwx" is not an octal mode/);
    assert.match(by["target.colour"]!, /unknown property/);
    assert.match(by["hosts[1]"]!, /mac "52:54:00:00:00:01" is already used by hosts\[0\]/);
    assert.match(by["hosts[2].mac"]!, /"nope" is not a MAC address/);
    assert.match(by["bogus"]!, /unknown property "bogus"; known: name, capacity/);
  });

  it("refuses names libvirt or a shell would trip on", () => {
    for (const bad of ["-rf", "a/b", "", "x".repeat(101), "a b", "$(x)", ".hidden"]) {
      assert.equal(checkInputs(spec, { name: bad, capacity: 1 }).failures.length, 1, bad);
    }
  });

  it("lets values unknown during preview through", () => {
    const r = checkInputs(spec, { name: UNKNOWN, capacity: UNKNOWN, hosts: [{ mac: UNKNOWN }] });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs["capacity"], UNKNOWN);
  });
});

describe("ip", () => {
  it("tells IPv4 from IPv6 and refuses look-alikes", () => {
    assert.equal(ipVersion("10.0.0.1"), 4);
    assert.equal(ipVersion("fd00::1"), 6);
    assert.equal(ipVersion("::ffff:10.0.0.1"), 6);
    assert.equal(ipVersion("2001:db8:0:0:0:0:0:1"), 6);
    for (const bad of ["10.0.0.256", "010.0.0.1", "1.2.3", "fd00:::1", "1::2::3", "g::1", "1:2:3:4:5:6:7:8:9"]) assert.equal(ipVersion(bad), 0, bad);
  });
  it("checks subnets, orders addresses, converts netmasks", () => {
    assert.ok(inSubnet("10.0.0.200", "10.0.0.1", 24));
    assert.ok(!inSubnet("10.0.1.2", "10.0.0.1", 24));
    assert.ok(inSubnet("fd00::abcd", "fd00::1", 64));
    assert.ok(!inSubnet("fd01::1", "fd00::1", 64));
    assert.ok(compareIp("10.0.0.2", "10.0.0.10") < 0);
    assert.equal(netmaskToPrefix("255.255.255.0"), 24);
    assert.equal(netmaskToPrefix("255.255.255.255"), 32);
    assert.equal(netmaskToPrefix("255.0.255.0"), undefined);
  });
});
