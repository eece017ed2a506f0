import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

const config = new pulumi.Config();
/**
 * The libvirt hosts, as URIs: `["qemu+ssh://root@hv1/system", "qemu+tls://hv2/system"]`. Each gets its own pool,
 * network, boot files and base image; machine i runs on host i mod N. Default: the stack's `virt:uri` only.
 */
const hosts = config.getObject<string[]>("hosts") ?? [new pulumi.Config("virt").get("uri") ?? "qemu:///system"];
/** Prefix of every object's name, on every host, and of the machines' host names. */
const prefix = config.get("prefix") ?? "lab";
/** How many machines in all. */
const count = config.getNumber("machines") ?? 4;
/** The pool's directory on each host (a path on that host). */
const poolPath = config.get("poolPath") ?? `/var/lib/libvirt/${prefix}-images`;
/** Where each machine's serial console is written on its host, as `<name>.serial.log`. */
const logDir = config.get("logDir") ?? "/var/log/libvirt/qemu";
/** Third octet of every host's isolated 10.213.N.0/24 network (each host's network is its own). */
const subnet = config.getNumber("subnet") ?? 50;
/** The guest's kernel and initrd: files on the machine running Pulumi, uploaded into every host's pool. */
const kernel = config.require("kernel");
const initrd = config.require("initrd");
/** A local disk image every machine's disk starts from (copy-on-write); default: a blank one. */
const baseImage = config.get("baseImage");
const memory = config.get("memory") ?? "256MiB";
/**
 * Which host each machine runs on, by machine index: {"0": 1} puts machine 0 on host 1 (default: i mod N). Changing
 * it moves that machine LIVE to the other host (the domains opt in with `migration`; their disks follow with
 * `followsDomain`, their seeds are made again there), instead of replacing it.
 */
const placement = config.getObject<Record<string, number>>("placement") ?? {};
/**
 * How each host's libvirtd reaches the others for a peer-to-peer migration, parallel to `hosts` (default: `hosts`).
 * The source host's daemon dials it, with its own credentials: e.g. qemu+tcp on a management network while
 * Pulumi itself uses qemu+tls or qemu+ssh.
 */
const peerUris = config.getObject<string[]>("peerUris") ?? hosts;
/** "auto" (default) resolves, on each host, to kvm where the CPU offers it, else qemu (TCG). */
const type = (config.get("type") as "auto" | "kvm" | "qemu" | undefined) ?? "auto";

if (hosts.length === 0) throw new Error("config hosts: give at least one libvirt URI");

/** What every machine on one host shares. Resource names carry the host's index: h0, h1, ... */
const sites = hosts.map((uri, h) => {
  const connection = { uri };
  const pool = new virt.StoragePool(`images-h${h}`, { connection, name: `${prefix}-images`, target: { path: poolPath } });
  const net = new virt.Network(`lab-h${h}`, {
    connection,
    name: `${prefix}-net`,
    mode: "isolated",
    ips: [{ address: `10.213.${subnet}.1`, prefix: 24, dhcp: { ranges: [{ start: `10.213.${subnet}.100`, end: `10.213.${subnet}.199` }] } }],
  });
  const vmlinuz = new virt.Volume(`kernel-h${h}`, { connection, name: `${prefix}-vmlinuz`, pool: pool.name, format: "raw", source: kernel });
  const initrdGz = new virt.Volume(`initrd-h${h}`, { connection, name: `${prefix}-initrd.gz`, pool: pool.name, format: "raw", source: initrd });
  const base = new virt.Volume(`base-h${h}`, {
    connection,
    name: `${prefix}-base.qcow2`,
    pool: pool.name,
    format: "qcow2",
    ...(baseImage !== undefined ? { source: baseImage } : { capacity: "32MiB" }),
  });
  return { uri, connection, pool, net, vmlinuz, initrdGz, base };
});

const lab = [];
for (let i = 0; i < count; i++) {
  const site = sites[placement[String(i)] ?? i % sites.length];
  if (site === undefined) throw new Error(`config placement: machine ${i} on host ${placement[String(i)]}, but there are ${sites.length} hosts`);
  const { connection, pool } = site;
  const name = `${prefix}-${i}`;
  // followsDomain: on a move the clone is made on the new host first and the migration copies its data into it.
  const disk = new virt.Volume(`disk-${i}`, {
    connection,
    name: `${name}.qcow2`,
    pool: pool.name,
    format: "qcow2",
    backingStore: { volume: site.base.name },
    followsDomain: true,
  });
  const seed = new virt.CloudInitDisk(`seed-${i}`, {
    connection,
    name: `${name}-seed.iso`,
    pool: pool.name,
    userData: `#cloud-config\nhostname: ${name}\n`,
    metaData: { localHostname: name },
  });
  const vm = new virt.Domain(`vm-${i}`, {
    connection,
    name,
    type,
    memory,
    vcpus: 1,
    os: { machine: "q35", kernel: site.vmlinuz.path, initrd: site.initrdGz.path, cmdline: "console=ttyS0 quiet no_timer_check" },
    disks: [{ volume: { pool: pool.name, volume: disk.name } }, { device: "cdrom", volume: { pool: pool.name, volume: seed.name }, revision: seed.instanceId }],
    networkInterfaces: [{ network: site.net.name }],
    serialConsole: { type: "file", path: `${logDir}/${name}.serial.log` },
    shutdownTimeout: 30,
    waitForIp: { source: "lease", timeout: config.getNumber("ipTimeout") ?? 600 },
    // A change of host (placement) migrates the running machine live, peer-to-peer, with its disk's data.
    migration: { mode: "live", timeoutSec: 300, destinationUri: peerUris[sites.indexOf(site)] },
  });
  lab.push({ name: vm.name, host: site.uri, uuid: vm.uuid, ip: vm.addresses.apply((a) => a[0]?.ips[0] ?? "") });
}

/** Every machine: domain name, the URI of its host, its UUID and its IPv4 address (a lease from its host's network). */
export const machines = lab;
/** Host URI → the names of the machines on it. */
export const byHost = pulumi.all(lab.map((m) => pulumi.all([m.name, m.host]))).apply((pairs) => {
  const out: Record<string, string[]> = {};
  for (const [n, h] of pairs) (out[h] ??= []).push(n);
  return out;
});
