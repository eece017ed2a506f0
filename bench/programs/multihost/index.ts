/**
 * The stack of `npm run bench -- multihost` (bench/multihost.ts runs it through the engine harness): `perHost`
 * small domains (type qemu, 64 MiB, no disk: no OS, they sit in the firmware) on each host of `hosts` (a JSON list
 * of libvirt URIs), all running. Names are `<prefix>h<host>-<i>`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as virt from "pulumi-virt";

const config = new pulumi.Config();
const hosts = config.requireObject<string[]>("hosts");
const perHost = config.getNumber("perHost") ?? 20;
const prefix = config.require("prefix");

const domains = hosts.flatMap((uri, h) =>
  Array.from(
    { length: perHost },
    (_, i) =>
      new virt.Domain(`h${h}-d${i}`, {
        connection: { uri },
        name: `${prefix}h${h}-${i}`,
        type: "qemu",
        memory: "64MiB",
        vcpus: 1,
        running: true,
        shutdownTimeout: 0,
      }),
  ),
);

export const count = domains.length;
