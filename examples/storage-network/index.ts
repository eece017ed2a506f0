import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

const config = new pulumi.Config();
/** Prefix of every object's name on the host. */
const prefix = config.get("prefix") ?? "demo";
/** Where the pool's directory goes. */
const poolPath = config.get("poolPath") ?? `/var/lib/libvirt/${prefix}-images`;
/** Third octet of the network's 10.213.N.0/24 subnet. */
const subnet = config.getNumber("subnet") ?? 77;
const net = (host: number) => `10.213.${subnet}.${host}`;

const pool = new virt.StoragePool("images", {
  name: `${prefix}-images`,
  target: { path: poolPath },
});

const base = new virt.Volume("base", {
  name: `${prefix}-base.qcow2`,
  pool: pool.name,
  capacity: config.get("baseSize") ?? "64MiB",
});

// A copy-on-write clone of the base: it stores only what changes.
const web = new virt.Volume("web", {
  name: `${prefix}-web.qcow2`,
  pool: pool.name,
  backingStore: { volume: base.name },
});

const data = new virt.Volume("data", {
  name: `${prefix}-data.qcow2`,
  pool: pool.name,
  capacity: config.get("dataSize") ?? "32MiB",
});

// Static hosts: "mac=ip" pairs from config, so a stack update can add one (applied live).
const hosts = (config.get("dhcpHosts") ?? "52:54:00:00:77:10=10,52:54:00:00:77:11=11").split(",").map((pair, i) => {
  const [mac, last] = pair.split("=");
  return { mac: mac!, name: `${prefix}-host${i}`, ip: net(Number(last)) };
});

const lab = new virt.Network("lab", {
  name: `${prefix}-net`,
  mode: (config.get("netMode") as "nat" | "isolated" | undefined) ?? "nat",
  ips: [{ address: net(1), prefix: 24, dhcp: { ranges: [{ start: net(100), end: net(199) }], hosts } }],
});

export const poolName = pool.name;
export const baseKey = base.key;
export const webBacking = web.path;
export const dataCapacity = data.capacityBytes;
export const bridge = lab.bridgeName;
