#!/usr/bin/env node
// Our `pulumi-language-nodejs`: the Pulumi engine's LanguageRuntime for `runtime: nodejs` projects.
//
// Why ours: Pulumi's own language host is the Go module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3,
// which has no tags; the Go module proxy we reach refuses it at every version and pseudo-version (403 "This module
// version is not available"), so scripts/pulumi-cli.sh cannot build it. This file does that host's one real job the way
// it does it: Run starts `node <@pulumi/pulumi/cmd/run> --monitor … --engine … <entry>` in the program's folder with the
// stack config in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS and the project's runtime options (typescript, tsconfig,
// nodeargs) in the environment cmd/run reads. Everything after that — ts-node, the program, the SDK's gRPC to the
// engine, the dynamic provider — is Pulumi's own code from the project's node_modules, and the engine is the real CLI.
//
// The gRPC stubs and @grpc/grpc-js come from the project's own @pulumi/pulumi (resolved from the working directory the
// engine starts us in, the project folder), so this file needs nothing installed beside it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");

/** Set by scripts/pulumi-cli.sh when it installs this file: the CLI release it sits beside. */
const VERSION = process.env.PULUMI_VIRT_LANGUAGE_HOST_VERSION || "3.0.0";

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

// Arguments: Go-style flags (`-tracing URL`, `--logtostderr`, `-v=9`), then the engine's address, last.
function engineAddressFrom(argv) {
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-")) {
      if (!a.includes("=") && /^--?(tracing|root|binary|logflow|v)$/.test(a)) i++;
      continue;
    }
    positional.push(a);
  }
  return positional[positional.length - 1] ?? "";
}

function resolveFrom(dir, request) {
  try {
    return require.resolve(request, { paths: [dir] });
  } catch {
    return undefined;
  }
}

const sdkPackage = resolveFrom(process.cwd(), "@pulumi/pulumi/package.json");
if (sdkPackage === undefined) {
  fail(`It looks like the Pulumi SDK has not been installed in ${process.cwd()}. Have you run npm install?`);
}
const sdkDir = path.dirname(sdkPackage);
const sdk = (p) => require(path.join(sdkDir, p));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
const languageGrpc = sdk("proto/language_grpc_pb.js");
const language = sdk("proto/language_pb.js");
const pluginPb = sdk("proto/plugin_pb.js");
const emptyPb = require(require.resolve("google-protobuf/google/protobuf/empty_pb.js", { paths: [sdkDir] }));

const engineAddress = engineAddressFrom(process.argv.slice(2));
const nodeBin = process.execPath;
const running = new Set();

/** Packages in <dir>/node_modules whose package.json says `"pulumi": {"resource": true}` (resource plugins). */
function pluginPackages(dir) {
  const found = [];
  const nm = path.join(dir, "node_modules");
  let entries;
  try {
    entries = fs.readdirSync(nm);
  } catch {
    return found;
  }
  const dirs = [];
  for (const e of entries) {
    if (e.startsWith("@")) {
      try {
        for (const s of fs.readdirSync(path.join(nm, e))) dirs.push(path.join(nm, e, s));
      } catch {
        /* not a folder */
      }
    } else if (!e.startsWith(".")) dirs.push(path.join(nm, e));
  }
  for (const d of dirs) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8"));
      if (pkg.pulumi && pkg.pulumi.resource === true) {
        const name = String(pkg.pulumi.name || pkg.name)
          .replace(/^@pulumi\//, "")
          .replace(/^@/, "");
        const version = String(pkg.pulumi.version || pkg.version);
        found.push({ name, version: version.startsWith("v") ? version : `v${version}`, server: pkg.pulumi.server || "" });
      }
    } catch {
      /* no or bad package.json: not a plugin */
    }
  }
  return found;
}

function programDir(info, fallback) {
  return (info && info.getProgramDirectory()) || fallback || process.cwd();
}

/** Runtime options from Pulumi.yaml `runtime.options` (typescript, tsconfig, nodeargs, ...). */
function runtimeOptions(info) {
  const s = info && info.getOptions();
  return s ? s.toJavaScript() : {};
}

/** The program's plugin packages as messages of one dependency type (PluginDependency and PackageDependency have the same fields). */
function dependencies(Type, dir) {
  return pluginPackages(dir).map((p) => {
    const d = new Type();
    d.setName(p.name);
    d.setKind("resource");
    d.setVersion(p.version);
    d.setServer(p.server);
    return d;
  });
}

const impl = {
  handshake(call, cb) {
    cb(null, new language.LanguageHandshakeResponse());
  },

  getRequiredPlugins(call, cb) {
    const res = new language.GetRequiredPluginsResponse();
    res.setPluginsList(dependencies(pluginPb.PluginDependency, programDir(call.request.getInfo(), call.request.getProgram())));
    cb(null, res);
  },

  getRequiredPackages(call, cb) {
    const res = new language.GetRequiredPackagesResponse();
    res.setPackagesList(dependencies(pluginPb.PackageDependency, programDir(call.request.getInfo())));
    cb(null, res);
  },

  run(call, cb) {
    const req = call.request;
    const info = req.getInfo();
    const dir = programDir(info, req.getPwd());
    const options = runtimeOptions(info);
    const runScript = resolveFrom(dir, "@pulumi/pulumi/cmd/run");
    if (runScript === undefined) {
      const res = new language.RunResponse();
      res.setError(`It looks like the Pulumi SDK has not been installed in ${dir}. Have you run npm install?`);
      return cb(null, res);
    }
    const arg = (k, v) => (v === undefined || v === "" ? [] : [`--${k}`, String(v)]);
    const nodeargs = typeof options.nodeargs === "string" && options.nodeargs.trim() !== "" ? options.nodeargs.trim().split(/\s+/) : [];
    const args = [
      ...nodeargs,
      runScript,
      ...arg("monitor", req.getMonitorAddress()),
      ...arg("engine", engineAddress),
      ...arg("organization", req.getOrganization()),
      ...arg("project", req.getProject()),
      ...arg("stack", req.getStack()),
      ...arg("root-directory", info ? info.getRootDirectory() : ""),
      ...arg("pwd", req.getPwd()),
      ...(req.getDryrun() ? ["--dry-run"] : []),
      ...arg("parallel", req.getParallel()),
      (info && info.getEntryPoint()) || req.getProgram() || ".",
      ...req.getArgsList(),
    ];
    const config = {};
    for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
    const env = {
      ...process.env,
      PULUMI_CONFIG: JSON.stringify(config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
      PULUMI_NODEJS_TYPESCRIPT: options.typescript === false ? "false" : "true",
    };
    if (typeof options.tsconfig === "string" && options.tsconfig !== "") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
    const child = spawn(nodeBin, args, { cwd: dir, env, stdio: ["ignore", "inherit", "inherit"] });
    running.add(child);
    child.on("error", (e) => {
      running.delete(child);
      const res = new language.RunResponse();
      res.setError(`Problem executing program (could not run language executor): ${e.message}`);
      cb(null, res);
    });
    child.on("exit", (code, signal) => {
      running.delete(child);
      const res = new language.RunResponse();
      if (code === 32)
        res.setBail(true); // cmd/run: the program failed and already logged why
      else if (signal) res.setError(`Program exited unexpectedly: ${signal}`);
      else if (code !== 0) res.setError(`Program exited with non-zero exit code: ${code}`);
      cb(null, res);
    });
  },

  getPluginInfo(call, cb) {
    const res = new pluginPb.PluginInfo();
    res.setVersion(VERSION);
    cb(null, res);
  },

  installDependencies(call) {
    const req = call.request;
    const dir = programDir(req.getInfo(), req.getDirectory());
    const child = spawn("npm", ["install"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const send = (which) => (chunk) => {
      const res = new language.InstallDependenciesResponse();
      if (which === "stdout") res.setStdout(chunk);
      else res.setStderr(chunk);
      call.write(res);
    };
    child.stdout.on("data", send("stdout"));
    child.stderr.on("data", send("stderr"));
    child.on("error", (e) => call.destroy(e));
    child.on("exit", (code) => {
      if (code === 0) call.end();
      else call.destroy(Object.assign(new Error(`npm install exited with code ${code}`), { code: grpc.status.UNKNOWN }));
    });
  },

  runtimeOptionsPrompts(call, cb) {
    cb(null, new language.RuntimeOptionsResponse());
  },

  about(call, cb) {
    const res = new language.AboutResponse();
    res.setExecutable(nodeBin);
    res.setVersion(process.versions.node);
    cb(null, res);
  },

  getProgramDependencies(call, cb) {
    const res = new language.GetProgramDependenciesResponse();
    const dir = programDir(call.request.getInfo(), call.request.getPwd());
    const deps = [];
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
        const installed = resolveFrom(dir, `${name}/package.json`);
        if (installed === undefined) continue;
        const d = new language.DependencyInfo();
        d.setName(name);
        d.setVersion(JSON.parse(fs.readFileSync(installed, "utf8")).version);
        deps.push(d);
      }
    } catch {
      /* no package.json: no dependencies */
    }
    res.setDependenciesList(deps);
    cb(null, res);
  },

  cancel(call, cb) {
    for (const c of running) c.kill("SIGINT");
    cb(null, new emptyPb.Empty());
  },
};

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(languageGrpc.LanguageRuntimeService, impl);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) fail(`could not start the language host's gRPC server: ${err.message}`);
  // The engine reads our port from the first line of stdout.
  process.stdout.write(`${port}\n`);
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    for (const c of running) c.kill(sig);
    server.forceShutdown();
    process.exit(0);
  });
}
