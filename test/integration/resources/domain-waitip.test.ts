import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { setReporter } from "../../../provider/resources/provider";
import { recordingClock, withClock } from "../../support/clock";
import { ensureGuest, GUEST_CMDLINE, waitForSerial } from "../../../tools/guest/guest";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";

/** A 10.213.N.0/24 no route on the host uses yet. */
function freeSubnet(): number {
  const routes = execFileSync("ip", ["-4", "route"], { encoding: "utf8" });
  const used = new Set([...routes.matchAll(/\b10\.213\.(\d+)\./g)].map((m) => Number(m[1])));
  for (let tries = 0; tries < 500; tries++) {
    const n = 2 + Math.floor(Math.random() * 250);
    if (!used.has(n)) return n;
  }
  throw new Error("no free 10.213.N.0/24 subnet");
}

describe("virt:Domain waitForIp with a booted guest (type qemu, q35, DHCP lease)", function () {
  this.timeout(600000);
  const dir = tempDir("dom-waitip");
  const net = uniqueName("net");
  const name = uniqueName("vm");
  const serial = join(dir.path, "serial.log");
  const mac = "52:54:00:5e:10:01";
  const n = freeSubnet();
  let lv: Libvirt | undefined;

  before(async () => {
    setReporter(() => undefined);
    chmodSync(dir.path, 0o755);
    const g = ensureGuest();
    copyFileSync(g.kernel, join(dir.path, "vmlinuz"));
    copyFileSync(g.initrd, join(dir.path, "initrd.gz"));
    lv = await Libvirt.connect(URI);
    await lv.networks.create(
      await lv.networks.defineXML(
        `<network><name>${net}</name><ip address='10.213.${n}.1' prefix='24'><dhcp><range start='10.213.${n}.100' end='10.213.${n}.199'/></dhcp></ip></network>`,
      ),
    );
  });
  after(async () => {
    await cleanupAll([
      () => {
        virshMaybe(URI, "destroy", name);
        virshMaybe(URI, "undefine", name, "--nvram");
      },
      () => {
        virshMaybe(URI, "net-destroy", net);
        virshMaybe(URI, "net-undefine", net);
      },
      () => lv?.close(),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  it("create returns once the lease is known, outputs it as virsh net-dhcp-leases shows it, and refresh does not wait", async () => {
    const r = await domain.check(
      {},
      {
        connection: { uri: URI },
        name,
        type: "qemu",
        memory: "256MiB",
        os: { machine: "q35", kernel: join(dir.path, "vmlinuz"), initrd: join(dir.path, "initrd.gz"), cmdline: GUEST_CMDLINE },
        serialConsole: { type: "file", path: serial },
        networkInterfaces: [{ network: net, mac }],
        shutdownTimeout: 30,
        waitForIp: { source: "lease", timeout: 240 },
      },
    );
    assert.deepEqual(r.failures, []);
    const created = recordingClock();
    const { id, outs } = await withClock(created, () => domain.create(r.inputs));

    // libvirt knew the lease when create returned.
    const leases = virsh(URI, "net-dhcp-leases", net);
    const m = new RegExp(`${mac}\\s+ipv4\\s+(10\\.213\\.${n}\\.\\d+)/24`).exec(leases);
    assert.ok(m, `virsh net-dhcp-leases ${net} shows the lease right after create:\n${leases}`);
    const addresses = outs["addresses"] as { mac: string; network?: string; ips: string[] }[];
    assert.deepEqual(addresses, [{ mac, network: net, ips: [m[1]] }]);
    assert.ok(created.sleeps.length > 0, "create polled for the lease (the guest takes seconds to ask for one)");
    // The guest's DHCP client got the same address.
    await waitForSerial(serial, new RegExp(`GUEST: lease ${m[1]!.replace(/\./g, "\\.")} `), 30000);

    const refreshClock = recordingClock();
    const refreshed = await withClock(refreshClock, () => domain.read(id, outs));
    assert.deepEqual(refreshClock.sleeps, [], "refresh never waits: one look at the addresses");
    assert.equal(refreshed.id, id);
    assert.deepEqual(refreshed.props["addresses"], addresses);

    await domain.delete(id, refreshed.props);
    assert.equal(virshMaybe(URI, "domstate", name), null);
  });
});
