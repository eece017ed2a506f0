import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseInterfaceXml, XmlError } from "../../../provider/xml";
import { hostInterface } from "../../../provider/resources/host-interfaces";
import { FIXTURES } from "./corpus";

const DIR = join(FIXTURES, "interface");
const xml = (f: string) => readFileSync(join(DIR, f), "utf8");

describe("host interface XML (virInterfaceGetXMLDesc)", () => {
  // Captured from libvirt 9.0's udev backend on qemu:///system (bridge-*, veth, ethernet, loopback), from the
  // test driver (netcf-style-test-driver: the shape of a backend that reports addresses), and one hand-written VLAN.
  for (const f of readdirSync(DIR)
    .filter((x) => x.endsWith(".xml"))
    .sort()) {
    it(`parses ${f} to its expected model`, () => {
      assert.deepEqual(parseInterfaceXml(xml(f)), JSON.parse(xml(f.replace(/\.xml$/, ".expected.json"))));
    });
  }

  it("reads a bridge's ports and STP, and no MAC or link of the bridge itself (udev writes none)", () => {
    const m = parseInterfaceXml(xml("bridge-port.xml"));
    assert.equal(m.type, "bridge");
    assert.equal(m.mac, undefined);
    assert.equal(m.linkState, undefined);
    assert.deepEqual(m.bridge?.stp, false);
    assert.deepEqual(
      m.bridge?.ports.map((p) => [p.name, p.type, p.linkState]),
      [["pvthbca", "ethernet", "up"]],
    );
    assert.deepEqual(parseInterfaceXml(xml("bridge-empty.xml")).bridge?.ports, []);
  });

  it("has no addresses from the udev backend, and reads <protocol> addresses where a backend writes them", () => {
    for (const f of ["ethernet.xml", "loopback.xml", "bridge-port.xml", "veth.xml"]) assert.deepEqual(parseInterfaceXml(xml(f)).addresses, [], f);
    assert.deepEqual(parseInterfaceXml(xml("netcf-style-test-driver.xml")).addresses, [{ family: "ipv4", address: "192.168.0.5", prefix: 24 }]);
    assert.deepEqual(parseInterfaceXml(xml("vlan-hand-written.xml")).vlan, { tag: 42, parent: "eth0" });
  });

  it("leaves libvirt's 'unknown' link speed (4294967295) out", () => {
    const m = parseInterfaceXml(xml("ethernet.xml"));
    assert.equal(m.linkSpeed, undefined);
    assert.equal(m.linkState, "up");
  });

  it("refuses a document that is not a named <interface>", () => {
    assert.throws(() => parseInterfaceXml("<network><name>x</name></network>"), XmlError);
    assert.throws(() => parseInterfaceXml("<interface type='ethernet'/>"), /without name/);
    assert.throws(() => parseInterfaceXml("<interface name='x'><mtu size='big'/></interface>"), /mtu: 'big' is not an integer/);
  });

  it("becomes a HostInterface with the list's MAC (a bridge's own address), the active flag and its ports", () => {
    const h = hostInterface({ name: "pvthbc0", mac: "42:21:96:31:55:C2" }, true, parseInterfaceXml(xml("bridge-port.xml")));
    assert.deepEqual(h, {
      name: "pvthbc0",
      type: "bridge",
      mac: "42:21:96:31:55:c2",
      mtu: 1500,
      active: true,
      addresses: [],
      ports: [{ name: "pvthbca", type: "ethernet", mac: "42:21:96:31:55:c2", linkState: "up", linkSpeed: 10000 }],
      stp: false,
    });
  });
});
