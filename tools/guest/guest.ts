/**
 * The tiny test guest (see README.md beside this file): build it on demand, make its NoCloud seed, and read what
 * it reports on its serial console. For tests and the demo; nothing here touches libvirt.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Every fact the guest reports is one serial line starting with this. */
export const SERIAL_PREFIX = "GUEST: ";

/**
 * The kernel command line to boot the guest with. `no_timer_check` is not optional under TCG on a busy host:
 * without it the kernel's early IO-APIC timer check can miss its interrupts and panic ("IO-APIC + timer doesn't
 * work!"), seen here with a loaded host.
 */
export const GUEST_CMDLINE = "console=ttyS0 quiet no_timer_check";

/** The guest's boot files (absolute paths) and what they were built from. */
export interface GuestFiles {
  /** The Debian kernel (`vmlinuz`), for a domain's `<os><kernel>`. */
  kernel: string;
  /** The busybox initramfs (`initrd.gz`), for `<os><initrd>`. Boot with `console=ttyS0`. */
  initrd: string;
  /** The cache directory holding both, and `manifest.txt` (package versions, sizes, modules). */
  dir: string;
  /** The kernel release, e.g. `6.1.0-56-amd64`. */
  kernelVersion: string;
}

/** The folder holding build.sh, whether we run from the sources or from dist/. */
function guestSourceDir(): string {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = resolve(dir, "..")) {
    for (const candidate of [dir, join(dir, "tools", "guest")]) {
      if (existsSync(join(candidate, "build.sh")) && existsSync(join(candidate, "rootfs", "init"))) return candidate;
    }
  }
  throw new Error(`cannot find tools/guest/build.sh above ${__dirname}`);
}

let built: GuestFiles | undefined;

/**
 * Builds the guest if its cache is missing or stale (tools/guest/build.sh: downloads Debian packages, about 20 s
 * the first time) and returns absolute paths to its kernel and initrd. Cached per process.
 */
export function ensureGuest(): GuestFiles {
  if (built) return built;
  const script = join(guestSourceDir(), "build.sh");
  let stdout: string;
  try {
    stdout = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (e) {
    throw new Error(`building the test guest failed (bash ${script}); see its messages above`, { cause: e });
  }
  const dir = stdout.trim().split("\n").pop()?.trim() ?? "";
  const kernel = join(dir, "vmlinuz");
  const initrd = join(dir, "initrd.gz");
  if (!dir.startsWith("/") || !existsSync(kernel) || !existsSync(initrd)) {
    throw new Error(`tools/guest/build.sh did not name a directory with vmlinuz and initrd.gz (it printed ${JSON.stringify(stdout.trim())})`);
  }
  const versionFile = join(dir, "kernel-version");
  const kernelVersion = existsSync(versionFile) ? readFileSync(versionFile, "utf8").trim() : "";
  built = { kernel, initrd, dir, kernelVersion };
  return built;
}

/** What the seed tells the guest. The guest reads `instance-id` and `local-hostname` from meta-data. */
export interface SeedOptions {
  instanceId: string;
  hostname: string;
  /** user-data; a minimal `#cloud-config` when absent. */
  userData?: string;
}

/**
 * Writes meta-data and user-data into `dir` and makes `dir/seed.iso`, a NoCloud seed (ISO 9660 volume labelled
 * `cidata`) with genisoimage, installing it with apt-get when it is missing. Returns the ISO's path.
 */
export function makeSeedIso(dir: string, opts: SeedOptions): string {
  const metaData = join(dir, "meta-data");
  const userData = join(dir, "user-data");
  writeFileSync(metaData, `instance-id: ${opts.instanceId}\nlocal-hostname: ${opts.hostname}\n`);
  writeFileSync(userData, opts.userData ?? `#cloud-config\nhostname: ${opts.hostname}\n`);
  if (!hasCommand("genisoimage")) {
    try {
      execFileSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "genisoimage"], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    } catch (e) {
      throw new Error("genisoimage is missing and 'apt-get install genisoimage' failed (run it as root)", { cause: e });
    }
  }
  const iso = join(dir, "seed.iso");
  execFileSync("genisoimage", ["-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock", userData, metaData], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return iso;
}

/**
 * Makes a small qcow2 disk image at `path` for the examples' base volume: an ext4 filesystem (label
 * `pvt-base`) holding the guest's manifest.txt, so the base says what it was built from. The guest boots from
 * its kernel and initrd and only reports the disk (`GUEST: disks vda`); a real image would be a distribution's
 * cloud image. Needs mkfs.ext4 (e2fsprogs) and qemu-img (qemu-utils). Returns `path`.
 */
export function makeBaseImage(path: string, guest: GuestFiles = ensureGuest()): string {
  const work = mkdtempSync(join(tmpdir(), "pvt-base-"));
  try {
    const content = join(work, "content");
    mkdirSync(content);
    copyFileSync(join(guest.dir, "manifest.txt"), join(content, "manifest.txt"));
    const raw = join(work, "base.raw");
    execFileSync("mkfs.ext4", ["-q", "-F", "-L", "pvt-base", "-d", content, raw, "16M"], { stdio: ["ignore", "ignore", "pipe"] });
    execFileSync("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, path], { stdio: ["ignore", "ignore", "pipe"] });
    return path;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The complete lines of a serial log (a line still being written is left out; CRs removed). A missing file
 * reads as no lines: QEMU creates it when the domain starts.
 */
export function readSerialLog(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const end = text.lastIndexOf("\n");
  if (end < 0) return [];
  return text
    .slice(0, end)
    .split("\n")
    .map((l) => l.replace(/\r/g, ""));
}

/** The guest's facts: serial lines that start with `GUEST: `, without the prefix. */
export function guestFacts(path: string): string[] {
  return readSerialLog(path)
    .filter((l) => l.startsWith(SERIAL_PREFIX))
    .map((l) => l.slice(SERIAL_PREFIX.length));
}

/**
 * Waits until a complete line of the serial log at index `fromLine` or later matches `regex`, and returns the
 * match (its `index` property is the position in the line; `line` is the line number). Polls every 200 ms; on
 * timeout, throws with the last lines of the log.
 */
export async function waitForSerial(path: string, regex: RegExp, timeoutMs: number, fromLine = 0): Promise<RegExpExecArray & { line: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = readSerialLog(path);
    for (let i = fromLine; i < lines.length; i++) {
      const m = regex.exec(lines[i]!);
      if (m) return Object.assign(m, { line: i });
    }
    if (Date.now() > deadline) {
      const tail = lines
        .slice(-15)
        .map((l) => `  | ${l}`)
        .join("\n");
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${regex} in ${path}; its last lines:\n${tail || "  (empty)"}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
