/**
 * An example program run through the engine harness with the real test guest: what the lab and fleet stack
 * tests share. One temp directory holds the pool, the serial logs and the state; everything on the host is named
 * with one prefix, so the cleanup can find what a failed test left.
 */
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { Stack } from "../../tools/harness";
import { ensureGuest, makeBaseImage } from "../../tools/guest/guest";
import { cleanupAll, tempDir, uniqueName } from "../../tools/support/host";
import { describeLeftovers, isClean, removeLeftovers } from "../../tools/support/leftovers";
import { freeSubnet } from "../../tools/support/subnet";

const root = join(__dirname, "..", "..", "..");

export interface GuestStack {
  prefix: string;
  /** Pool directory, serial logs (`<domain>.serial.log`) and the state file live here. */
  dir: string;
  /** The stack config; tests change it and the next operations use the change. */
  config: Record<string, string>;
  /** A new Stack for the next operation, with the config as it is now. */
  stack(): Stack;
  /** For `before`: the guest's kernel and initrd and a base image, into the config. */
  prepare(): void;
  /** For `after`: destroy through the stack, then remove and report anything with the prefix, then the files. */
  cleanup(): Promise<void>;
}

/**
 * What a guest stack needs on the host, whatever engine runs it (the harness here, the real CLI in test/cli):
 * a unique prefix, a temp directory QEMU can reach, the example's config, the guest's files, and a cleanup that
 * removes and reports anything left with the prefix.
 */
export interface GuestFixture {
  prefix: string;
  /** Pool directory (`images/`), serial logs (`<domain>.serial.log`) and, for the harness, the state file. */
  dir: string;
  /** The stack config; tests change it and the next operations use the change. */
  config: Record<string, string>;
  /** For `before`: the guest's kernel and initrd and a base image, into the config. */
  prepare(): void;
  /** Removes anything on the host with the prefix (failing with a list of it), then the directory. */
  removeLeftovers(): Promise<void>;
}

export function guestFixture(uri: string, prefixHint: string): GuestFixture {
  const prefix = uniqueName(prefixHint);
  const dir = tempDir(prefixHint);
  chmodSync(dir.path, 0o755); // QEMU runs as libvirt-qemu: it must reach the pool and write the serial logs
  const config: Record<string, string> = {
    "virt:uri": uri,
    prefix,
    poolPath: join(dir.path, "images"),
    logDir: dir.path,
    subnet: String(freeSubnet()),
    type: "qemu", // our KVM is paravirtual and cannot boot the guest at a useful speed (tools/guest/README.md)
  };
  return {
    prefix,
    dir: dir.path,
    config,
    prepare() {
      const g = ensureGuest();
      config["kernel"] = g.kernel;
      config["initrd"] = g.initrd;
      config["baseImage"] = makeBaseImage(join(dir.path, "base.qcow2"), g);
    },
    removeLeftovers: () =>
      cleanupAll([
        () => {
          const left = removeLeftovers(uri, prefix);
          if (!isClean(left)) throw new Error(`left on the host:\n${describeLeftovers(left)}`);
        },
        () => dir.remove(),
      ]),
  };
}

export function guestStack(example: string, uri: string, prefixHint: string): GuestStack {
  const f = guestFixture(uri, prefixHint);
  const { prefix, config } = f;
  const stack = () =>
    new Stack({
      programDir: join(root, "examples", example),
      entry: join(root, "dist", "examples", example, "index.js"),
      stateDir: join(f.dir, "state"),
      config: { ...config },
    });
  return {
    prefix,
    dir: f.dir,
    config,
    stack,
    prepare: () => f.prepare(),
    cleanup: () =>
      cleanupAll([
        () =>
          stack()
            .destroy()
            .catch(() => undefined),
        () => f.removeLeftovers(),
      ]),
  };
}
