import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PropSpec, PropType } from "../../../provider/diff";
import { allSpecs } from "../../../provider/resources/registry";
import { buildSdk } from "../../../scripts/gen-sdk";
import { camel, describeProp } from "../../../scripts/spec-text";
import type { DomainArgs, NetworkArgs } from "../../../sdk";

const root = join(__dirname, "..", "..", "..", "..");

// Compile-time facts: this file does not build when the generated types lose them (the enums and shapes of the
// spec tables). Each @ts-expect-error fails the build if the line below it is accepted.
const domainArgs: DomainArgs = {
  name: "pvt-types",
  memory: "256MiB",
  onPoweroff: "destroy",
  features: { acpi: true, apic: true },
  disks: [{ target: "vda", device: "cdrom", bus: "sata" }],
  graphics: { type: "vnc", password: "pw" },
};
// @ts-expect-error onCrash is one of libvirt's six lifecycle actions, not any string
const badLifecycle: DomainArgs = { name: "x", memory: 1, onCrash: "explode" };
// @ts-expect-error features has the nine keys of the spec, not any name
const badFeature: DomainArgs = { name: "x", memory: 1, features: { warpDrive: true } };
// @ts-expect-error a disk's device is disk, cdrom or floppy
const badDevice: DomainArgs = { name: "x", memory: 1, disks: [{ device: "tape" }] };
// @ts-expect-error a DHCP host needs its ip (required in the spec)
const badHost: NetworkArgs = { name: "x", ips: [{ address: "10.0.0.1", prefix: 24, dhcp: { hosts: [{ mac: "52:54:00:00:00:01" }] } }] };

describe("the SDK is generated from the spec tables (scripts/gen-sdk.ts)", () => {
  it("the committed sdk files are exactly what the tables generate (npm run lint checks the same)", () => {
    for (const [file, text] of buildSdk(allSpecs)) assert.equal(readFileSync(join(root, file), "utf8"), text, `${file} is stale: npm run schema`);
  });

  it("every input of every resource is in its Args with the spec's doc, default and update words", () => {
    const files = new Map(buildSdk(allSpecs));
    let checked = 0;
    const visit = (text: string, props: Record<string, PropSpec>) => {
      for (const [k, p] of Object.entries(props)) {
        // The TSDoc is wrapped: compare with whitespace collapsed.
        const flat = text.replace(/\n\s*\*\s?/g, " ");
        assert.ok(flat.includes(describeProp(p)), `doc of ${k}: ${describeProp(p)}`);
        assert.match(text, new RegExp(`\\n  ${k}${p.required ? "" : "\\?"}: `), `${k} ${p.required ? "required" : "optional"}`);
        checked++;
        let t: PropType = p.type;
        while (t.kind === "array") t = t.items;
        if (t.kind === "object") visit(text, t.properties);
      }
    };
    for (const s of allSpecs) {
      const file = `sdk/${camel(s.className)}.ts`;
      visit(files.get(file)! + files.get("sdk/types.ts")!, s.inputs);
      for (const k of Object.keys(s.outputs)) assert.match(files.get(file)!, new RegExp(`declare readonly ${k}: pulumi\\.Output<`), `${s.className}.${k}`);
    }
    assert.ok(checked > 150, `checked ${checked} properties`);
  });

  it("secrets come from the table: a property holding a secret is wrapped and an additional secret output", () => {
    const files = new Map(buildSdk(allSpecs));
    assert.match(files.get("sdk/domain.ts")!, /additionalSecretOutputs: \[\.\.\.\(opts\?\.additionalSecretOutputs \?\? \[\]\), "graphics"\]/);
    assert.match(files.get("sdk/cloudInitDisk.ts")!, /\{ userData: pulumi\.secret\(args\.userData\) \}/);
    assert.doesNotMatch(files.get("sdk/volume.ts")!, /pulumi\.secret/);
    assert.deepEqual([domainArgs.name, badLifecycle.name, badFeature.name, badDevice.name, badHost.name], ["pvt-types", "x", "x", "x", "x"]);
  });
});
