import assert from "node:assert/strict";
import Module from "node:module";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { forwarder } from "../../../sdk/provider";

const root = join(__dirname, "..", "..", "..", "..");

/** Loads serialized provider text the way the dynamic-provider plugin does (require-from-string, from a directory). */
function loadSerialized(text: string, fromDir: string): pulumi.dynamic.ResourceProvider {
  const m = new Module("", undefined) as Module & { _compile(code: string, filename: string): void; paths: string[] };
  m.filename = join(fromDir, "serialized-provider.js");
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(fromDir);
  m._compile(text, m.filename);
  return (m.exports as { handler(): pulumi.dynamic.ResourceProvider }).handler();
}

describe("SDK forwarders (what Pulumi stores in each resource's state)", function () {
  this.timeout(30000);
  let text = "";
  before(async () => {
    const provider = forwarder("pool", "storagePool");
    text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false })).text;
  });

  it("serialize small, capturing only the module path and export name", () => {
    assert.ok(text.length < 8000, `${text.length} bytes`);
    assert.match(text, /require\(`pulumi-virt\/dist\/provider\/resources\/\$\{module\}`\)/);
    assert.match(text, /"pool"/);
    assert.match(text, /"storagePool"/);
    assert.doesNotMatch(text, /Libvirt|RpcSession|Socket/, "no client code or live object is captured");
  });

  it("run from their text in a program directory and reach the installed implementation", async () => {
    const p = loadSerialized(text, join(root, "examples", "storage-network"));
    const r = await p.check!({}, { name: "bad name", target: { path: "relative" } });
    const reasons = (r.failures ?? []).map((f) => `${f.property}: ${f.reason}`).join("\n");
    assert.match(reasons, /name: "bad name" is not a valid name/);
    assert.match(reasons, /target\.path: "relative" must be an absolute path/);
    assert.equal((r.inputs as Record<string, unknown>)["type"], "dir", "defaults come from the implementation's spec table");
  });

  it("configure hands stack config virt:uri to the connection defaults", async () => {
    const p = loadSerialized(text, root);
    await p.configure!({
      config: { get: (k: string) => (k === "virt:uri" ? "test+unix:///default" : undefined) },
    } as unknown as pulumi.dynamic.ConfigureRequest);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- by package path, as the forwarder requires it
    const { resolveUri, setConfiguredUri } = require("pulumi-virt/dist/provider/resources/connections");
    try {
      assert.equal(resolveUri(undefined, {}), "test+unix:///default");
    } finally {
      setConfiguredUri(undefined);
    }
  });
});
