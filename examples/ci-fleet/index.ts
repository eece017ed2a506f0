import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

const config = new pulumi.Config();
/** Prefix of every object's name on the host. */
const prefix = config.get("prefix") ?? "ci";
/** How many runners. Scaling changes only the runners past the old or new end: runner-0..N-1 keep their names. */
const count = config.getNumber("runners") ?? 2;
/** Where the pool's directory goes (QEMU runs as libvirt-qemu: every directory above it must be searchable). */
const poolPath = config.get("poolPath") ?? `/var/lib/libvirt/${prefix}-images`;
/** Where each runner's serial console is written, as `<name>.serial.log` (a directory on the libvirt host). */
const logDir = config.get("logDir") ?? "/var/log/libvirt/qemu";
/** Third octet of the network's 10.213.N.0/24 subnet. */
const subnet = config.getNumber("subnet") ?? 60;
/** The runner image: a kernel and initrd (local files, uploaded into the pool) booted directly. */
const kernel = config.require("kernel");
const initrd = config.require("initrd");
/** The base disk image every runner's disk starts from (a local file); default: a blank one. */
const baseImage = config.get("baseImage");
/** What every runner's cloud-init does (user-data); the runner's host name is added to its meta-data. */
const userData = config.get("userData") ?? "#cloud-config\nruncmd:\n  - [sh, -c, 'echo runner ready']\n";
const type = (config.get("type") as "auto" | "kvm" | "qemu" | undefined) ?? "auto";

const pool = new virt.StoragePool("images", { name: `${prefix}-images`, target: { path: poolPath } });
const net = new virt.Network("fleet", {
  name: `${prefix}-net`,
  mode: "isolated",
  ips: [{ address: `10.213.${subnet}.1`, prefix: 24, dhcp: { ranges: [{ start: `10.213.${subnet}.10`, end: `10.213.${subnet}.250` }] } }],
});
const vmlinuz = new virt.Volume("kernel", { name: `${prefix}-vmlinuz`, pool: pool.name, format: "raw", source: kernel });
const initrdGz = new virt.Volume("initrd", { name: `${prefix}-initrd.gz`, pool: pool.name, format: "raw", source: initrd });
const base = new virt.Volume("base", {
  name: `${prefix}-base.qcow2`,
  pool: pool.name,
  format: "qcow2",
  ...(baseImage !== undefined ? { source: baseImage } : { capacity: config.get("baseSize") ?? "32MiB" }),
});

/** One runner: its clone of the base, its seed and its domain, all named by its index (stable under scaling). */
function runner(i: number) {
  const name = `${prefix}-runner-${i}`;
  const disk = new virt.Volume(`runner-${i}-disk`, { name: `${name}.qcow2`, pool: pool.name, format: "qcow2", backingStore: { volume: base.name } });
  const seed = new virt.CloudInitDisk(`runner-${i}-seed`, { name: `${name}-seed.iso`, pool: pool.name, userData, metaData: { localHostname: name } });
  const vm = new virt.Domain(`runner-${i}`, {
    name,
    type,
    memory: config.get("memory") ?? "192MiB",
    os: { machine: "q35", kernel: vmlinuz.path, initrd: initrdGz.path, cmdline: "console=ttyS0 quiet no_timer_check" },
    disks: [{ volume: { pool: pool.name, volume: disk.name } }, { device: "cdrom", volume: { pool: pool.name, volume: seed.name }, revision: seed.instanceId }],
    networkInterfaces: [{ network: net.name }],
    serialConsole: { type: "file", path: `${logDir}/${name}.serial.log` },
    shutdownTimeout: 30,
    waitForIp: { source: "lease", timeout: config.getNumber("ipTimeout") ?? 600 },
  });
  return { name: vm.name, ip: vm.addresses.apply((a) => a[0]?.ips[0] ?? ""), domainId: vm.domainId, disk: disk.name };
}

const fleet = Array.from({ length: count }, (_, i) => runner(i));

/** Runner name → IPv4 address (its DHCP lease). */
export const ips = pulumi.all(fleet.map((r) => pulumi.all([r.name, r.ip]))).apply((pairs) => Object.fromEntries(pairs));
/** Every runner: name, IP, domain id and its disk volume. */
export const runners = fleet;
export const network = net.name;
export const poolName = pool.name;
