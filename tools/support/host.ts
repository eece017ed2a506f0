import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Every object a test makes on the host starts with this, so scripts/sweep.sh can find leftovers. */
export const TEST_PREFIX = "pvt-";

/** A unique, libvirt-valid name for a test object: `pvt-<what>-<random>`. */
export function uniqueName(what: string): string {
  return `${TEST_PREFIX}${what}-${randomBytes(4).toString("hex")}`;
}

/** Runs virsh (the C client) — tests check what our client did with an independent tool. */
export function virsh(uri: string, ...args: string[]): string {
  return execFileSync("virsh", ["-q", "-c", uri, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** Like `virsh` but returns null instead of throwing (for "is it gone?" checks). */
export function virshMaybe(uri: string, ...args: string[]): string | null {
  try {
    return virsh(uri, ...args);
  } catch {
    return null;
  }
}

/** A temporary directory removed by the returned cleanup. */
/** Forces a domain off and undefines it, with its NVRAM where the driver takes `--nvram` (else plainly); no error if gone. */
export function removeDomain(uri: string, name: string): void {
  virshMaybe(uri, "destroy", name);
  if (virshMaybe(uri, "undefine", name, "--nvram") == null) virshMaybe(uri, "undefine", name);
}

export function tempDir(what: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `${TEST_PREFIX}${what}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs every cleanup even when some fail; rethrows the first failure at the end. */
export async function cleanupAll(steps: (() => unknown)[]): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      first ??= e;
    }
  }
  if (first !== undefined) throw first;
}

/** Waits until `check` returns true, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
