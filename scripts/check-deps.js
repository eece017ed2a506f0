#!/usr/bin/env node
// No unused dependencies: every package in package.json is imported by our sources, or is a command our scripts
// run (tsc, mocha, c8, depcruise, prettier, eslint), or is the types of one of those. Part of `npm run lint`; exits 1 naming any other.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
// Commands, by the package that provides them, as package.json scripts and .ci/run use them.
const commands = { typescript: "tsc", mocha: "mocha", c8: "c8", "dependency-cruiser": "depcruise", prettier: "prettier", eslint: "eslint" };

const sources = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", "dist", ".cache", ".git"].includes(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name)) sources.push(fs.readFileSync(p, "utf8"));
  }
})(root);
const code = sources.join("\n");
const scripts = Object.values(pkg.scripts ?? {}).join("\n") + fs.readFileSync(path.join(root, ".ci", "run"), "utf8");

const imported = (name) =>
  new RegExp(`(from\\s*|require\\s*\\(\\s*|import\\s*\\(\\s*|import\\s+)["']${name.replace(/[/.]/g, "\\$&")}(/[^"']*)?["']`).test(code);
const used = (name) => {
  if (imported(name)) return true;
  if (commands[name] !== undefined) return new RegExp(`\\b${commands[name]}\\b`).test(scripts);
  const typesOf = /^@types\/(.+)$/.exec(name);
  if (typesOf !== null) return typesOf[1] === "node" || deps.includes(typesOf[1]) || imported(typesOf[1]);
  return false;
};
const unused = deps.filter((d) => !used(d));
if (unused.length > 0) {
  console.error(`unused dependencies in package.json: ${unused.join(", ")} (remove them, or import them)`);
  process.exit(1);
}
console.log(`dependencies: all ${deps.length} in use`);
