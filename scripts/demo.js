#!/usr/bin/env node
// `npm run demo` — the README's main job. Until the lab example lands (issue: lab essentials), it says what it
// will do and checks the part that exists today: the libvirt client against the local daemon.
"use strict";
const { execFileSync } = require("node:child_process");
const path = require("node:path");

console.log(`pulumi-virt demo (preview)

When finished, this command will, on a fresh Debian 12 machine as root:
  1. install libvirt and QEMU if missing and make sure libvirtd runs;
  2. build (or reuse) the small test guest;
  3. bring up examples/lab through the engine harness: an isolated network, a dir pool, a base volume,
     3 copy-on-write machines configured by cloud-init, and print their IP addresses;
  4. grow one machine's memory live and show the domain id did not change;
  5. tear everything down and show nothing is left.

Today the libvirt client is in place; the resources and the lab example are not yet. Checking the client:
`);

const root = path.resolve(__dirname, "..");
try {
  execFileSync("bash", [path.join(root, "scripts", "ensure-libvirtd.sh")], { stdio: "inherit" });
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
} catch {
  console.error("could not prepare libvirtd or build the project; see the messages above");
  process.exit(1);
}
const { Libvirt } = require(path.join(root, "dist", "provider", "libvirt"));
(async () => {
  const lv = await Libvirt.connect("qemu:///system");
  const [lib, type, hv, host] = await Promise.all([lv.host.getLibVersion(), lv.host.getType(), lv.host.getVersion(), lv.host.getHostname()]);
  const fmt = (v) => `${Math.floor(v / 1e6)}.${Math.floor(v / 1e3) % 1000}.${v % 1000}`;
  console.log(`connected to qemu:///system on ${host}: libvirt ${fmt(lib)}, ${type} ${fmt(hv)}`);
  console.log(`domains: ${(await lv.domains.listAll()).length}, networks: ${(await lv.networks.listAll()).length}, pools: ${(await lv.pools.listAll()).length}`);
  await lv.close();
})().catch((e) => {
  console.error(`demo: ${e.message}`);
  process.exit(1);
});
