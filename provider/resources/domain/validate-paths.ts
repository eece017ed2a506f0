/**
 * Host files a domain may not use as disks. libvirt's DAC security driver chowns a disk's file to the QEMU user
 * when the domain starts and gives it back when it stops — except for read-only (and shareable) disks, which it
 * never restores. A system file used as a disk would change owner (for good, when read-only): refused at check.
 */
import type { CheckFailure, Props } from "../provider";

/** Trees whose files belong to the host's system; /var/lib/libvirt (pools, images) is not among them. */
const SYSTEM_TREES = ["/bin/", "/boot/", "/dev/", "/etc/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/proc/", "/root/", "/run/", "/sbin/", "/sys/", "/usr/"];

function systemTree(path: string): string | undefined {
  const norm =
    "/" +
    path
      .split("/")
      .filter((x) => x !== "" && x !== ".")
      .join("/");
  return SYSTEM_TREES.find((t) => norm.startsWith(t))?.slice(0, -1);
}

/** Each `file` disk in a system directory, with why. */
export function validateDiskPaths(p: Props): CheckFailure[] {
  const out: CheckFailure[] = [];
  const disks = Array.isArray(p["disks"]) ? (p["disks"] as Record<string, unknown>[]) : [];
  disks.forEach((d, i) => {
    const file = d?.["file"];
    if (typeof file !== "string") return;
    const tree = systemTree(file);
    if (tree === undefined) return;
    const ro = d["readonly"] === true || d["device"] === "cdrom";
    out.push({
      property: `disks[${i}].file`,
      reason:
        `disks[${i}].file: "${file}" is a system file (under ${tree}): libvirt chowns a disk's file to its QEMU user when the domain starts` +
        (ro ? " and never gives a read-only disk's file back" : ", and gives it back only when the domain stops cleanly") +
        `; copy it into a pool (a Volume with source: "${file}") or a directory of its own, and use that`,
    });
  });
  return out;
}
