import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { getHostInterfaces } from "../../../provider/resources/host-interfaces";
import { network } from "../../../provider/resources/network";
import { Props, setReporter } from "../../../provider/resources/provider";
import { ensureGuest, GUEST_CMDLINE, waitForSerial } from "../../../tools/guest/guest";
import { ACCEL } from "../../../tools/support/accel";
import { cleanupAll, removeDomain, tempDir, uniqueName, virsh, virshMaybe, waitFor } from "../../../tools/support/host";

const URI = "qemu:///system";
const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
const quiet = (cmd: string, ...args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
  } catch {
    // already gone
  }
};

/*
 * A Network in mode "bridge" on a host bridge this test makes (`ip link add pvthb<hex> type bridge`), and the real
 * test guest (TCG or KVM, ACCEL()) with one NIC on that network and one NIC straight on the bridge (`bridge:`).
 * The only other thing on the bridge is a veth whose far end lives in a network namespace this test makes
 * (pvt-hb-<hex>), where a dnsmasq of ours hands out leases: the guest's DHCP traffic stays on the bridge and in
 * that namespace. Judged with virsh (net-dumpxml, domiflist), `ip link show master`, the guest's console and
 * dnsmasq's lease file. Everything is removed in `after`, even on failure.
 */
describe("virt:Network in mode bridge on a host bridge, with the booted test guest", function () {
  this.timeout(600000);
  const tag = randomBytes(2).toString("hex");
  const br = `pvthb${tag}`;
  const [vethHost, vethNs] = [`pvthb${tag}h`, `pvthb${tag}n`];
  const ns = `pvt-hb-${tag}`;
  const netName = uniqueName("hb-net");
  const vm = uniqueName("hb-vm");
  const subnet = `10.213.${randomInt(20, 250)}`; // inside the namespace only: no host route is added
  const dir = tempDir("hb-guest");
  const serial = join(dir.path, "serial.log");
  const leases = join(dir.path, "dnsmasq.leases");
  const [mac1, mac2] = ["52:54:00:4b:00:01", "52:54:00:4b:00:02"];
  let dnsmasq: ChildProcess | undefined;
  let netOuts: Props | undefined;
  let domId: string | undefined;
  let domOuts: Props | undefined;

  before(() => {
    setReporter(() => undefined);
    chmodSync(dir.path, 0o755); // QEMU (libvirt-qemu) writes the serial log here and reads the kernel
    const g = ensureGuest();
    copyFileSync(g.kernel, join(dir.path, "vmlinuz"));
    copyFileSync(g.initrd, join(dir.path, "initrd.gz"));
    ip("link", "add", br, "type", "bridge");
    ip("link", "set", br, "up");
    ip("netns", "add", ns);
    ip("link", "add", vethHost, "type", "veth", "peer", "name", vethNs);
    ip("link", "set", vethNs, "netns", ns);
    ip("link", "set", vethHost, "master", br);
    ip("link", "set", vethHost, "up");
    ip("-n", ns, "addr", "add", `${subnet}.1/24`, "dev", vethNs);
    ip("-n", ns, "link", "set", vethNs, "up");
    dnsmasq = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--port=0",
        `--interface=${vethNs}`,
        "--bind-interfaces",
        "--except-interface=lo",
        `--dhcp-range=${subnet}.100,${subnet}.150,255.255.255.0,1h`,
        `--dhcp-leasefile=${leases}`,
        "--pid-file",
        "--log-dhcp",
        "--user=root",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  });

  after(async function () {
    this.timeout(120000);
    await cleanupAll([
      async () => {
        if (domId !== undefined && domOuts !== undefined) await domain.delete(domId, { ...domOuts, shutdownTimeout: 1 }).catch(() => undefined);
        removeDomain(URI, vm);
      },
      async () => {
        if (netOuts !== undefined) await network.delete(String(netOuts["uuid"]), netOuts).catch(() => undefined);
        virshMaybe(URI, "net-destroy", netName);
        virshMaybe(URI, "net-undefine", netName);
      },
      () => {
        // libvirt 9.0 leaves an empty runtime folder of a stopped network behind: remove it (only when empty).
        const run = `/run/libvirt/network/${netName}`;
        for (const d of [`${run}/ports`, run]) if (virshMaybe(URI, "net-info", netName) === null && existsSync(d)) rmdirSync(d);
      },
      () => {
        if (dnsmasq?.pid !== undefined && dnsmasq.exitCode === null) dnsmasq.kill();
      },
      () => quiet("ip", "link", "del", vethHost),
      () => quiet("ip", "link", "del", br),
      () => quiet("ip", "netns", "del", ns),
      () => closeAll(),
      () => dir.remove(),
    ]);
    assert.equal(virshMaybe(URI, "dominfo", vm), null, "the domain is gone");
    assert.equal(virshMaybe(URI, "net-info", netName), null, "the network is gone");
    assert.ok(!ip("-br", "link").includes(`pvthb${tag}`), "no link of this test is left");
    assert.ok(!ip("netns", "list").includes(ns), "the namespace is gone");
    assert.ok(!existsSync(`/run/libvirt/network/${netName}`), "no runtime folder of the network is left");
  });

  it("defines and starts the network on the existing bridge (net-dumpxml: forward mode bridge, that bridge)", async () => {
    const r = await network.check({}, { name: netName, mode: "bridge", bridge: { name: br }, connection: { uri: URI } });
    assert.deepEqual(r.failures, []);
    const { id, outs } = await network.create(r.inputs);
    netOuts = { ...outs, uuid: id };
    assert.equal(outs["bridgeName"], br);
    const xml = virsh(URI, "net-dumpxml", netName);
    assert.match(xml, /<forward mode='bridge'\/>/);
    assert.match(xml, new RegExp(`<bridge name='${br}'/>`));
    assert.doesNotMatch(xml, /<ip /, "libvirt runs no DHCP or address on a host bridge network");
    assert.match(virsh(URI, "net-info", netName), /Active:\s+yes/);
    const read = await network.read(id, netOuts);
    assert.deepEqual([read.props["mode"], read.props["bridge"]], ["bridge", { name: br }]);
  });

  it("boots the guest with a NIC on the network and one straight on the bridge: both taps are ports of the bridge, and both NICs get a lease from the namespace's DHCP server", async () => {
    assert.ok(netOuts !== undefined, "the network was made (see the first failure)");
    const r = await domain.check(
      {},
      {
        connection: { uri: URI },
        name: vm,
        type: ACCEL(),
        memory: "256MiB",
        vcpus: 1,
        os: { machine: "q35", kernel: join(dir.path, "vmlinuz"), initrd: join(dir.path, "initrd.gz"), cmdline: GUEST_CMDLINE },
        serialConsole: { type: "file", path: serial },
        networkInterfaces: [
          { network: netName, mac: mac1 },
          { bridge: br, mac: mac2 },
        ],
        shutdownTimeout: 30,
      },
    );
    assert.deepEqual(r.failures, []);
    const { id, outs } = await domain.create(r.inputs);
    [domId, domOuts] = [id, outs];

    // virsh domiflist: "Interface Type Source Model MAC".
    const rows = virsh(URI, "domiflist", vm)
      .split("\n")
      .map((l) => l.trim().split(/\s+/));
    const row1 = rows.find((c) => c[4] === mac1)!;
    const row2 = rows.find((c) => c[4] === mac2)!;
    // A NIC on a host-bridge network is reported live with its actual type, bridge; its config names the network.
    assert.deepEqual([row1[1], row1[2]], ["bridge", netName]);
    assert.match(
      virsh(URI, "dumpxml", "--inactive", vm),
      new RegExp(`<interface type='network'>\\s*<mac address='${mac1}'/>\\s*<source network='${netName}'/>`),
    );
    assert.deepEqual([row2[1], row2[2]], ["bridge", br]);
    const ports = ip("-br", "link", "show", "master", br)
      .split("\n")
      .map((l) => l.split(/\s+/)[0]!.replace(/@.*$/, ""))
      .filter(Boolean);
    assert.deepEqual(ports.sort(), [row1[0]!, row2[0]!, vethHost].sort(), `ip link show master ${br}: the guest's two taps and our veth`);

    const a = await waitForSerial(serial, /GUEST: lease (\S+) (\S+)/, 300000);
    const b = await waitForSerial(serial, /GUEST: lease (\S+) (\S+)/, 120000, a.line + 1);
    const got = [a[1]!, b[1]!].sort();
    for (const addr of got) assert.match(addr, new RegExp(`^${subnet.replace(/\./g, "\\.")}\\.(1[0-4]\\d|150)$`), "an address from our range");
    await waitFor(
      "dnsmasq's lease file names both MACs",
      () => existsSync(leases) && [mac1, mac2].every((m) => readFileSync(leases, "utf8").includes(m)),
      30000,
    );
    const file = readFileSync(leases, "utf8");
    for (const [m, n] of [
      [mac1, 1],
      [mac2, 2],
    ] as const)
      assert.match(file, new RegExp(`${m} ${subnet.replace(/\./g, "\\.")}\\.\\d+`), `lease ${n}`);

    // The lookup reports the bridge up; its ports leave out libvirt's vnetN taps (the udev backend's filter).
    const host = await getHostInterfaces({ connection: { uri: URI } });
    const mine = host.bridges.find((x) => x.name === br)!;
    assert.equal(mine.active, true);
    const tapNames = [row1[0]!, row2[0]!];
    const shown = (mine.ports ?? []).map((p) => p.name);
    assert.ok(shown.includes(vethHost), "our veth is a port");
    for (const t of tapNames) {
      if (/^vnet\d/.test(t)) assert.ok(!shown.includes(t), `${t} (a guest tap) is not among the reported ports`);
    }
  });

  it("refuses, at check, a second network on a bridge that is gone, naming the bridges the host has", async () => {
    const gone = `pvthb${tag}z`;
    const r = await network.check({}, { name: `${netName}-2`, mode: "bridge", bridge: { name: gone }, connection: { uri: URI } });
    assert.equal(r.failures[0]?.property, "bridge.name");
    assert.match(r.failures[0]!.reason, new RegExp(`"${gone}" is not a network device on qemu:///system; the host's bridges: .*${br}`));
  });
});
