#!/usr/bin/env node
// Makes `require("pulumi-virt/...")` resolve inside this repository, as it does for users who install the
// package. The Pulumi dynamic provider loads our forwarders from the program's directory (examples/, test
// fixtures) and they require the implementation by package path. Run after every `npm run build` (postbuild); not an install script, so the published package has none.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "pulumi-virt");
try {
  if (fs.realpathSync(link) === root) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch {
  // not there yet
}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
