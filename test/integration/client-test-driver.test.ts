import assert from "node:assert/strict";
import { Libvirt } from "../../provider/libvirt/client";
import { DomainEventType, DomainXMLFlags, MemoryFlags, NetworkUpdateCommand, NetworkUpdateFlags, NetworkUpdateSection } from "../../provider/libvirt/constants";
import { isNotFound, NotFoundError } from "../../provider/libvirt/errors";
import { uuidString } from "../../provider/libvirt/api/convert";
import { cleanupAll, uniqueName, virsh, waitFor } from "../../tools/support/host";

// The daemon's test driver keeps its state only while a connection is open, so the whole file shares one
// long-lived connection (the "anchor"); virsh checks go through the same daemon while it is held.
const URI = "test+unix:///default";

describe("client against the daemon's test driver (test+unix:///default)", function () {
  let lv: Libvirt;
  before(async () => {
    lv = await Libvirt.connect(URI);
  });
  after(async () => {
    await lv?.close();
  });

  it("reads host facts", async () => {
    assert.equal(
      await lv.host.getLibVersion(),
      Number(
        virsh(URI, "version")
          .match(/library: libvirt (\d+)\.(\d+)\.(\d+)/)!
          .slice(1)
          .reduce((a, x) => a * 1000 + Number(x), 0),
      ),
    );
    assert.equal(await lv.host.getType(), "TEST");
    assert.match(await lv.host.getCapabilities(), /<capabilities>/);
    const info = await lv.host.nodeGetInfo();
    assert.equal(info.model, "i686");
    assert.ok(info.cpus > 0);
    assert.equal(typeof (await lv.host.getHostname()), "string");
  });

  it("lists and looks up the built-in domain", async () => {
    const doms = await lv.domains.listAll();
    assert.ok(doms.some((d) => d.name === "test"));
    const d = await lv.domains.lookupByName("test");
    const byUuid = await lv.domains.lookupByUUID(uuidString(d.uuid));
    assert.equal(byUuid.name, "test");
    const info = await lv.domains.getInfo(d);
    assert.equal(info.state, 1);
  });

  it("types not-found errors by libvirt code", async () => {
    const err = await lv.domains.lookupByName("pvt-no-such-domain").catch((e) => e);
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.libvirtCode, 42);
    assert.ok(isNotFound(await lv.networks.lookupByName("pvt-none").catch((e) => e)));
    assert.ok(isNotFound(await lv.pools.lookupByName("pvt-none").catch((e) => e)));
  });

  it("defines, starts, changes memory live, stops and undefines a domain, with lifecycle events", async () => {
    const name = uniqueName("dom");
    const events: number[] = [];
    const sub = await lv.events.onDomainLifecycle((e) => {
      if (e.dom.name === name) events.push(e.event);
    });
    const xml = `<domain type='test'><name>${name}</name><memory unit='KiB'>1048576</memory><currentMemory unit='KiB'>1048576</currentMemory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;
    try {
      let dom = await lv.domains.defineXML(xml);
      dom = await lv.domains.create(dom);
      assert.ok(dom.id > 0, "create returns the new id");
      await lv.domains.setMemoryFlags(dom, 524288n, MemoryFlags.LIVE);
      assert.equal((await lv.domains.getInfo(dom)).memoryKiB, 524288n);
      assert.match(virsh(URI, "dominfo", name), /Used memory:\s+524288 KiB/);
      await lv.domains.destroy(dom);
      await lv.domains.undefine(dom);
      await waitFor("lifecycle events", () => events.length >= 4, 5000);
      assert.deepEqual(events, [DomainEventType.DEFINED, DomainEventType.STARTED, DomainEventType.STOPPED, DomainEventType.UNDEFINED]);
    } finally {
      await cleanupAll([
        () => sub.close(),
        async () => {
          const d = await lv.domains.lookupByName(name).catch(() => null);
          if (d) {
            await lv.domains.destroy(d).catch(() => undefined);
            await lv.domains.undefine(d);
          }
        },
      ]);
    }
  });

  it("adds and removes a static DHCP host with NETWORK_UPDATE (live and config)", async () => {
    const net = await lv.networks.lookupByName("default");
    const host = "<host mac='52:54:00:aa:bb:cc' name='pvt-h' ip='192.168.122.77'/>";
    await lv.networks.update(
      net,
      NetworkUpdateCommand.ADD_LAST,
      NetworkUpdateSection.IP_DHCP_HOST,
      -1,
      host,
      NetworkUpdateFlags.LIVE | NetworkUpdateFlags.CONFIG,
    );
    try {
      assert.match(await lv.networks.getXMLDesc(net), /192\.168\.122\.77/);
      assert.match(virsh(URI, "net-dumpxml", "default"), /52:54:00:aa:bb:cc/);
    } finally {
      await lv.networks.update(
        net,
        NetworkUpdateCommand.DELETE,
        NetworkUpdateSection.IP_DHCP_HOST,
        -1,
        host,
        NetworkUpdateFlags.LIVE | NetworkUpdateFlags.CONFIG,
      );
    }
    assert.doesNotMatch(await lv.networks.getXMLDesc(net), /192\.168\.122\.77/);
  });

  it("keeps many calls in flight on one connection", async () => {
    const d = await lv.domains.lookupByName("test");
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? lv.domains.getXMLDesc(d, DomainXMLFlags.INACTIVE) : lv.host.getLibVersion())),
    );
    assert.equal(results.length, 200);
    assert.ok(results.every((r, i) => (i % 2 ? typeof r === "string" && r.includes("<name>test</name>") : typeof r === "number")));
  });
});
