/**
 * `npm run schema`: writes schema.json (the Pulumi package schema), docs/resources.md and the SDK's resource
 * modules (scripts/gen-sdk.ts) from the resources' spec tables, so the schema, check, diff, the docs and the SDK
 * cannot drift apart. `--check` (in `npm run lint`) fails when a committed file is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { elementType } from "../provider/diff";
import type { PropSpec, PropType, ResourceSpec } from "../provider/diff";
import { allSpecs } from "../provider/resources/registry";
import { buildSdk } from "./gen-sdk";
import { describeProp, pascal } from "./spec-text";

type Json = Record<string, unknown>;
const types: Record<string, Json> = {};

function typeRef(t: PropType, name: string): Json {
  switch (t.kind) {
    case "string":
      return t.enum ? { type: "string", enum: t.enum.map((v) => ({ value: v })) } : { type: "string" };
    case "integer":
      return { type: "integer" };
    case "boolean":
      return { type: "boolean" };
    case "size":
      return { oneOf: [{ type: "integer" }, { type: "string" }], description: 'Bytes, or a string with a unit such as "10GiB".' };
    case "array":
      return { type: "array", items: typeRef(t.items, name) };
    case "object": {
      const token = `virt:index:${name}`;
      const { properties, required } = props(t.properties, name);
      types[token] = { type: "object", properties, ...(required.length ? { required } : {}) };
      return { $ref: `#/types/${token}` };
    }
  }
}

function props(specs: Record<string, PropSpec>, owner: string): { properties: Json; required: string[] } {
  const properties: Json = {};
  const required: string[] = [];
  for (const [k, p] of Object.entries(specs)) {
    properties[k] = { ...typeRef(p.type, owner + pascal(k)), description: describeProp(p), ...(p.secret ? { secret: true } : {}) };
    if (p.required) required.push(k);
  }
  return { properties, required };
}

function resource(spec: ResourceSpec): Json {
  const inputs = props(spec.inputs, spec.className);
  const outputs: Json = { ...inputs.properties };
  for (const [k, o] of Object.entries(spec.outputs)) outputs[k] = { ...typeRef(o.type, spec.className + pascal(k)), description: o.doc };
  return {
    description: `${spec.doc}\n\nRuntime type token: \`pulumi-nodejs:dynamic/virt:${spec.className}\` (a Pulumi dynamic resource).`,
    inputProperties: inputs.properties,
    requiredInputs: inputs.required,
    properties: outputs,
    required: [...inputs.required, ...Object.keys(spec.outputs)],
  };
}

const HOW = { live: "in place (live)", config: "config only (next start)", replace: "**replaces**" };

function typeText(t: PropType): string {
  switch (t.kind) {
    case "string":
      return t.enum ? t.enum.map((v) => `"${v}"`).join(" \\| ") : "string";
    case "size":
      return 'size (bytes or "10GiB")';
    case "array":
      return `list of ${typeText(t.items)}${t.key ? ` (by ${t.key})` : ""}`;
    default:
      return t.kind;
  }
}

function rows(specs: Record<string, PropSpec>, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, p] of Object.entries(specs)) {
    const req = p.required ? "required" : p.default !== undefined ? `default ${JSON.stringify(p.default)}` : "optional";
    const how = p.control ? "provider setting (no change on the host)" : HOW[p.update];
    out.push(`| \`${prefix}${k}\` | ${typeText(p.type)} | ${req} | ${how} | ${p.doc.replace(/\|/g, "\\|")} |`);
    const t = elementType(p.type);
    if (t.kind === "object") out.push(...rows(t.properties, `${prefix}${k}${p.type.kind === "array" ? "[]" : ""}.`));
  }
  return out;
}

/** docs/resources.md: each resource's properties and how a change of each is applied. */
export function buildDocs(): string {
  const parts = [
    "# Resources and their update semantics",
    "",
    "Generated from the spec tables by `npm run schema` (do not edit). For each property: how a change is applied —",
    "in place on the running object and its config, in the config only (takes effect at the next start), or by",
    "replacing the object. The plan printed before anything runs says the same, per change.",
    "",
  ];
  for (const s of allSpecs) {
    parts.push(
      `## ${s.className} (\`${s.token}\`)`,
      "",
      s.doc,
      "",
      "| property | type | | a change is applied | description |",
      "| --- | --- | --- | --- | --- |",
      ...rows(s.inputs),
      "",
    );
    parts.push(
      "Outputs: " +
        Object.entries(s.outputs)
          .map(([k, o]) => `\`${k}\` (${o.doc.replace(/\.$/, "")})`)
          .join("; ") +
        ".",
      "",
    );
  }
  return parts.join("\n");
}

export function buildSchema(): Json {
  const resources: Json = {};
  for (const s of allSpecs) resources[`virt:index:${s.className}`] = resource(s);
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string; description: string; license: string };
  return {
    name: "virt",
    displayName: "pulumi-virt",
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    keywords: ["libvirt", "kvm", "qemu", "xen", "category/infrastructure"],
    config: { variables: { uri: { type: "string", description: "Default libvirt URI for resources without `connection` (stack config `virt:uri`)." } } },
    resources,
    types,
    language: { nodejs: { packageName: "pulumi-virt" } },
  };
}

if (require.main === module) {
  const top = join(__dirname, "..", "..");
  const outputs: [string, string][] = [
    [join(top, "schema.json"), JSON.stringify(buildSchema(), null, 2) + "\n"],
    [join(top, "docs", "resources.md"), buildDocs()],
    ...buildSdk(allSpecs).map(([file, text]): [string, string] => [join(top, file), text]),
  ];
  if (process.argv.includes("--check")) {
    const stale = outputs.filter(([file, text]) => {
      try {
        return readFileSync(file, "utf8") !== text;
      } catch {
        return true;
      }
    });
    if (stale.length > 0) {
      console.error(`stale: ${stale.map(([f]) => f.slice(top.length + 1)).join(", ")}; run \`npm run schema\` and commit`);
      process.exit(1);
    }
    console.log(`schema.json, docs/resources.md and ${outputs.length - 2} TypeScript files (SDK, provider shapes) are up to date with the spec tables`);
  } else {
    for (const [file, text] of outputs) writeFileSync(file, text);
    console.log(`wrote schema.json, docs/resources.md and ${outputs.length - 2} TypeScript files (SDK, provider shapes; ${allSpecs.length} resources)`);
  }
}
