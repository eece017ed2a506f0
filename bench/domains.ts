/**
 * `npm run bench -- domains`: virt:Domain at scale on the real qemu:///system, against a sequential virsh script
 * doing the same libvirt operations on the same host in the same run. Prints figures and ratios; asserts nothing
 * about them (it only stops when an operation did not happen, since its time would then mean nothing).
 *
 * 1. Diff planning, pure CPU: 1,000 domains with one change each through provider/diff `plan` +
 *    `planDomainOps`, and through the resource's whole `diff` (plan text rendered, reporter captured): ms/domain.
 * 2. Refresh: 100 domains defined (not started) through the provider, then `domain.read(id, props)` for each,
 *    one at a time and all at once: total time and RPC calls per domain (counted by wrapping
 *    `Connection.prototype.call`, by procedure), then undefined.
 * 3. A stack of `BENCH_DOMAINS` (20) domains on the host's accelerator (kvm, else qemu), no disk, 64 MiB, running (bench/programs/domains) through
 *    the engine harness with its default parallelism (unbounded): up, up with currentMemory 48 MiB (live), destroy;
 *    against bench/reference/domains_virsh.sh: define+start each, setmem --live --config each, destroy+undefine
 *    each. Each phase runs on both sides back to back (order alternating by round) so both see the same load on
 *    this shared host. The closing lines `ratio: apply|update|destroy <x>` are ours over virsh (medians of the
 *    per-round ratios over BENCH_ROUNDS, default 1).
 *
 * Every object is named `pvt-bench-<run>-...`; whatever happens (failure, Ctrl-C) the run removes its own objects.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { plan } from "../provider/diff";
import { planDomainOps } from "../provider/resources/domain/ops";
import { Connection } from "../provider/libvirt";
import type { Procedure } from "../provider/libvirt/protocol/procedures";
import { closeAll } from "../provider/resources/connections";
import { domain, domainSpec } from "../provider/resources/domain";
import { toModel } from "../provider/resources/domain/model";
import { Props, report, setReporter } from "../provider/resources/provider";
import { buildDomainXml } from "../provider/xml";
import { OperationResult, Stack } from "../tools/harness";
import { median } from "./util";
import { ACCEL } from "../tools/support/accel";

const URI = process.env.BENCH_URI ?? "qemu:///system";
const COUNT = Number(process.env.BENCH_DOMAINS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const PLAN_DOMAINS = 1000;
const PLAN_PASSES = 20;
const READ_DOMAINS = 100;
const MIB = 1024 * 1024;
const MEMORY = 64 * MIB;
const UPDATED = 48 * MIB;

const root = join(__dirname, "..", "..");
const programDir = join(root, "bench", "programs", "domains");
const programEntry = join(root, "dist", "bench", "programs", "domains", "index.js");
const reference = join(root, "bench", "reference", "domains_virsh.sh");
/** This run's objects, and only them: other runs (tests, benches) may share the host. */
const PREFIX = `pvt-bench-${randomBytes(3).toString("hex")}-`;

const now = () => process.hrtime.bigint();
const msSince = (t: bigint) => Number(now() - t) / 1e6;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function virsh(...args: string[]): string {
  return execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** This run's domains on the host; `running` only the active ones. */
function ours(what: string, running = false): string[] {
  return virsh("list", ...(running ? [] : ["--all"]), "--name")
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s.startsWith(`${PREFIX}${what}`));
}

/**
 * Force-off and undefine every domain this run made, all at once (a force-off takes about a second each).
 * Synchronous, so an exit hook can use it. Returns the names it found.
 */
function sweepOwn(): string[] {
  const found = new Set<string>();
  for (let pass = 0; pass < 3; pass++) {
    const left = ours("");
    if (left.length === 0) break;
    left.forEach((n) => found.add(n));
    const script =
      'for d in "$@"; do (virsh -q -c "$URI" destroy "$d"; virsh -q -c "$URI" undefine "$d" --nvram || virsh -q -c "$URI" undefine "$d") >/dev/null 2>&1 & done; wait';
    execFileSync("bash", ["-c", script, "sweep", ...left], { env: { ...process.env, URI }, stdio: "ignore" });
  }
  return [...found];
}

/**
 * Whether every domain's saved config has currentMemory 48 MiB (one virsh process). The live XML cannot show the
 * live half: it reports the balloon's actual size, and a guest with no OS (no balloon driver) never moves it.
 */
function savedMemoryOk(names: string[]): boolean {
  const out = virsh(names.map((n) => `dumpxml --inactive ${n}`).join(" ; "));
  const kib = [...out.matchAll(/<currentMemory unit='KiB'>(\d+)<\/currentMemory>/g)].map((m) => Number(m[1]));
  return kib.length === names.length && kib.every((k) => k === UPDATED / 1024);
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`domains bench: ${what}`);
}

// ---------------------------------------------------------------------------------------------------------
// 1. Diff planning (pure CPU)

/** One change per domain, rotating over these (live and config-class, top-level and inside a keyed list). */
const CHANGES: [string, (raw: Props, i: number) => Props][] = [
  ["currentMemory", (r) => ({ ...r, currentMemory: "384MiB" })],
  ["vcpus", (r) => ({ ...r, vcpus: 3 })],
  ["title", (r, i) => ({ ...r, title: `web ${i} (updated)` })],
  ["CD-ROM media", (r) => ({ ...r, disks: [(r["disks"] as Props[])[0], { device: "cdrom", file: "/srv/iso/new.iso" }] })],
  ["autostart", (r) => ({ ...r, autostart: true })],
  ["memory (restart)", (r) => ({ ...r, memory: "2GiB" })],
];

function planRaw(i: number): Props {
  return {
    connection: { uri: URI },
    name: `web-${i}`,
    type: "kvm",
    title: `web ${i}`,
    memory: "1GiB",
    currentMemory: "512MiB",
    vcpus: 2,
    maxVcpus: 4,
    os: { machine: "q35", boot: ["hd", "cdrom"] },
    disks: [{ volume: { pool: "default", volume: `web-${i}.qcow2` } }, { device: "cdrom", file: "/srv/iso/old.iso" }],
    networkInterfaces: [{ network: "default" }, { bridge: "br0", model: "e1000" }],
    graphics: { type: "vnc" },
    serialConsole: { type: "pty" },
    guestAgent: true,
    shutdownTimeout: 0,
  };
}

async function benchPlan(): Promise<void> {
  // Olds are what the state holds (normalised inputs + outputs); news are the next run's checked inputs.
  const cases: { olds: Props; news: Props }[] = [];
  for (let i = 0; i < PLAN_DOMAINS; i++) {
    const raw = planRaw(i);
    const inputs = (await domain.check({}, raw)).inputs;
    const olds: Props = {
      ...inputs,
      uri: URI,
      uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      domainId: i + 1,
      state: "running",
      macs: (inputs["networkInterfaces"] as Props[]).map((n) => n["mac"]),
      graphicsPort: 5900 + i,
      pendingRestart: [],
      actualMemory: 512 * MIB,
      resolvedType: "kvm",
    };
    const checked = await domain.check(olds, CHANGES[i % CHANGES.length]![1](raw, i));
    expect(checked.failures.length === 0, `planning inputs refused: ${JSON.stringify(checked.failures)}`);
    cases.push({ olds, news: checked.inputs });
  }
  const changes = cases.map((c) => plan(domainSpec.inputs, c.olds, c.news).changes.length);
  expect(
    changes.every((n) => n === 1),
    `expected one change per domain, got ${[...new Set(changes)].join("/")}`,
  );

  let sink = 0;
  const planPass = (): number => {
    const t = now();
    for (const c of cases) {
      const p = plan(domainSpec.inputs, c.olds, c.news);
      sink += planDomainOps(p, c.news).live.length;
    }
    return msSince(t) / cases.length;
  };
  const lines: string[] = [];
  const original = report;
  setReporter((l) => lines.push(l)); // describePlan's lines would otherwise be written to stderr (I/O)
  const diffPass = async (): Promise<number> => {
    lines.length = 0;
    const t = now();
    for (const c of cases) sink += (await domain.diff(String(c.olds["uuid"]), c.olds, c.news)).changes ? 1 : 0;
    return msSince(t) / cases.length;
  };
  try {
    const planCold = planPass();
    const diffCold = await diffPass();
    const planMs: number[] = [];
    const diffMs: number[] = [];
    for (let r = 0; r < PLAN_PASSES; r++) {
      planMs.push(planPass());
      diffMs.push(await diffPass());
    }
    console.log(
      `diff planning, ${PLAN_DOMAINS} domains (2 disks, 2 NICs, graphics, console), one change each ` +
        `(${CHANGES.map(([n]) => n).join(", ")} in turn), no I/O:`,
    );
    console.log(
      `  plan + planDomainOps: ${median(planMs).toFixed(4)} ms/domain (median of ${PLAN_PASSES} passes; first pass ${planCold.toFixed(4)} ms/domain)`,
    );
    console.log(
      `  domain.diff (plan + plan text, reporter captured: ${lines.length} lines per pass): ${median(diffMs).toFixed(4)} ms/domain ` +
        `(first pass ${diffCold.toFixed(4)} ms/domain)`,
    );
  } finally {
    setReporter(original);
  }
  if (sink < 0) console.log(sink); // keeps the work observable
}

// ---------------------------------------------------------------------------------------------------------
// 2. Refresh of defined (not started) domains

async function benchRead(): Promise<void> {
  const made: { id: string; outs: Props }[] = [];
  try {
    const inputs = await Promise.all(
      Array.from({ length: READ_DOMAINS }, async (_, i) => {
        const r = await domain.check(
          {},
          { connection: { uri: URI }, name: `${PREFIX}r${i}`, type: ACCEL(), memory: "64MiB", running: false, shutdownTimeout: 0 },
        );
        expect(r.failures.length === 0, `refresh inputs refused: ${JSON.stringify(r.failures)}`);
        return r.inputs;
      }),
    );
    const t = now();
    // Concurrently, each pushed as it is made, so a failure still leaves every made one known for cleanup.
    const results = await Promise.allSettled(inputs.map(async (p) => made.push(await domain.create(p))));
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
    const defineMs = msSince(t);
    expect(ours("r").length === READ_DOMAINS && ours("r", true).length === 0, `expected ${READ_DOMAINS} defined, inactive domains`);

    const counts = new Map<string, number>();
    const original = Connection.prototype.call;
    let counting = false;
    Connection.prototype.call = function <A, R>(this: Connection, proc: Procedure<A, R>, args: A): Promise<R> {
      if (counting) counts.set(proc.name, (counts.get(proc.name) ?? 0) + 1);
      return original.call(this, proc, args) as Promise<R>;
    };
    let seqMs: number;
    let parMs: number;
    try {
      counting = true;
      let t0 = now();
      for (const m of made) {
        const r = await domain.read(m.id, m.outs);
        expect(r.id === m.id && r.props["state"] === "shutoff", `read of ${String(m.outs["name"])}: ${JSON.stringify(r.props["state"])}`);
      }
      seqMs = msSince(t0);
      counting = false;
      t0 = now();
      const all = await Promise.all(made.map((m) => domain.read(m.id, m.outs)));
      parMs = msSince(t0);
      expect(
        all.every((r) => r.props["state"] === "shutoff"),
        "concurrent reads",
      );
    } finally {
      Connection.prototype.call = original;
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const byProc = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([p, n]) => `${p} ${n / READ_DOMAINS}`)
      .join(", ");
    console.log(`refresh, ${READ_DOMAINS} defined (not started) type ${ACCEL()} domains on ${URI} (defined through the provider in ${secs(defineMs)}):`);
    console.log(`  domain.read one at a time: ${secs(seqMs)} total, ${(seqMs / READ_DOMAINS).toFixed(2)} ms/domain`);
    console.log(`  domain.read all ${READ_DOMAINS} at once: ${secs(parMs)} total, ${(parMs / READ_DOMAINS).toFixed(2)} ms/domain`);
    console.log(`  RPC calls per domain: ${(total / READ_DOMAINS).toFixed(1)} (${byProc}; counted at Connection.prototype.call, one-at-a-time pass)`);
  } finally {
    const t = now();
    const deleted = await Promise.allSettled(made.map((m) => domain.delete(m.id, m.outs)));
    const bad = deleted.filter((r) => r.status === "rejected").length;
    console.log(`  undefined ${made.length - bad} through the provider in ${secs(msSince(t))}${bad ? ` (${bad} failed; swept with virsh)` : ""}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 3. A stack of COUNT running domains against a sequential virsh script

type Phase = "apply" | "update" | "destroy";
const PHASES: Phase[] = ["apply", "update", "destroy"];

function runReference(...args: string[]): number {
  const t = now();
  execFileSync("bash", [reference, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  return msSince(t);
}

/** The same XML our provider defines for these inputs (built by its own model), for virsh define. */
async function referenceXml(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const name = `${PREFIX}v${String(i).padStart(3, "0")}`;
    const r = await domain.check(
      {},
      { connection: { uri: URI }, name, type: ACCEL(), memory: "64MiB", currentMemory: "64MiB", vcpus: 1, running: true, shutdownTimeout: 0 },
    );
    writeFileSync(join(dir, `${name}.xml`), buildDomainXml(toModel(r.inputs, ACCEL(), {})));
    names.push(name);
  }
  return names;
}

/** One phase on one side: wall time, and what it was made of. */
interface Timed {
  ms: number;
  detail: string;
}

function virshPhase(phase: Phase, xmlDir: string, names: string[]): Timed {
  let ms: number;
  if (phase === "apply") {
    ms = runReference("apply", URI, xmlDir);
    expect(ours("v", true).length === COUNT, `virsh apply: expected ${COUNT} running domains`);
  } else if (phase === "update") {
    ms = runReference("update", URI, String(UPDATED / 1024), ...names);
    expect(savedMemoryOk(names), "virsh update: saved currentMemory is not 48 MiB");
  } else {
    ms = runReference("destroy", URI, ...names);
    expect(ours("v").length === 0, "virsh destroy: domains left");
  }
  const per = phase === "update" ? 1 : 2;
  return { ms, detail: `${names.length * per} virsh runs, ${(ms / names.length / per).toFixed(0)} ms each` };
}

/** Where an operation's time went: plugin start, program, the span of the resource steps, provider calls. */
function stepsDetail(r: OperationResult, op: string): string {
  const steps = r.steps.filter((s) => s.op === op && s.type !== "pulumi:pulumi:Stack");
  const ms = steps.filter((s) => s.providerMs !== undefined).map((s) => s.providerMs!);
  const span = steps.length ? Math.max(...steps.map((s) => s.startedAt + s.durationMs)) - Math.min(...steps.map((s) => s.startedAt)) : 0;
  const parts = [
    `${steps.length} ${op}s`,
    ...(r.timings.pluginStartMs !== undefined ? [`plugin start ${secs(r.timings.pluginStartMs)}`] : []),
    ...(r.timings.programMs !== undefined ? [`program ${secs(r.timings.programMs)}`] : []),
    `steps span ${secs(span)}`,
    `provider ${op} median ${secs(median(ms.length ? ms : [0]))}, slowest ${secs(Math.max(0, ...ms))}`,
  ];
  return parts.join(", ");
}

async function stackPhase(phase: Phase, stack: (currentMemory: string) => Stack): Promise<Timed> {
  let t = now();
  if (phase === "apply") {
    const r = await stack("64MiB").up();
    const ms = msSince(t);
    expect(ours("p", true).length === COUNT, `stack up: expected ${COUNT} running domains, found ${ours("p", true).length}`);
    return { ms, detail: stepsDetail(r, "create") };
  }
  if (phase === "update") {
    // The same run with nothing to change first: what a Pulumi run costs before any provider work (program and
    // plugin start, Check and Diff of every resource), so the update's own share can be told apart.
    const tn = now();
    const same = await stack("64MiB").up();
    const noopMs = msSince(tn);
    expect(same.steps.filter((s) => s.op === "update").length === 0, "no-op up: updates where nothing changed");
    noop.push(noopMs);
    t = now();
    const r = await stack("48MiB").up();
    const ms = msSince(t);
    expect(savedMemoryOk(ours("p")), "stack update: saved currentMemory is not 48 MiB");
    return { ms, detail: `${stepsDetail(r, "update")}; the same run with no change took ${secs(noopMs)}` };
  }
  const r = await stack("48MiB").destroy();
  const ms = msSince(t);
  expect(ours("p").length === 0, "stack destroy: domains left");
  return { ms, detail: stepsDetail(r, "delete") };
}

const load = () => loadavg()[0]!.toFixed(1);

async function benchStack(work: string): Promise<void> {
  // Warm-up, unmeasured: QEMU's binary and libvirt's capabilities cache are hot for both sides.
  const warm = join(work, "warm");
  mkdirSync(warm);
  const w = await domain.check({}, { connection: { uri: URI }, name: `${PREFIX}warm`, type: ACCEL(), memory: "64MiB", vcpus: 1, running: true });
  writeFileSync(join(warm, `${PREFIX}warm.xml`), buildDomainXml(toModel(w.inputs, ACCEL(), {})));
  runReference("apply", URI, warm);
  runReference("destroy", URI, `${PREFIX}warm`);

  const xmlDir = join(work, "xml");
  const names = await referenceXml(xmlDir);
  let n = 0;
  const stack = (currentMemory: string) =>
    new Stack({
      programDir,
      entry: programEntry,
      stateDir: join(work, `state-${n}`),
      config: { "virt:uri": URI, count: String(COUNT), prefix: `${PREFIX}p`, memory: "64MiB", currentMemory, vcpus: "1", shutdownTimeout: "0" },
    });

  console.log(
    `stack of ${COUNT} type ${ACCEL()} domains (no disk, no OS, ${MEMORY / MIB} MiB, running) on ${URI}: bench/programs/domains through the engine ` +
      `harness, default parallelism (unbounded), vs bench/reference/domains_virsh.sh (sequential, one virsh process per operation)`,
  );
  console.log(
    `  update: currentMemory ${MEMORY / MIB} → ${UPDATED / MIB} MiB (ours: setmem --live --config as one call, no redefinition; virsh: setmem --live --config). ` +
      `destroy: the program sets shutdownTimeout 0 (a guest with no OS never answers ACPI, so delete's graceful ` +
      `shutdown would only wait out the timeout before its force-off); virsh uses destroy (force-off), then undefine`,
  );
  console.log(
    `  each phase runs on both sides back to back (virsh first in odd rounds, ours first in even ones), so both see ` +
      `the same host load; the other side's ${COUNT} domains exist meanwhile. "ours" is the whole operation: program, plugin and steps`,
  );
  const rows: Record<Phase, { v: number; o: number }[]> = { apply: [], update: [], destroy: [] };
  for (let r = 0; r < ROUNDS; r++) {
    n = r;
    for (const p of PHASES) {
      const before = load();
      let v: Timed;
      let o: Timed;
      if (r % 2 === 0) {
        v = virshPhase(p, xmlDir, names);
        o = await stackPhase(p, stack);
      } else {
        o = await stackPhase(p, stack);
        v = virshPhase(p, xmlDir, names);
      }
      rows[p].push({ v: v.ms, o: o.ms });
      console.log(`  round ${r + 1} ${p} (1-min load ${before} → ${load()}):`);
      console.log(`    virsh ${secs(v.ms)} (${v.detail})`);
      console.log(`    ours  ${secs(o.ms)} (${o.detail}); ours/virsh ${(o.ms / v.ms).toFixed(2)}`);
    }
  }
  if (ROUNDS > 1) {
    for (const p of PHASES) {
      console.log(`  ${p} median of ${ROUNDS} rounds: virsh ${secs(median(rows[p].map((x) => x.v)))}, ours ${secs(median(rows[p].map((x) => x.o)))}`);
    }
  }
  updateBeyondNoop = median(rows.update.map((x, i) => Math.max(0, x.o - noop[i]!) / x.v));
  ratios = Object.fromEntries(PHASES.map((p) => [p, median(rows[p].map((x) => x.o / x.v))])) as Record<Phase, number>;
}

let ratios: Record<Phase, number> | undefined;
/** Per round: a no-change `up` of the same stack (Pulumi's fixed cost), measured just before the update. */
const noop: number[] = [];
let updateBeyondNoop: number | undefined;

export async function benchDomains(): Promise<void> {
  try {
    virsh("version");
  } catch {
    throw new Error(`domains bench: libvirtd does not answer on ${URI}; run scripts/ensure-libvirtd.sh as root`);
  }
  const work = mkdtempSync(join(tmpdir(), "pvt-bench-domains-"));
  const onSignal = (sig: NodeJS.Signals) => {
    // The harness SIGKILLs its program and plugin in its own exit hook; this one is added after it, so it runs
    // once they are gone (and any call they had sent has had a moment to land), then removes what is left.
    process.on("exit", () => {
      execFileSync("sleep", ["1"]);
      const left = sweepOwn();
      rmSync(work, { recursive: true, force: true });
      console.error(`domains bench: ${sig}; removed ${left.length} domains of this run`);
    });
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  console.log(`domains bench: ${URI}, objects named ${PREFIX}*, libvirt ${virsh("version", "--daemon").match(/daemon: ([\d.]+)/)?.[1] ?? "?"}`);
  try {
    await benchPlan();
    await benchRead();
    await benchStack(work);
  } finally {
    // A failed stack operation leaves its domains (its state file knows them): the sweep removes what is left.
    const left = sweepOwn();
    if (left.length > 0) console.log(`cleanup: removed ${left.length} domains left by a failure: ${left.join(" ")}`);
    await closeAll();
    rmSync(work, { recursive: true, force: true });
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  if (ratios !== undefined) {
    console.log(`ratio: apply ${ratios.apply.toFixed(2)}`);
    console.log(`ratio: update ${ratios.update.toFixed(2)}`);
    if (updateBeyondNoop !== undefined) console.log(`  (update beyond a no-change run of the same stack, over virsh: ${updateBeyondNoop.toFixed(2)})`);
    console.log(`ratio: destroy ${ratios.destroy.toFixed(2)}`);
  }
}
