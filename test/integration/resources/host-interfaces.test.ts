import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { closeAll } from "../../../provider/resources/connections";
import { getHostInterfaces, hostBridgeProblem } from "../../../provider/resources/host-interfaces";
import { network } from "../../../provider/resources/network";
import { setReporter } from "../../../provider/resources/provider";
import * as sdk from "../../../sdk";
import { cleanupAll, tempDir, virsh } from "../../../tools/support/host";

const URI = "qemu:///system";
const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
/** Every link of the root namespace as `ip -j link` reports it: the independent judge. */
const links = (): { ifname: string; address?: string; operstate: string; master?: string; linkinfo?: { info_kind?: string } }[] =>
  JSON.parse(ip("-j", "-d", "link", "show"));

/*
 * getHostInterfaces against the real daemon (libvirt 9.0's udev interface backend), judged by `ip link` and
 * virsh. Host links made here are named pvthb<hex>… (≤ 15 characters) and removed in `after`, even on failure.
 */
describe("host interfaces (getHostInterfaces) on qemu:///system", function () {
  this.timeout(60000);
  const tag = randomBytes(2).toString("hex");
  const br = `pvthb${tag}`;
  const [portA, portB] = [`pvthb${tag}a`, `pvthb${tag}b`];
  const tmp = tempDir("hb-iface");

  before(() => {
    setReporter(() => undefined);
    ip("link", "add", br, "type", "bridge");
  });
  after(async () => {
    await cleanupAll([
      () => execFileSync("ip", ["link", "del", portA], { stdio: "ignore" }),
      () => execFileSync("ip", ["link", "del", br], { stdio: "ignore" }),
      () => closeAll(),
      () => tmp.remove(),
    ]).catch(() => undefined);
    assert.ok(!links().some((l) => l.ifname.startsWith(`pvthb${tag}`)), "no link of this test is left");
  });

  it("lists the host's links with name, type and MAC as ip link shows them; a new bridge with no port is inactive", async () => {
    // Other tests make and remove links meanwhile: judge the links ip shows both before and after the lookup.
    const listable = () => links().filter((l) => l.linkinfo?.info_kind !== "tun" && l.master === undefined);
    const before = listable();
    const host = await getHostInterfaces({ connection: { uri: URI } });
    const after = listable();
    assert.equal(host.uri, URI);
    const stable = before.filter((l) => after.some((a) => a.ifname === l.ifname && a.operstate === l.operstate));
    for (const l of stable) {
      const got = host.interfaces.find((i) => i.name === l.ifname);
      assert.ok(got !== undefined, `${l.ifname} is listed`);
      assert.equal(got.mac, l.address, `${l.ifname}'s MAC`);
      assert.equal(got.active, l.operstate === "UP", `${l.ifname}: active is operstate up`);
    }
    const seen = new Set([...before, ...after].map((l) => l.ifname));
    for (const i of host.interfaces) assert.ok(seen.has(i.name), `${i.name} is a link ip shows (not a port, not a tap)`);
    const b = host.bridges.find((x) => x.name === br);
    assert.ok(b !== undefined, "the new bridge is among the bridges");
    assert.equal(b.type, "bridge");
    assert.equal(b.active, false, "no port, no carrier: inactive");
    assert.deepEqual(b.ports, []);
    assert.equal(b.stp, false);
    assert.ok(host.bridges.every((x) => x.type === "bridge"));
    // virsh (the C client) lists the same names (those that stayed meanwhile).
    const listed = virsh(URI, "iface-list", "--all")
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0]!)
      .filter(Boolean);
    for (const l of stable) assert.ok(listed.includes(l.ifname), `virsh lists ${l.ifname} too`);
  });

  it("shows a bridge's ports, leaves the ports out of the top-level list, and reports no IP address (udev)", async () => {
    ip("link", "add", portA, "type", "veth", "peer", "name", portB);
    ip("link", "set", portA, "master", br);
    for (const l of [portA, portB, br]) ip("link", "set", l, "up");
    ip("addr", "add", "198.51.100.77/32", "dev", br); // a /32: no route; only to show that udev does not report it
    assert.match(ip("-br", "addr", "show", br), /198\.51\.100\.77\/32/);
    const host = await getHostInterfaces({ connection: { uri: URI } });
    const b = host.bridges.find((x) => x.name === br)!;
    assert.deepEqual(
      b.ports?.map((p) => p.name),
      [portA],
    );
    assert.equal(b.ports?.[0]?.mac, links().find((l) => l.ifname === portA)?.address);
    assert.equal(b.active, true, "with a running port the bridge is up");
    assert.deepEqual(b.addresses, [], "the udev backend reports no addresses, though the bridge has one");
    assert.equal(
      host.interfaces.find((i) => i.name === portA),
      undefined,
      "a bridge port is not listed on its own",
    );
    assert.equal(host.interfaces.find((i) => i.name === portB)?.type, "ethernet", "its peer (no bridge) is");
  });

  it("works over another transport (qemu+ext through an nc tunnel) and another driver (test:///default, which reports addresses)", async () => {
    const tunnel = join(tmp.path, "tunnel");
    writeFileSync(tunnel, "#!/bin/sh\nexec nc -q0 -U /var/run/libvirt/libvirt-sock\n");
    chmodSync(tunnel, 0o755);
    const [local, ext] = await Promise.all([
      getHostInterfaces({ connection: { uri: URI } }),
      getHostInterfaces({ connection: { uri: `qemu+ext:///system?command=${tunnel}` } }),
    ]);
    assert.deepEqual(
      ext.interfaces.map((i) => [i.name, i.mac, i.type]),
      local.interfaces.map((i) => [i.name, i.mac, i.type]),
    );
    const test = await getHostInterfaces({ connection: { uri: "test:///default" } });
    assert.deepEqual(
      test.interfaces.map((i) => [i.name, i.addresses]),
      [["eth1", [{ family: "ipv4", address: "192.168.0.5", prefix: 24 }]]],
    );
  });

  it("is exported from the SDK as getHostInterfaces and getHostInterfacesOutput", async () => {
    const host = await sdk.getHostInterfaces({ connection: { uri: URI } });
    assert.ok(host.bridges.some((b) => b.name === br));
    const viaOutput = await new Promise<string[]>((resolve) =>
      sdk.getHostInterfacesOutput({ connection: { uri: URI } }).apply((h) => resolve(h.bridges.map((b) => b.name))),
    );
    assert.ok(viaOutput.includes(br), "getHostInterfacesOutput resolves to the same bridges");
  });

  it("lets a Network in mode bridge through check on this bridge, and refuses a missing one or a non-bridge, saying what to do", async () => {
    assert.equal(await hostBridgeProblem(URI, br), undefined);
    const ok = await network.check({}, { name: "pvt-hb-chk", mode: "bridge", bridge: { name: br }, connection: { uri: URI } });
    assert.deepEqual(ok.failures, []);
    const missing = await network.check({}, { name: "pvt-hb-chk", mode: "bridge", bridge: { name: `pvthb${tag}x` }, connection: { uri: URI } });
    assert.equal(missing.failures[0]?.property, "bridge.name");
    assert.match(
      missing.failures[0]!.reason,
      new RegExp(
        `virt:Network pvt-hb-chk: "pvthb${tag}x" is not a network device on qemu:///system; the host's bridges: .*${br}.*ip link add pvthb${tag}x type bridge`,
      ),
    );
    const notBridge = await network.check({}, { name: "pvt-hb-chk", mode: "bridge", bridge: { name: portB }, connection: { uri: URI } });
    assert.match(notBridge.failures[0]!.reason, new RegExp(`"${portB}" on qemu:///system is not a bridge \\(libvirt reports type ethernet\\)`));
    assert.equal(virsh(URI, "net-list", "--all", "--name").split("\n").includes("pvt-hb-chk"), false, "check made nothing");
  });
});
