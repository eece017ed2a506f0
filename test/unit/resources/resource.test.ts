import assert from "node:assert/strict";
import { cloudInitSpec } from "../../../provider/resources/cloudinit/spec";
import { domainSpec } from "../../../provider/resources/domain/spec";
import { isSecretPath, jsonClean } from "../../../provider/resources/resource";
import { domain } from "../../../provider/resources/domain";
import { volume } from "../../../provider/resources/volume";

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
    assert.deepEqual(
      n.failures.map((f) => `${f.property}: ${f.reason}`),
      ["name: is required: The volume's name, unique in its pool (the file name in a dir pool)."],
    );
  });
});

describe("preview refuses what needs no host", () => {
  it("an unparsable URI, an unknown transport or driver: on connection.uri, before any connection", async () => {
    const base = { name: "pvt-srf-x", pool: "p", capacity: 1 };
    const reasons = async (uri: string) => (await volume.check({}, { ...base, connection: { uri } })).failures.map((f) => `${f.property}: ${f.reason}`);
    assert.deepEqual(await reasons("qemu:///system"), []);
    assert.deepEqual(await reasons("test+unix:///default"), []);
    assert.match((await reasons("not a uri"))[0]!, /^connection\.uri: "not a uri" is not a libvirt URI/);
    assert.match((await reasons("qemu+carrier://h/system"))[0]!, /^connection\.uri: .*unknown transport "carrier"/);
    assert.match((await reasons("qemuu:///system"))[0]!, /^connection\.uri: qemuu:\/\/\/system: unknown driver "qemuu"; libvirt's are qemu, xen/);
    // From the environment: named as such.
    const before = process.env["LIBVIRT_DEFAULT_URI"];
    process.env["LIBVIRT_DEFAULT_URI"] = "kvm:///system";
    try {
      assert.match(
        (await volume.check({}, base)).failures.map((f) => f.reason).join(),
        /unknown driver "kvm".*\(from stack config virt:uri or LIBVIRT_DEFAULT_URI\)/,
      );
    } finally {
      if (before === undefined) delete process.env["LIBVIRT_DEFAULT_URI"];
      else process.env["LIBVIRT_DEFAULT_URI"] = before;
    }
  });

  it("a multicast or malformed MAC on a domain NIC", async () => {
    const nic = async (mac: string) =>
      (await domain.check({}, { name: "pvt-srf-x", memory: "64MiB", networkInterfaces: [{ network: "n", mac }] })).failures.map(
        (f) => `${f.property}: ${f.reason}`,
      );
    assert.deepEqual(await nic("52:54:00:12:34:56"), []);
    assert.deepEqual(await nic("01:00:5e:00:00:01"), [
      'networkInterfaces[0].mac: "01:00:5e:00:00:01" is a multicast address; a guest NIC has a unicast MAC (first byte even), e.g. 52:54:00:12:34:56',
    ]);
    assert.match((await nic("ff:ff:ff:ff:ff:ff"))[0]!, /multicast/);
    assert.match((await nic("52:54:00:12:34"))[0]!, /is not a MAC address like 52:54:00:12:34:56/);
  });
});
