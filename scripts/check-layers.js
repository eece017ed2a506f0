#!/usr/bin/env node
// Keeps the import arrows of shared/docs/style.md true:
//   sdk → provider/resources → provider/{diff,xml,libvirt}; inside libvirt: connection/api → rpc → xdr, connection → transport.
// Reads the TypeScript sources (no build needed) and exits 1 listing every import that points the wrong way.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const scanned = ["provider", "sdk"];

// Each rule: files under `from` may not import modules matching `forbid` (a repo path prefix or a package name).
const rules = [
  { from: "provider/", forbid: ["sdk/", "@pulumi/pulumi"], why: "only sdk/ imports @pulumi/pulumi and nothing under provider/ knows the SDK" },
  { from: "provider/libvirt/", forbid: ["provider/resources/", "provider/diff/", "provider/xml/", "fast-xml-parser", "xml2js"], why: "the client knows nothing of resources, diffs or XML models" },
  { from: "provider/xml/", forbid: ["provider/resources/", "provider/diff/", "provider/libvirt/"], why: "XML models are plain data, no client and no diff" },
  { from: "provider/iso9660/", forbid: ["provider/resources/", "provider/diff/", "provider/xml/", "provider/libvirt/", "sdk/"], why: "the ISO writer is pure bytes, a layer of its own" },
  { from: "provider/diff/", forbid: ["provider/resources/", "provider/libvirt/", "node:fs", "node:net", "node:child_process", "fs", "net"], why: "the diff engine is pure: no I/O, no client" },
  { from: "provider/libvirt/xdr/", forbid: ["provider/libvirt/rpc/", "provider/libvirt/protocol/", "provider/libvirt/transport/", "provider/libvirt/api/", "provider/libvirt/connection"], why: "xdr is the bottom layer" },
  { from: "provider/libvirt/rpc/", forbid: ["provider/libvirt/transport/", "provider/libvirt/api/", "provider/libvirt/connection", "provider/libvirt/client"], why: "rpc is bytes in, packets out" },
  { from: "provider/libvirt/transport/", forbid: ["provider/libvirt/rpc/", "provider/libvirt/api/", "provider/libvirt/connection", "provider/libvirt/client", "provider/libvirt/protocol/"], why: "transports only yield a Duplex" },
];
// Packages that only one folder may import.
const owners = [
  { pkgs: ["node:net", "net", "node:tls", "tls", "node:child_process", "child_process"], only: "provider/libvirt/transport/", why: "sockets and processes are opened by transports only" },
  { pkgs: ["fast-xml-parser", "xml2js"], only: "provider/xml/", why: "the XML library sits behind one adapter" },
  { pkgs: ["@pulumi/pulumi"], only: "sdk/", why: "the SDK is the only Pulumi-facing layer" },
];

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

const importRe = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

function specifiers(text) {
  const out = [];
  for (const m of text.matchAll(importRe)) out.push(m[1]);
  return out;
}

function target(file, spec) {
  if (!spec.startsWith(".")) return spec; // a package
  const abs = path.resolve(path.dirname(file), spec);
  return path.relative(root, abs).split(path.sep).join("/");
}

const problems = [];
for (const top of scanned) {
  for (const file of walk(path.join(root, top), [])) {
    const rel = path.relative(root, file).split(path.sep).join("/");
    for (const spec of specifiers(fs.readFileSync(file, "utf8"))) {
      const t = target(file, spec);
      const pkg = spec.startsWith(".") ? null : spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/");
      for (const r of rules) {
        if (!rel.startsWith(r.from)) continue;
        for (const f of r.forbid) {
          if ((pkg !== null && (spec === f || pkg === f)) || (pkg === null && (t === f.replace(/\/$/, "") || t.startsWith(f)))) {
            problems.push(`${rel}: imports ${spec} — ${r.why}`);
          }
        }
      }
      if (pkg !== null) {
        for (const o of owners) {
          if ((o.pkgs.includes(spec) || o.pkgs.includes(pkg)) && !rel.startsWith(o.only)) {
            problems.push(`${rel}: imports ${spec} — ${o.why} (${o.only})`);
          }
        }
      }
    }
  }
}

const unique = [...new Set(problems)];
if (unique.length > 0) {
  console.error(`layer check: ${unique.length} import(s) point the wrong way:`);
  for (const p of unique) console.error(`  ${p}`);
  process.exit(1);
}
console.log("layer check: imports point one way (sdk → provider/resources → provider/{diff,xml,libvirt})");
