#!/usr/bin/env node
// `npm run demo` — the README's main job, on a fresh Debian 12 machine as root from a fresh clone:
//   1. bash scripts/setup-host.sh: Debian packages, libvirtd, npm ci, build, the test guest (cached);
//   2. examples/lab under the real pulumi (on PATH or cached by scripts/pulumi-cli.sh), else the engine harness: an isolated DHCP network, a pool, a base image and 3 machines
//      (copy-on-write disk + cloud-init seed each), booted; their IPs and what each guest reported;
//   3. one machine's memory grown live (same domain id, same QEMU process; the guest sees it);
//   4. destroy, and virsh shows nothing is left.
// Plain JavaScript with Node's built-ins only until step 1 has built the rest (dist/scripts/demo-lab.js).
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const started = Date.now();

if (process.getuid && process.getuid() !== 0) {
  console.error("demo: run as root (it installs Debian packages, starts libvirtd and creates VMs on qemu:///system)");
  process.exit(1);
}

console.log("pulumi-virt demo: preparing the host (bash scripts/setup-host.sh; quick when already done)");
// stdout carries the test guest's cache directory (last line); progress goes to stderr, shown as it comes.
const setup = spawnSync("bash", [path.join(root, "scripts", "setup-host.sh")], { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
if (setup.status !== 0) {
  console.error(`demo: scripts/setup-host.sh failed (exit ${setup.status ?? setup.signal}); see its messages above`);
  process.exit(1);
}
const guestDir = setup.stdout.trim().split("\n").pop().trim();
console.log(`host ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);

const { runDemo } = require(path.join(root, "dist", "scripts", "demo-lab.js"));
runDemo(root, guestDir).then(
  () => {
    console.log(`total: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    process.exit(0);
  },
  (e) => {
    if (e && e.name === "Interrupted") console.error(`demo ${e.message}; everything it made was removed`);
    else console.error(`demo failed: ${e && e.stack ? e.stack : e}`);
    console.log(`total: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    process.exit(e && e.name === "Interrupted" ? 130 : 1);
  },
);
