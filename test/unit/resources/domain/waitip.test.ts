import assert from "node:assert/strict";
import { DomainRef, InterfaceAddresses, IPAddrType, Libvirt, LibvirtError } from "../../../../provider/libvirt";
import { domain } from "../../../../provider/resources/domain";
import { domainSpec } from "../../../../provider/resources/domain/spec";
import { currentAddresses, matchAddresses, validateWaitForIp, waitForAddresses, WaitForIpTimeout } from "../../../../provider/resources/domain/waitip";
import { plan } from "../../../../provider/diff";
import { fakeClock, withClock } from "../../../support/clock";

const MAC1 = "52:54:00:aa:00:01";
const MAC2 = "52:54:00:aa:00:02";
const base = { name: "web", type: "qemu", memory: "256MiB" };
const dom = { name: "web", uuid: Buffer.alloc(16), id: 1 } as unknown as DomainRef;

/** A fake lv whose interfaceAddresses answers `answers[i]` on the i-th call (the last one thereafter). */
function fakeLv(answers: (InterfaceAddresses[] | Error)[]) {
  const calls: number[] = [];
  const lv = {
    domains: {
      async interfaceAddresses(_d: DomainRef, source: number) {
        calls.push(source);
        const a = answers[Math.min(calls.length - 1, answers.length - 1)]!;
        if (a instanceof Error) throw a;
        return a;
      },
    },
  } as unknown as Libvirt;
  return { lv, calls };
}
const iface = (mac: string, ...ips: string[]): InterfaceAddresses => ({
  name: "vnet0",
  hwaddr: mac.toUpperCase(),
  addrs: ips.map((addr) => ({ type: addr.includes(":") ? IPAddrType.IPV6 : IPAddrType.IPV4, addr, prefix: 24 })),
});
/** A fake clock: sleep advances it, nothing really waits. */
describe("virt:Domain waitForIp", () => {
  describe("check", () => {
    it("fills the defaults (lease, 300 s) and treats it as a control input (no diff on its own)", async () => {
      const r = await domain.check({}, { ...base, waitForIp: {}, networkInterfaces: [{ network: "n", mac: MAC1 }] });
      assert.deepEqual(r.failures, []);
      assert.deepEqual(r.inputs["waitForIp"], { source: "lease", timeout: 300 });
      assert.equal(plan(domainSpec.inputs, r.inputs, { ...r.inputs, waitForIp: { source: "arp", timeout: 10 } }).changes.length, 0);
    });

    it("refuses source lease with a NIC on a host bridge or macvtap, explaining why and what to use", async () => {
      const r = await domain.check(
        {},
        { ...base, waitForIp: { source: "lease" }, networkInterfaces: [{ network: "n" }, { bridge: "br0" }, { direct: { dev: "eth0" } }] },
      );
      assert.equal(r.failures.length, 1);
      const f = r.failures[0]!;
      assert.equal(f.property, "waitForIp.source");
      assert.match(f.reason, /networkInterfaces\[1\] \(bridge br0\), networkInterfaces\[2\] \(direct eth0\)/);
      assert.match(f.reason, /only knows the DHCP leases of its own networks/);
      assert.match(f.reason, /"agent" \(with guestAgent: true/);
      assert.match(f.reason, /"arp"/);
    });

    it("accepts agent (with guestAgent) or arp for bridged NICs, and refuses agent without guestAgent", async () => {
      const nics = [{ bridge: "br0" }];
      assert.deepEqual((await domain.check({}, { ...base, guestAgent: true, waitForIp: { source: "agent" }, networkInterfaces: nics })).failures, []);
      assert.deepEqual((await domain.check({}, { ...base, waitForIp: { source: "arp" }, networkInterfaces: nics })).failures, []);
      const r = await domain.check({}, { ...base, waitForIp: { source: "agent" }, networkInterfaces: nics });
      assert.equal(r.failures.length, 1);
      assert.equal(r.failures[0]!.property, "waitForIp.source");
      assert.match(r.failures[0]!.reason, /no agent channel; set guestAgent: true/);
      assert.deepEqual(validateWaitForIp({ networkInterfaces: nics }), [], "no waitForIp: no rule");
    });

    it("refuses a bad source or timeout through the spec", async () => {
      const r = await domain.check({}, { ...base, waitForIp: { source: "dhcp", timeout: 0 } });
      assert.deepEqual(r.failures.map((f) => f.property).sort(), ["waitForIp.source", "waitForIp.timeout"]);
    });
  });

  describe("polling", () => {
    const p = {
      name: "web",
      waitForIp: { source: "lease", timeout: 60 },
      networkInterfaces: [
        { network: "n", mac: MAC1 },
        { network: "m", mac: MAC2 },
        { bridge: "br0", mac: "52:54:00:aa:00:03" },
      ],
    };

    it("returns once every NIC on a network has an IPv4 address (lease ignores bridged NICs), polling each second", async () => {
      const { lv, calls } = fakeLv([
        [],
        [iface(MAC1, "10.0.0.5")],
        [iface(MAC1, "10.0.0.5"), iface(MAC2, "fe80::1")],
        [iface(MAC1, "10.0.0.5"), iface(MAC2, "fe80::1", "10.0.1.7")],
      ]);
      const clock = fakeClock();
      const t0 = clock.now();
      const got = await waitForAddresses(lv, dom, p, "virt:Domain web", clock);
      assert.equal(calls.length, 4);
      assert.deepEqual(calls, [0, 0, 0, 0], "source LEASE");
      assert.equal(clock.now() - t0, 3000);
      assert.deepEqual(got, [
        { mac: MAC1, network: "n", ips: ["10.0.0.5"] },
        { mac: MAC2, network: "m", ips: ["10.0.1.7", "fe80::1"] },
      ]);
    });

    it("with agent, waits for every NIC and treats libvirt errors (agent not up yet) as not yet", async () => {
      const err = new LibvirtError({ code: 86, domain: 10, message: "Guest agent is not responding", level: 2 } as never);
      const { lv, calls } = fakeLv([err, err, [iface(MAC1, "10.0.0.5"), iface("52:54:00:aa:00:03", "192.168.1.9"), iface(MAC2, "10.0.1.7")]]);
      const got = await waitForAddresses(lv, dom, { ...p, waitForIp: { source: "agent", timeout: 60 } }, "virt:Domain web", fakeClock());
      assert.deepEqual(calls, [1, 1, 1]);
      assert.deepEqual(
        got?.map((a) => a.ips[0]),
        ["10.0.0.5", "10.0.1.7", "192.168.1.9"],
      );
    });

    it("times out with an error naming the domain, the network, the MAC, the source and the seconds waited", async () => {
      const { lv, calls } = fakeLv([[iface(MAC1, "10.0.0.5")]]);
      const clock = fakeClock();
      await assert.rejects(waitForAddresses(lv, dom, { ...p, waitForIp: { source: "lease", timeout: 5 } }, "virt:Domain web", clock), (e: unknown) => {
        assert.ok(e instanceof WaitForIpTimeout);
        assert.match(
          e.message,
          /^virt:Domain web: waitForIp: the interface with MAC 52:54:00:aa:00:02 on network m has no IPv4 address from source "lease" after 5 s/,
        );
        assert.match(e.message, /DHCP client/);
        assert.match(e.message, /network m has DHCP/);
        assert.deepEqual(e.addresses[0], { mac: MAC1, network: "n", ips: ["10.0.0.5"] });
        return true;
      });
      assert.equal(calls.length, 6, "polls at 0..5 s");
    });

    it("times out on the provider's clock: polls every interval until the timeout, never past it", async () => {
      const { lv, calls } = fakeLv([[]]);
      const c = fakeClock();
      await withClock(c, () =>
        assert.rejects(
          waitForAddresses(lv, dom, { ...p, waitForIp: { source: "arp", timeout: 1 } }, "virt:Domain web", { intervalMs: 300 }),
          /MAC 52:54:00:aa:00:01 on network n .* source "arp" after 1 s/,
        ),
      );
      assert.deepEqual(c.sleeps, [300, 300, 300, 100], "the last wait ends exactly at the 1 s timeout");
      assert.equal(calls.length, 5, "one poll before each wait and one at the deadline");
    });

    it("does nothing without waitForIp; refresh makes exactly one call and never waits", async () => {
      const { lv, calls } = fakeLv([[]]);
      assert.equal(await waitForAddresses(lv, dom, { networkInterfaces: p.networkInterfaces }, "x"), undefined);
      assert.equal(await currentAddresses(lv, dom, { networkInterfaces: p.networkInterfaces }), undefined);
      assert.equal(calls.length, 0);
      const got = await currentAddresses(lv, dom, p);
      assert.equal(calls.length, 1);
      assert.deepEqual(
        got?.map((a) => a.ips),
        [[], []],
      );
    });

    it("matches interfaces by MAC, case-insensitively", () => {
      assert.deepEqual(matchAddresses([{ mac: MAC1, bridge: "br0" }], [iface(MAC1, "1.2.3.4")]), [{ mac: MAC1, ips: ["1.2.3.4"] }]);
    });
  });
});
