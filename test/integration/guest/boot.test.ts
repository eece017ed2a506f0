import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, readFileSync, rmdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureGuest, GUEST_CMDLINE, guestFacts, makeSeedIso, readSerialLog, waitForSerial } from "../../../tools/guest/guest";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

/*
 * The test guest (tools/guest) under the real daemon, driven by virsh alone: it must boot from its NoCloud seed,
 * get a DHCP lease on an isolated network, follow the balloon, see a disk plugged and release it on unplug, and
 * power off on the ACPI power button. Nothing of the project's own client or resources is used here, so a
 * failure points at the guest or the host, not at our code.
 */
const URI = "qemu:///system";
const HOSTNAME = "pvt-guest1";
const INSTANCE_ID = "pvt-1";

/** A 10.213.N.0/24 prefix ("10.213.N") that no host address or route uses. */
function freeSubnet(): string {
  const used = execFileSync("ip", ["-4", "addr"], { encoding: "utf8" }) + execFileSync("ip", ["-4", "route"], { encoding: "utf8" });
  for (let tries = 0; tries < 200; tries++) {
    const n = randomInt(20, 250);
    if (!used.includes(`10.213.${n}.`)) return `10.213.${n}`;
  }
  throw new Error("no free 10.213.N.0/24 subnet on this host");
}

/**
 * libvirt 9.0 leaves a stopped network's dnsmasq pid file (and an empty ports folder) in /run/libvirt/network:
 * remove them once the network is gone, if the pid is not that network's dnsmasq.
 */
function removeStaleNetworkFiles(name: string): void {
  if (virshMaybe(URI, "net-info", name) !== null) return;
  const dir = "/run/libvirt/network";
  const pidFile = `${dir}/${name}.pid`;
  if (existsSync(pidFile)) {
    const pid = readFileSync(pidFile, "utf8").trim();
    const cmd = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
    if (!cmd.includes(`/${name}.conf`)) rmSync(pidFile);
  }
  for (const d of [`${dir}/${name}/ports`, `${dir}/${name}`]) {
    try {
      rmdirSync(d); // only when empty
    } catch {
      // absent, or not empty: leave it
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(what: string, timeoutMs: number, everyMs: number, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

describe("test guest under qemu:///system (virsh only)", function () {
  this.timeout(300000);
  const tmp = tempDir("guest");
  const dom = uniqueName("guest");
  const net = uniqueName("gnet");
  const serial = join(tmp.path, "serial.log");
  let subnet = "";
  let lease = "";
  let booted = false;
  const mustHaveBooted = () => assert.ok(booted, "the guest did not boot (see the first failure)");

  before(function () {
    this.timeout(600000); // a first build downloads the kernel package
    chmodSync(tmp.path, 0o755); // QEMU runs as libvirt-qemu
    const guest = ensureGuest();
    console.log(`      guest: kernel ${guest.kernelVersion} from ${guest.dir}`);
    copyFileSync(guest.kernel, join(tmp.path, "vmlinuz"));
    copyFileSync(guest.initrd, join(tmp.path, "initrd.gz"));
    const seed = makeSeedIso(tmp.path, { instanceId: INSTANCE_ID, hostname: HOSTNAME, userData: `#cloud-config\nhostname: ${HOSTNAME}\n` });

    subnet = freeSubnet();
    const netXml = join(tmp.path, "net.xml");
    // Isolated: no <forward>. libvirt picks the bridge name.
    writeFileSync(
      netXml,
      `<network>
  <name>${net}</name>
  <ip address='${subnet}.1' netmask='255.255.255.0'>
    <dhcp><range start='${subnet}.100' end='${subnet}.200'/></dhcp>
  </ip>
</network>
`,
    );
    virsh(URI, "net-create", netXml);

    const domXml = join(tmp.path, "domain.xml");
    writeFileSync(
      domXml,
      `<domain type='qemu'>
  <name>${dom}</name>
  <memory unit='MiB'>256</memory>
  <currentMemory unit='MiB'>256</currentMemory>
  <vcpu current='1'>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${tmp.path}/vmlinuz</kernel>
    <initrd>${tmp.path}/initrd.gz</initrd>
    <cmdline>${GUEST_CMDLINE}</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='${seed}'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <source network='${net}'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='${serial}'/>
      <target port='0'/>
    </serial>
    <memballoon model='virtio'/>
    <controller type='usb' model='none'/>
    <controller type='pci' index='0' model='pcie-root'/>
    <!-- free ports for live-attached PCIe devices (libvirt fills the others with the devices above) -->
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
  </devices>
</domain>
`,
    );
    virsh(URI, "define", domXml);
  });

  after(async function () {
    this.timeout(60000);
    await cleanupAll([
      () => {
        if (virshMaybe(URI, "domstate", dom) === null) return;
        virshMaybe(URI, "destroy", dom);
        virsh(URI, "undefine", dom);
      },
      () => {
        if (virshMaybe(URI, "net-info", net) !== null) virsh(URI, "net-destroy", net);
      },
      () => removeStaleNetworkFiles(net),
      () => tmp.remove(),
    ]);
  });

  it("boots, reads its cidata seed and gets a DHCP lease", async () => {
    const t0 = Date.now();
    virsh(URI, "start", dom);
    const m = await waitForSerial(serial, /^GUEST: lease (\d+\.\d+\.\d+\.\d+)/, 240000);
    const secs = (Date.now() - t0) / 1000;
    lease = m[1]!;
    booted = true;
    const ready = readSerialLog(serial).find((l) => l.startsWith("GUEST: ready"));
    console.log(`      guest: lease ${lease} ${secs.toFixed(1)} s after 'virsh start' (${ready ?? "no ready line yet"})`);
    assert.ok(lease.startsWith(`${subnet}.`), `lease ${lease} is on ${subnet}.0/24`);
    const facts = guestFacts(serial);
    assert.ok(facts.includes(`cidata instance-id=${INSTANCE_ID} hostname=${HOSTNAME} device=sr0`), facts.join("\n"));
    await waitForSerial(serial, /^GUEST: nics eth0$/, 10000);
    await waitForSerial(serial, /^GUEST: acpi acpid$/, 10000);
  });

  it("the lease is in virsh net-dhcp-leases with the guest's hostname", async () => {
    mustHaveBooted();
    const row = await poll("the lease in net-dhcp-leases", 15000, 500, () =>
      virsh(URI, "net-dhcp-leases", net)
        .split("\n")
        .find((l) => l.includes(`${lease}/24`)),
    );
    assert.match(row, new RegExp(`\\s${HOSTNAME}\\s`), `hostname in: ${row}`);
  });

  it("follows the balloon: setmem 200 MiB live changes the guest's MemTotal", async () => {
    mustHaveBooted();
    const before = Number((await waitForSerial(serial, /^GUEST: memory (\d+)$/, 10000))[1]);
    const from = readSerialLog(serial).length;
    virsh(URI, "setmem", dom, "200M", "--live");
    const after = Number((await waitForSerial(serial, /^GUEST: memory (\d+)$/, 60000, from))[1]);
    console.log(`      guest: MemTotal ${before} kB -> ${after} kB`);
    // 256 MiB -> 200 MiB: the balloon takes 56 MiB (57344 kB) out of MemTotal.
    assert.ok(Math.abs(before - after - 57344) <= 4096, `MemTotal went from ${before} to ${after} kB`);
  });

  it("sees a virtio disk attached live, and releases it on live detach", async () => {
    mustHaveBooted();
    const disk = join(tmp.path, "extra.raw");
    writeFileSync(disk, "");
    truncateSync(disk, 16 * 1024 * 1024);
    chmodSync(disk, 0o644);
    const disksNow = () => {
      const last =
        guestFacts(serial)
          .filter((f) => f === "disks" || f.startsWith("disks "))
          .pop() ?? "disks";
      return last.split(" ").slice(1);
    };
    const before = disksNow();
    let from = readSerialLog(serial).length;
    // The guest names disks in the order it finds them: libvirt's target (vdb) is only a hint.
    virsh(URI, "attach-disk", dom, disk, "vdb", "--targetbus", "virtio", "--live");
    await waitForSerial(serial, /^GUEST: disks /, 60000, from);
    const added = disksNow().filter((d) => !before.includes(d));
    assert.equal(added.length, 1, `one new disk in the guest (before: [${before}], now: [${disksNow()}])`);
    console.log(`      guest: the attached disk is ${added[0]} in the guest; disks now: ${disksNow().join(" ")}`);

    from = readSerialLog(serial).length;
    const t0 = Date.now();
    virsh(URI, "detach-disk", dom, "vdb", "--live");
    await poll("vdb to leave virsh domblklist", 20000, 250, () => !/\bvdb\b/.test(virsh(URI, "domblklist", dom)));
    console.log(`      guest: vdb left domblklist ${((Date.now() - t0) / 1000).toFixed(1)} s after detach-disk`);
    await waitForSerial(serial, /^GUEST: disks/, 20000, from);
    assert.deepEqual(disksNow(), before, "the guest's disks are back to what they were");
  });

  it("answers the ACPI power button: virsh shutdown turns it off within 30 s", async () => {
    mustHaveBooted();
    const t0 = Date.now();
    virsh(URI, "shutdown", dom);
    await poll("the domain to shut off", 30000, 250, () => virsh(URI, "domstate", dom) === "shut off");
    console.log(`      guest: shut off ${((Date.now() - t0) / 1000).toFixed(1)} s after virsh shutdown`);
    assert.ok(
      guestFacts(serial).some((f) => f.startsWith("poweroff")),
      "the guest logged its power-off",
    );
  });
});
