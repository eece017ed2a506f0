/**
 * The booted test guest as a Domain's inputs, shared by the integration tests that need a real OS (hot-unplug,
 * ACPI shutdown, power state, snapshots, wait-for-IP): its kernel and initrd copied into the test's own folder
 * (QEMU, running as libvirt-qemu, must read them: the folder is made world-readable), direct kernel boot under TCG
 * on q35, the serial console in a file the test reads.
 */
import { chmodSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { ensureGuest, GUEST_CMDLINE } from "../../tools/guest/guest";

/** Copies the guest's kernel and initrd into `dir` (made 0755); returns their paths. */
export function guestFiles(dir: string): { kernel: string; initrd: string } {
  chmodSync(dir, 0o755);
  const g = ensureGuest();
  const kernel = join(dir, "vmlinuz");
  const initrd = join(dir, "initrd.gz");
  copyFileSync(g.kernel, kernel);
  copyFileSync(g.initrd, initrd);
  return { kernel, initrd };
}

/**
 * A Domain's inputs for the guest in `dir` (after {@link guestFiles}): type qemu, q35, 256 MiB, 1 vCPU, the
 * serial console into `serial`; `args` are extra kernel arguments (e.g. "pvt.tick"), `extra` more inputs.
 */
export function guestDomain(uri: string, name: string, dir: string, serial: string, args = "", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    connection: { uri },
    name,
    type: "qemu",
    memory: "256MiB",
    vcpus: 1,
    os: { machine: "q35", kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.gz"), cmdline: args === "" ? GUEST_CMDLINE : `${GUEST_CMDLINE} ${args}` },
    serialConsole: { type: "file", path: serial },
    ...extra,
  };
}
