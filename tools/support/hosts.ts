/**
 * The multi-host test bed (scripts/hosts.sh; docs/multihost.md): extra libvirtds on this machine, each in its own
 * network, mount and UTS namespaces, reachable from here over qemu+tcp, qemu+tls and qemu+ssh. Tests, benches and
 * examples start it with {@link ensureHosts} (idempotent: hosts that answer are left alone) and leave it running,
 * like the system libvirtd; `bash scripts/hosts.sh down` stops it.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const script = join(__dirname, "..", "..", "..", "scripts", "hosts.sh");

export interface TestHost {
  /** 1-based. */
  index: number;
  /** Its host name (UTS namespace) and network namespace: `pvt-mh-h<i>`. */
  name: string;
  /** Its address on the test bridge. */
  addr: string;
  /** Its folder: `etc/`, `run/`, `lib/`, `log/` are its /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt. */
  dir: string;
  tcp: string;
  tls: string;
  ssh: string;
  /** Its unix socket, reached from the main namespace (virsh as the judge uses this or `tcp`). */
  sock: string;
}

/** Parses `hosts.sh env` output (shell assignments, values optionally in single quotes). */
export function parseHostsEnv(text: string): TestHost[] {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(?:'(.*)'|(.*))$/.exec(line.trim());
    if (m) env[m[1]!] = m[2] ?? m[3] ?? "";
  }
  const n = Number(env["PVT_HOSTS"] ?? "0");
  const hosts: TestHost[] = [];
  for (let i = 1; i <= n; i++) {
    const get = (k: string) => {
      const v = env[`PVT_HOST${i}_${k}`];
      if (v === undefined) throw new Error(`hosts.sh env: PVT_HOST${i}_${k} missing`);
      return v;
    };
    hosts.push({ index: i, name: get("NAME"), addr: get("ADDR"), dir: get("DIR"), tcp: get("TCP"), tls: get("TLS"), ssh: get("SSH"), sock: get("SOCK") });
  }
  return hosts;
}

/** Starts the test bed's 3 hosts unless they run, and describes them. */
export function ensureHosts(): TestHost[] {
  execFileSync("bash", [script, "up", "3"], { stdio: ["ignore", "ignore", "pipe"], timeout: 180000 });
  return parseHostsEnv(execFileSync("bash", [script, "env"], { encoding: "utf8" }));
}

/** Runs `hosts.sh` with arguments (status, down, ...), returning its stdout. */
export function hostsScript(...args: string[]): string {
  return execFileSync("bash", [script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 180000 });
}
