import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

const config = new pulumi.Config();
/** Prefix of every object's name on the host, and of the machines' host names. */
const prefix = config.get("prefix") ?? "lab";
/** How many machines. */
const count = config.getNumber("machines") ?? 3;
/** Where the pool's directory goes (QEMU runs as libvirt-qemu: every directory above it must be searchable). */
const poolPath = config.get("poolPath") ?? `/var/lib/libvirt/${prefix}-images`;
/** Where each machine's serial console is written, as `<name>.serial.log` (a directory on the libvirt host). */
const logDir = config.get("logDir") ?? "/var/log/libvirt/qemu";
/** Third octet of the network's 10.213.N.0/24 subnet. */
const subnet = config.getNumber("subnet") ?? 50;
/**
 * The guest's kernel and initrd (files on the machine running Pulumi; `bash tools/guest/build.sh` prints their
 * folder). They are uploaded into the pool so QEMU can read them on any libvirt host, local or remote.
 */
const kernel = config.require("kernel");
const initrd = config.require("initrd");
/** A disk image to start every machine's disk from (a local file), e.g. a qcow2; default: a blank one. */
const baseImage = config.get("baseImage");
/** Memory at boot (the balloon's maximum) and the balloon target every machine starts with. */
const memory = config.get("memory") ?? "256MiB";
const currentMemory = config.get("currentMemory") ?? "192MiB";
/** Index of one machine whose balloon grows to `memory`, live (the example's update). */
const grow = config.getNumber("grow");
/** Host names to use instead of `<prefix>-<i>`, by machine index: {"1": "web"}. A change swaps that seed live. */
const hostnames = config.getObject<Record<string, string>>("hostnames") ?? {};
/** "auto" (default) resolves to kvm where the host CPU offers it, else qemu (TCG). */
const type = (config.get("type") as "auto" | "kvm" | "qemu" | undefined) ?? "auto";

const pool = new virt.StoragePool("images", {
  name: `${prefix}-images`,
  target: { path: poolPath },
});

// Isolated (no forward): the machines see each other and the host, nothing else. dnsmasq hands out the leases.
const net = new virt.Network("lab", {
  name: `${prefix}-net`,
  mode: "isolated",
  ips: [{ address: `10.213.${subnet}.1`, prefix: 24, dhcp: { ranges: [{ start: `10.213.${subnet}.100`, end: `10.213.${subnet}.199` }] } }],
});

// The boot files live in the pool, like the disks, so the stack owns them and a remote host gets them too.
const vmlinuz = new virt.Volume("kernel", { name: `${prefix}-vmlinuz`, pool: pool.name, format: "raw", source: kernel });
const initrdGz = new virt.Volume("initrd", { name: `${prefix}-initrd.gz`, pool: pool.name, format: "raw", source: initrd });

const base = new virt.Volume("base", {
  name: `${prefix}-base.qcow2`,
  pool: pool.name,
  format: "qcow2",
  ...(baseImage !== undefined ? { source: baseImage } : { capacity: config.get("baseSize") ?? "32MiB" }),
});

interface Machine {
  name: pulumi.Output<string>;
  hostname: string;
  ip: pulumi.Output<string>;
  mac: pulumi.Output<string>;
  domainId: pulumi.Output<number>;
  type: pulumi.Output<string>;
  instanceId: pulumi.Output<string>;
  serialLog: string;
}

const lab: Machine[] = [];
for (let i = 0; i < count; i++) {
  const name = `${prefix}-${i}`;
  const hostname = hostnames[String(i)] ?? name;

  // Copy-on-write over the base: each machine stores only what it changes.
  const disk = new virt.Volume(`disk-${i}`, {
    name: `${name}.qcow2`,
    pool: pool.name,
    format: "qcow2",
    backingStore: { volume: base.name },
  });

  const seed = new virt.CloudInitDisk(`seed-${i}`, {
    name: `${name}-seed.iso`,
    pool: pool.name,
    userData: `#cloud-config\nhostname: ${hostname}\nfqdn: ${hostname}.${prefix}.lab\n`,
    metaData: { localHostname: hostname },
  });

  const serialLog = `${logDir}/${name}.serial.log`;
  const vm = new virt.Domain(`vm-${i}`, {
    name,
    type,
    memory,
    currentMemory: grow === i ? memory : currentMemory, // the balloon: changes live
    vcpus: 1,
    os: {
      machine: "q35",
      kernel: vmlinuz.path,
      initrd: initrdGz.path,
      // no_timer_check: under TCG on a busy host the kernel's early timer check can fail and panic.
      cmdline: "console=ttyS0 quiet no_timer_check",
    },
    disks: [
      { volume: { pool: pool.name, volume: disk.name } },
      // A new seed (any content change gives a new instance-id) is swapped into the running machine's CD-ROM.
      { device: "cdrom", volume: { pool: pool.name, volume: seed.name }, revision: seed.instanceId },
    ],
    networkInterfaces: [{ network: net.name }],
    serialConsole: { type: "file", path: serialLog },
    memballoon: "virtio",
    shutdownTimeout: 30, // the guest powers off on the ACPI button within seconds
    waitForIp: { source: "lease", timeout: config.getNumber("ipTimeout") ?? 600 },
  });

  lab.push({
    name: vm.name,
    hostname,
    ip: vm.addresses.apply((a) => a[0]?.ips[0] ?? ""),
    mac: vm.macs.apply((m) => m[0] ?? ""),
    domainId: vm.domainId,
    type: vm.resolvedType,
    instanceId: seed.instanceId,
    serialLog,
  });
}

/** Every machine: domain name, host name, IPv4 address (its DHCP lease), MAC, domain id, hypervisor type, seed instance-id, serial log. */
export const machines = lab;
/** Domain name → IPv4 address. */
export const ips = pulumi.all(lab.map((m) => pulumi.all([m.name, m.ip]))).apply((pairs) => Object.fromEntries(pairs));
export const network = net.name;
export const poolName = pool.name;
