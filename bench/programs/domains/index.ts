/**
 * The stack of `npm run bench -- domains` (bench/domains.ts runs it through the engine harness): `count` small
 * domains (type auto: kvm where the host has it, else qemu) with no disk (no OS: they sit in the firmware), all running.
 *
 * Config: `count` (default 20), `prefix` (names are `<prefix><i>`; default "pvt-bench-dom-"), `memory` (boot
 * memory, default "64MiB"), `currentMemory` (the balloon target, default `memory`; the bench's update phase
 * changes it, which is applied live), `shutdownTimeout` (default 0: a guest with no OS never answers the ACPI
 * shutdown that delete sends first, so any wait would only delay the force-off), `vcpus` (default 1).
 */
import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

const config = new pulumi.Config();
const count = config.getNumber("count") ?? 20;
const prefix = config.get("prefix") ?? "pvt-bench-dom-";
const memory = config.get("memory") ?? "64MiB";
const currentMemory = config.get("currentMemory") ?? memory;
const shutdownTimeout = config.getNumber("shutdownTimeout") ?? 0;
const vcpus = config.getNumber("vcpus") ?? 1;

const domains = Array.from(
  { length: count },
  (_, i) => new virt.Domain(`d${i}`, { name: `${prefix}${i}`, type: "auto", memory, currentMemory, vcpus, running: true, shutdownTimeout }),
);

export const names = domains.map((d) => d.name);
export const states = domains.map((d) => d.state);
