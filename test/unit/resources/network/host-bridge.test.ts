import assert from "node:assert/strict";
import { UNKNOWN } from "../../../../provider/diff";
import { setHostBridgeLookup } from "../../../../provider/resources/host-interfaces";
import { network } from "../../../../provider/resources/network";

/** The Network check's question to the host in mode "bridge", answered here without a host (the real lookup: integration). */
describe("virt:Network mode bridge: the host bridge is asked about at check", () => {
  const asked: [string, string][] = [];
  before(() =>
    setHostBridgeLookup(async (uri, name) => {
      asked.push([uri, name]);
      return name === "pvthbnone" ? `"${name}" is not a network device on ${uri}; make the bridge on the host first` : undefined;
    }),
  );
  after(() => setHostBridgeLookup(undefined));
  beforeEach(() => (asked.length = 0));
  const conn = { uri: "qemu+ssh://root@hv1/system" };

  it("refuses a bridge the host does not have, on bridge.name, naming the network, the host and what to do", async () => {
    const r = await network.check({}, { name: "pvt-hb-n", mode: "bridge", bridge: { name: "pvthbnone" }, connection: conn });
    assert.deepEqual(asked, [["qemu+ssh://root@hv1/system", "pvthbnone"]]);
    assert.equal(r.failures.length, 1);
    assert.equal(r.failures[0]!.property, "bridge.name");
    assert.match(r.failures[0]!.reason, /^virt:Network pvt-hb-n: "pvthbnone" is not a network device on qemu\+ssh:\/\/root@hv1\/system; make the bridge/);
  });

  it("accepts one it has; asks only when the network is to be made (new, or another bridge or host)", async () => {
    const news = { name: "pvt-hb-n", mode: "bridge", bridge: { name: "br0" }, connection: conn };
    assert.deepEqual((await network.check({}, news)).failures, []);
    assert.equal(asked.length, 1);
    const olds = { ...news, uri: conn.uri };
    assert.deepEqual((await network.check(olds, news)).failures, []);
    assert.equal(asked.length, 1, "an existing network on the same bridge is not asked about again");
    await network.check(olds, { ...news, bridge: { name: "br1" } });
    assert.deepEqual(asked[1], [conn.uri, "br1"]);
    await network.check(olds, { ...news, connection: { uri: "qemu+ssh://root@hv2/system" } });
    assert.deepEqual(asked[2], ["qemu+ssh://root@hv2/system", "br0"]);
  });

  it("does not ask for other modes, for a name not known yet (preview), or when other inputs already failed", async () => {
    await network.check({}, { name: "n", mode: "isolated", bridge: { name: "pvthbnone" } });
    await network.check({}, { name: "n", mode: "bridge", bridge: { name: UNKNOWN } });
    await network.check({}, { name: "n", mode: "bridge", bridge: { name: "pvthbnone" }, connection: { uri: UNKNOWN } });
    const r = await network.check({}, { name: "n", mode: "bridge", bridge: { name: "pvthbnone" }, mtu: 9000 });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["mtu"],
    );
    assert.deepEqual(asked, []);
  });
});
