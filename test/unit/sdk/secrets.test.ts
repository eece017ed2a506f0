import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Domain } from "../../../sdk/domain";
import { CloudInitDisk } from "../../../sdk/cloudInitDisk";
import { domain } from "../../../provider/resources/domain";
import { describePlan, plan } from "../../../provider/diff";
import { domainSpec } from "../../../provider/resources/domain/spec";

/** Pulumi's wire marker of a secret value inside a Struct. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

interface Registered {
  type: string;
  object: Record<string, unknown>;
  additionalSecretOutputs: string[];
}

/**
 * Registers resources against Pulumi's mock monitor and keeps each RegisterResource request as the engine would
 * receive it (the serialized inputs, secrets still wrapped, and additionalSecretOutputs).
 */
async function registered(make: () => pulumi.Resource[]): Promise<Registered[]> {
  const seen: Registered[] = [];
  await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "p", "s", true);
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: unknown, cb: unknown): void };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: unknown, cb: unknown) => {
    const r = req as { getType(): string; getObject(): { toJavaScript(): Record<string, unknown> }; getAdditionalsecretoutputsList(): string[] };
    seen.push({ type: r.getType(), object: r.getObject().toJavaScript(), additionalSecretOutputs: r.getAdditionalsecretoutputsList() });
    original(req, cb);
  };
  const resources = make();
  await Promise.all(resources.map((r) => new Promise((resolve) => (r as pulumi.CustomResource).urn.apply(resolve))));
  return seen;
}

const isSecret = (v: unknown): boolean =>
  v !== null && typeof v === "object" && (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG;

describe("secrets: the SDK marks them, errors and plans never print them", function () {
  this.timeout(30000);

  it("Domain: graphics (which holds the password) is a secret input and a secret output, as CloudInitDisk's userData is", async () => {
    const seen = await registered(() => [
      new Domain("d", { name: "pvt-srf-sdk", memory: "64MiB", graphics: { type: "vnc", password: "87654321" } }),
      new CloudInitDisk("c", { name: "seed.iso", pool: "p", userData: "#cloud-config\n{}\n" }),
    ]);
    const dom = seen.find((s) => s.type === "pulumi-nodejs:dynamic/virt:Domain");
    assert.ok(dom, JSON.stringify(seen.map((s) => s.type)));
    assert.ok(isSecret(dom.object["graphics"]), `graphics is sent as a secret: ${JSON.stringify(dom.object["graphics"])}`);
    assert.ok(dom.additionalSecretOutputs.includes("graphics"), "the output graphics is a secret too");
    const seed = seen.find((s) => s.object["name"] === "seed.iso")!;
    assert.ok(isSecret(seed.object["userData"]) && seed.additionalSecretOutputs.includes("userData"), "the model it follows");
  });

  it("check never quotes a secret's value: a wrong-typed graphics.password shows as [secret]", async () => {
    const r = await domain.check({}, { name: "pvt-srf-x", memory: "64MiB", graphics: { type: "vnc", password: 87654321 } });
    const text = r.failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
    assert.equal(r.failures.length, 1, text);
    // No property either: the engine prints a named property's value with the failure; the reason names the path.
    assert.equal(r.failures[0]!.property, "");
    assert.match(r.failures[0]!.reason, /^graphics\.password: must be a string, got \[secret\]/);
    assert.doesNotMatch(text, /87654321/);
  });

  it("a plan that adds graphics shows the password as [secret]", () => {
    const p = plan(domainSpec.inputs, { name: "d" }, { name: "d", graphics: { type: "vnc", listen: "127.0.0.1", password: "hunter22" } });
    const lines = describePlan("virt:Domain", "d", domainSpec.inputs, p).join("\n");
    assert.match(lines, /"password":"\[secret\]"/);
    assert.doesNotMatch(lines, /hunter22/);
  });
});
