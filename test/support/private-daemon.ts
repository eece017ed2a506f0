/**
 * A private libvirtd for fault tests that kill the daemon: killing the system libvirtd would break every other
 * test running on the machine, so these tests start their own.
 *
 * Two root libvirtds cannot share the qemu, network and storage drivers' state (`/run/libvirt`, `/etc/libvirt`,
 * `/var/lib/libvirt`: each driver holds a pid lock there). The private daemon therefore runs in
 * - its own mount namespace, where those folders are bind mounts of folders under one temporary directory, so
 *   its definitions and run state survive its own kill and restart but are never seen by the system daemon;
 * - its own network namespace (a named one, `ip netns`, so every restart joins the same one), so its bridges,
 *   dnsmasq and firewall rules never touch the host's.
 * Its socket sits in the temporary directory (path-based unix sockets work across namespaces):
 * `qemu:///system?socket=<dir>/sock/libvirt-sock` reaches it with our client and with virsh.
 *
 * QEMU runs as root without a security driver and logs to files (no virtlogd in the namespace). Guests must use
 * type "qemu" (TCG): no test needs KVM.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { waitFor } from "../../tools/support/host";

const BIND = { etc: "/etc/libvirt", run: "/run/libvirt", lib: "/var/lib/libvirt", cache: "/var/cache/libvirt", log: "/var/log/libvirt" } as const;

export class PrivateDaemon {
  readonly dir: string;
  readonly netns: string;
  readonly socket: string;
  readonly uri: string;
  private child: ChildProcess | null = null;
  private starts = 0;

  constructor(what: string) {
    this.dir = mkdtempSync(join(tmpdir(), `pvt-flt-${what}-`));
    this.netns = `pvt-flt-${randomBytes(3).toString("hex")}`;
    this.socket = join(this.dir, "sock", "libvirt-sock");
    this.uri = `qemu:///system?socket=${this.socket}`;
    for (const sub of [...Object.keys(BIND), "sock", "etc/qemu", "etc/storage", "lib/qemu", "lib/dnsmasq", "lib/images"])
      mkdirSync(join(this.dir, sub), { recursive: true });
    writeFileSync(
      join(this.dir, "etc", "libvirtd.conf"),
      [
        `unix_sock_dir = "${join(this.dir, "sock")}"`,
        `unix_sock_rw_perms = "0700"`,
        `auth_unix_rw = "none"`,
        `auth_unix_ro = "none"`,
        `log_outputs = "3:file:${join(this.dir, "libvirtd.log")}"`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(this.dir, "etc", "qemu.conf"),
      ['user = "root"', 'group = "root"', "dynamic_ownership = 0", 'security_driver = "none"', 'stdio_handler = "file"', "namespaces = [ ]", ""].join("\n"),
    );
    execFileSync("ip", ["netns", "add", this.netns]);
    execFileSync("ip", ["-n", this.netns, "link", "set", "lo", "up"]);
  }

  /** The daemon's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the daemon and waits until it answers on its socket. */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error("the private libvirtd is already running");
    rmSync(this.socket, { force: true });
    const mounts = Object.entries(BIND)
      .map(([sub, target]) => `mount --bind ${join(this.dir, sub)} ${target}`)
      .join(" && ");
    const pidFile = join(this.dir, "libvirtd.pid");
    rmSync(pidFile, { force: true });
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.netns,
        "unshare",
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        `${mounts} && exec libvirtd -f ${join(this.dir, "etc", "libvirtd.conf")} -p ${pidFile}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    this.child = child;
    this.starts++;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.once("exit", () => {
      if (this.child === child) this.child = null;
    });
    void exited;
    await waitFor(
      `the private libvirtd to answer on ${this.socket}`,
      () => {
        if (this.child !== child) throw new Error(`the private libvirtd exited at start: ${stderr.trim() || this.logTail()}`);
        return this.answers();
      },
      60000,
    );
  }

  /** True when virsh gets an answer from it. */
  answers(): boolean {
    if (!existsSync(this.socket)) return false;
    try {
      execFileSync("virsh", ["-q", "-c", this.uri, "version"], { stdio: "ignore", timeout: 10000 });
      return true;
    } catch {
      return false;
    }
  }

  /** SIGKILL, as a crashing daemon: no cleanup of its own. Waits until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGKILL");
    await gone;
    this.child = null;
  }

  /** Kills and starts it again. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** virsh against the private daemon. */
  virsh(...args: string[]): string {
    return execFileSync("virsh", ["-q", "-c", this.uri, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  }

  virshMaybe(...args: string[]): string | null {
    try {
      return this.virsh(...args);
    } catch {
      return null;
    }
  }

  logTail(): string {
    try {
      return readFileSync(join(this.dir, "libvirtd.log"), "utf8").split("\n").slice(-15).join("\n");
    } catch {
      return "";
    }
  }

  /**
   * Removes everything: every domain, network and pool of the private daemon (all are this test's), the daemon,
   * QEMU processes it left (found by the pid files in its own run folder), the network namespace and the folder.
   */
  async stop(): Promise<void> {
    if (this.child === null && existsSync(join(this.dir, "etc", "libvirtd.conf"))) await this.start().catch(() => undefined);
    if (this.child !== null) {
      const list = (args: string[]) =>
        (this.virshMaybe(...args) ?? "")
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean);
      for (const d of list(["list", "--name"])) this.virshMaybe("destroy", d);
      for (const d of list(["list", "--all", "--name"])) this.virshMaybe("undefine", d, "--nvram");
      for (const n of list(["net-list", "--all", "--name"])) {
        this.virshMaybe("net-destroy", n);
        this.virshMaybe("net-undefine", n);
      }
      for (const p of list(["pool-list", "--all", "--name"])) {
        this.virshMaybe("pool-destroy", p);
        this.virshMaybe("pool-undefine", p);
      }
      await this.kill();
    }
    const qemuRun = join(this.dir, "run", "qemu");
    if (existsSync(qemuRun)) {
      for (const f of readdirSync(qemuRun).filter((f) => f.endsWith(".pid"))) {
        const pid = Number(readFileSync(join(qemuRun, f), "utf8").trim());
        if (Number.isInteger(pid) && pid > 1) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    }
    try {
      execFileSync("ip", ["netns", "del", this.netns], { stdio: "ignore" });
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
