/**
 * `npm run bench -- multihost`: on the multi-host test bed (scripts/hosts.sh up; docs/multihost.md).
 *
 * 1. Live migration of the test guest (128 MiB, a 64 MiB raw disk copied with it, ticking every second) between two
 *    hosts: the provider's own path (provider/resources/domain/migrate.ts `migrateLive`: features, destination
 *    volumes, MIGRATE_PERFORM3_PARAMS peer-to-peer with NON_SHARED_DISK, job-stats polling) against
 *    `virsh migrate --live --p2p --persistent --undefinesource --copy-storage-all` on the same pair, alternating
 *    direction and who goes first for BENCH_ROUNDS (default 3) rounds each way. Time: wall clock around the call;
 *    downtime: what libvirt measured (the destination's completed job statistics, `downtime`). Ratio: medians,
 *    ours over virsh.
 * 2. A stack of 3 hosts × BENCH_PER_HOST (20) domains (no disk, no OS: they stay in the firmware) through the engine
 *    harness with its default parallelism: up, no-op up, refresh, destroy.
 *
 * Prints figures; asserts nothing about them (it stops only when an operation did not happen). Everything is named
 * `pvt-mh-bench-<run>-…` and removed at the end, also after a failure.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DomainJobStatsFlags, Libvirt } from "../provider/libvirt";
import { closeAll, connect } from "../provider/resources/connections";
import { migrateLive } from "../provider/resources/domain/migrate";
import { setReporter } from "../provider/resources/provider";
import { Stack } from "../tools/harness";
import { ensureGuest } from "../tools/guest/guest";
import { ensureHosts, TestHost } from "../tools/support/hosts";
import { removeLeftovers } from "../tools/support/leftovers";
import { median } from "./util";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PER_HOST = Number(process.env.BENCH_PER_HOST ?? 20);
const PREFIX = `pvt-mh-bench-${randomBytes(3).toString("hex")}-`;
const root = join(__dirname, "..", "..");

const virsh = (uri: string, ...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", uri, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function benchMigration(a: TestHost, b: TestHost): Promise<void> {
  const g = ensureGuest();
  const name = `${PREFIX}guest`;
  const pool = `${PREFIX}pool`;
  const path = `/var/lib/libvirt/${pool}`;
  for (const h of [a, b]) {
    virsh(h.sock, "pool-define-as", pool, "dir", "--target", path);
    virsh(h.sock, "pool-build", pool);
    virsh(h.sock, "pool-start", pool);
    virsh(h.sock, "vol-create-as", pool, "disk.raw", "64M", "--format", "raw");
    // The boot files straight into the host's pool folder (its /var/lib/libvirt is h.dir/lib).
    for (const f of ["vmlinuz", "initrd.gz"]) copyFileSync(join(g.dir, f), join(h.dir, "lib", pool, f));
    virsh(h.sock, "pool-refresh", pool);
  }
  const xml =
    `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>` +
    `<os><type arch='x86_64' machine='q35'>hvm</type><kernel>${path}/vmlinuz</kernel><initrd>${path}/initrd.gz</initrd>` +
    `<cmdline>console=ttyS0 quiet no_timer_check pvt.tick pvt.disk=vda</cmdline></os><devices>` +
    `<disk type='volume' device='disk'><driver name='qemu' type='raw'/><source pool='${pool}' volume='disk.raw'/><target dev='vda' bus='virtio'/></disk>` +
    `<serial type='file'><source path='/var/log/libvirt/qemu/${name}.serial.log'/></serial></devices></domain>`;
  const dir = mkdtempSync(join(tmpdir(), "pvt-mh-bench-"));
  try {
    execFileSync("bash", ["-c", `cat > ${dir}/d.xml`], { input: xml });
    virsh(a.sock, "define", `${dir}/d.xml`);
    virsh(a.sock, "start", name);
    const log = join(a.dir, "log", "qemu", `${name}.serial.log`);
    const t0 = Date.now();
    while (!/GUEST: tick 2 /.test(execFileSync("cat", [log], { encoding: "latin1" }))) {
      if (Date.now() - t0 > 300000) throw new Error("the guest did not tick within 300 s");
      await new Promise((r) => setTimeout(r, 500));
    }
    setReporter(() => undefined);
    const props = { name, disks: [{ target: "vda", volume: { pool, volume: "disk.raw" } }], migration: {} };
    const ours: { ms: number; down: number }[] = [];
    const ref: { ms: number; down: number }[] = [];
    let here = a;
    let there = b;
    const completed = async (h: TestHost): Promise<number> => {
      const lv: Libvirt = await connect(h.tcp);
      const s = await lv.domains.getJobStats(await lv.domains.lookupByName(name), DomainJobStatsFlags.COMPLETED);
      return Number(s.params["downtime"] ?? NaN);
    };
    const runOurs = async () => {
      const src = await connect(here.tcp);
      const dst = await connect(there.tcp);
      const t = process.hrtime.bigint();
      await migrateLive(src, dst, await src.domains.lookupByName(name), props, there.tcp);
      ours.push({ ms: Number(process.hrtime.bigint() - t) / 1e6, down: await completed(there) });
    };
    const runVirsh = () => {
      const t = process.hrtime.bigint();
      virsh(here.tcp, "migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--copy-storage-all", "--migrate-disks", "vda", name, there.tcp);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const info = virsh(there.tcp, "domjobinfo", "--completed", name);
      ref.push({ ms, down: Number(/Total downtime:\s+(\d+)\s+ms/.exec(info)?.[1] ?? NaN) });
    };
    for (let r = 0; r < ROUNDS * 2; r++) {
      const order = r % 2 === 0 ? ["ours", "virsh"] : ["virsh", "ours"];
      for (const who of order) {
        if (who === "ours") await runOurs();
        else runVirsh();
        [here, there] = [there, here];
        if (virsh(here.sock, "domstate", name) !== "running") throw new Error(`after a ${who} migration the guest is not running on ${here.name}`);
      }
    }
    const m = (xs: { ms: number; down: number }[], k: "ms" | "down") => median(xs.map((x) => x[k]));
    console.log(`multihost: live migration, test guest 128 MiB + 64 MiB disk, ${ours.length} runs each (both directions), load ${loadavg()[0]!.toFixed(1)}`);
    console.log(`  ours  time ${ours.map((x) => secs(x.ms)).join(", ")}; median ${secs(m(ours, "ms"))}; downtime median ${m(ours, "down")} ms`);
    console.log(`  virsh time ${ref.map((x) => secs(x.ms)).join(", ")}; median ${secs(m(ref, "ms"))}; downtime median ${m(ref, "down")} ms`);
    console.log(`ratio: migrate ${(m(ours, "ms") / m(ref, "ms")).toFixed(2)} downtime ${(m(ours, "down") / m(ref, "down")).toFixed(2)}`);
  } finally {
    setReporter((line) => process.stderr.write(`${line}\n`));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchStack(hosts: TestHost[]): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), "pvt-mh-bench-state-"));
  const stack = () =>
    new Stack({
      programDir: join(root, "bench", "programs", "multihost"),
      entry: join(root, "dist", "bench", "programs", "multihost", "index.js"),
      stateDir: state,
      config: { hosts: JSON.stringify(hosts.map((h) => h.tcp)), perHost: String(PER_HOST), prefix: PREFIX },
    });
  const total = hosts.length * PER_HOST;
  try {
    const up = await stack().up();
    const running = hosts.map(
      (h) =>
        virsh(h.sock, "list", "--name")
          .split("\n")
          .filter((n) => n.startsWith(`${PREFIX}h`)).length,
    );
    if (running.reduce((x, y) => x + y, 0) !== total) throw new Error(`up: ${running.join("+")} domains running, not ${total}`);
    const noop = await stack().up();
    if (noop.steps.some((s) => s.op !== "same")) throw new Error("the no-op up changed something");
    const refresh = await stack().refresh();
    const destroy = await stack().destroy();
    const left = hosts.map(
      (h) =>
        virsh(h.sock, "list", "--all", "--name")
          .split("\n")
          .filter((n) => n.startsWith(`${PREFIX}h`)).length,
    );
    if (left.some((n) => n > 0)) throw new Error(`destroy left ${left.join("+")} domains`);
    console.log(
      `multihost: stack of ${hosts.length} hosts × ${PER_HOST} domains (${total}; no OS, 64 MiB, TCG), engine harness, load ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(`  up ${secs(up.durationMs)}, no-op up ${secs(noop.durationMs)}, refresh ${secs(refresh.durationMs)}, destroy ${secs(destroy.durationMs)}`);
  } finally {
    await stack()
      .destroy()
      .catch(() => undefined);
    rmSync(state, { recursive: true, force: true });
  }
}

export async function benchMultihost(): Promise<void> {
  const hosts = ensureHosts();
  try {
    if (process.env.BENCH_PART !== "stack") await benchMigration(hosts[0]!, hosts[1]!);
    if (process.env.BENCH_PART !== "migration") await benchStack(hosts);
  } finally {
    await closeAll();
    for (const h of hosts) removeLeftovers(h.sock, PREFIX);
  }
}
