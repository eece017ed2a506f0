import assert from "node:assert/strict";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { network } from "../../../provider/resources/network";
import { Props, setReporter } from "../../../provider/resources/provider";
import { cleanupAll, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";

// Deleting a network cuts the link of every running domain on it, whichever stack they belong to: refused and
// named unless forceDelete; a domain whose network went away says so on refresh.
describe("virt:Network delete with running domains attached (qemu:///system)", function () {
  this.timeout(180000);
  const lines: string[] = [];
  const net = uniqueName("srf-net");
  const dom = uniqueName("srf-dom");
  let netId = "";
  let netState: Props = {};
  let domId = "";
  let domState: Props = {};

  before(async () => {
    setReporter((l) => lines.push(l));
    const n = await network.check({}, { connection: { uri: URI }, name: net, mode: "isolated" });
    assert.deepEqual(n.failures, []);
    const made = await network.create(n.inputs);
    netId = made.id;
    netState = { ...n.inputs, ...made.outs };
    const d = await domain.check(
      {},
      { connection: { uri: URI }, name: dom, type: "qemu", memory: "64MiB", shutdownTimeout: 0, networkInterfaces: [{ network: net }] },
    );
    assert.deepEqual(d.failures, []);
    const created = await domain.create(d.inputs);
    domId = created.id;
    domState = { ...d.inputs, ...created.outs };
  });
  after(async () => {
    await cleanupAll([
      () => {
        virshMaybe(URI, "destroy", dom);
        virshMaybe(URI, "undefine", dom);
      },
      () => {
        if (virshMaybe(URI, "net-info", net) === null) return;
        virshMaybe(URI, "net-destroy", net);
        virshMaybe(URI, "net-undefine", net);
      },
      () => closeAll(),
    ]);
  });

  it("a domain on a running network reports no network problem", async () => {
    assert.equal(virsh(URI, "domstate", dom), "running");
    assert.deepEqual(domState["networkProblems"], []);
  });

  it("refuses to delete the network, naming the running domains attached; the network keeps running", async () => {
    await assert.rejects(network.delete(netId, netState), (e: Error) => {
      assert.match(e.message, new RegExp(`virt:Network ${net}: not deleted: running domains are attached to it and would lose their link: ${dom}\\.`));
      assert.match(e.message, /set forceDelete: true on the network \(and run up\)/);
      return true;
    });
    assert.match(virsh(URI, "net-info", net), /Active:\s+yes/);
  });

  it("records forceDelete alone as a change (delete reads it from the state), and the replace plan says it is refused without it", async () => {
    const news = (await network.check(netState, { connection: { uri: URI }, name: net, mode: "isolated", forceDelete: true })).inputs;
    lines.length = 0;
    assert.deepEqual(await network.diff(netId, netState, news), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(lines, [`virt:Network ${net}: forceDelete false → true (recorded for delete)`]);
    const moved = (await network.check(netState, { connection: { uri: URI }, name: net, mode: "route", ips: [{ address: "10.213.251.1", prefix: 24 }] }))
      .inputs;
    lines.length = 0;
    await network.diff(netId, netState, moved);
    assert.ok(
      lines.includes(
        `virt:Network ${net}: replacing it disconnects the running domains attached to it: ${dom}; the replacement is refused unless forceDelete is true`,
      ),
      lines.join("\n"),
    );
    const up = await network.update(netId, netState, news);
    netState = up.outs;
    assert.equal(netState["forceDelete"], true);
  });

  it("with forceDelete it deletes the network and says which domains lose their link; the domain's refresh reports the NIC", async () => {
    lines.length = 0;
    await network.delete(netId, netState);
    assert.equal(virshMaybe(URI, "net-info", net), null);
    assert.deepEqual(lines, [`virt:Network ${net}: forceDelete: deleting it while running domains are attached; they lose their link: ${dom}`]);
    lines.length = 0;
    const read = await domain.read(domId, domState);
    const mac = (domState["macs"] as string[])[0]!;
    assert.deepEqual(read.props["networkProblems"], [`${mac}: network ${net} no longer exists`]);
    assert.deepEqual(lines, [`virt:Domain ${dom}: NICs without their network (no link): ${mac}: network ${net} no longer exists`]);
  });
});
