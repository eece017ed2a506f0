/**
 * The demo's main part (run by scripts/demo.js once the host is set up and the project built): examples/lab
 * brought up with the real test guest, shown, changed live, and torn down — with everything it made removed even
 * on failure or Ctrl-C. The engine is the real `pulumi` when there is one (on PATH, or cached by
 * scripts/pulumi-cli.sh; the demo never builds it), else the engine harness (tools/harness).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatStep, Stack } from "../tools/harness";
import type { Diagnostic, Step } from "../tools/harness";
import { guestFacts, GuestFiles, makeBaseImage, waitForSerial } from "../tools/guest/guest";
import { virsh } from "../tools/support/host";
import { CliProject, CliWorkspace, locateCli } from "../tools/support/pulumi-cli";
import { describeLeftovers, findLeftovers, isClean, type Leftovers, removeLeftovers } from "../tools/support/leftovers";
import { freeSubnet } from "../tools/support/subnet";

const URI = "qemu:///system";
const MACHINES = 3;
/** The machine whose memory the demo grows. */
const GROWN = 1;

interface Machine {
  name: string;
  hostname: string;
  ip: string;
  mac: string;
  domainId: number;
  type: string;
  instanceId: string;
  serialLog: string;
}

const t0 = Date.now();
const clock = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s`;
const say = (line = "") => console.log(line);
const heading = (text: string) => say(`\n${clock()}  == ${text}`);

/** Thrown into the running phase when the user presses Ctrl-C (or the process gets SIGTERM). */
export class Interrupted extends Error {
  override name = "Interrupted";
}

/** What one run of the demo works with. */
interface Demo {
  root: string;
  prefix: string;
  /** The temp folder: pool, serial logs, state. */
  dir: string;
  guest: GuestFiles;
  subnet: number;
  /** The stack's config; the live change sets `grow`. */
  config: Record<string, string>;
  serialLogs: string[];
  /** A fresh engine on the stack (the real CLI, else the harness). */
  stack: () => Engine;
}

export async function runDemo(root: string, guestDir: string): Promise<void> {
  const demo = await prepare(root, guestDir);
  const { phase, dispose } = interruptible(demo);
  say(`pulumi-virt demo: examples/lab on ${URI}, objects named ${demo.prefix}-…, files in ${demo.dir}`);
  say(`test guest: Debian kernel ${demo.guest.kernelVersion} + busybox initramfs (${demo.guest.dir})`);
  let failure: unknown;
  try {
    await phase(bringUp(demo));
    await phase(growLive(demo));
    heading("destroy");
    const d = await phase(demo.stack().destroy());
    say(`${clock()}  destroy: ${count(d)} resources deleted in ${(d.durationMs / 1000).toFixed(1)} s`);
  } catch (e) {
    failure = e;
  }
  const left = await cleanUp(demo, failure);
  dispose();
  if (!isClean(left)) throw new Error(`could not remove:\n${describeLeftovers(left)}`);
  if (failure !== undefined) throw failure;
  say(`\n${clock()}  done: a lab of ${MACHINES} machines brought up, changed live and torn down; nothing left.`);
}

/** The temp folder, the guest, a free subnet, the stack config and the engine. */
async function prepare(root: string, guestDir: string): Promise<Demo> {
  const prefix = `demo-${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "pulumi-virt-demo-"));
  chmodSync(dir, 0o755); // QEMU runs as libvirt-qemu: it must reach the pool and write the serial logs here
  const guest: GuestFiles = {
    dir: guestDir,
    kernel: join(guestDir, "vmlinuz"),
    initrd: join(guestDir, "initrd.gz"),
    kernelVersion: readFileSync(join(guestDir, "kernel-version"), "utf8").trim(),
  };
  const subnet = freeSubnet();
  const config: Record<string, string> = {
    "virt:uri": URI,
    prefix,
    machines: String(MACHINES),
    poolPath: join(dir, "images"),
    logDir: dir,
    subnet: String(subnet),
    kernel: guest.kernel,
    initrd: guest.initrd,
    baseImage: makeBaseImage(join(dir, "base.qcow2"), guest),
  };
  const serialLogs = Array.from({ length: MACHINES }, (_, i) => join(dir, `${prefix}-${i}.serial.log`));
  const demo: Demo = { root, prefix, dir, guest, subnet, config, serialLogs, stack: () => harnessEngine(demo) };
  const cliDir = findPulumi();
  if (cliDir === null) {
    say("engine: the engine harness (tools/harness): no pulumi on PATH and none cached by scripts/pulumi-cli.sh (bash scripts/pulumi-cli.sh builds one)");
    return demo;
  }
  const version = execFileSync(join(cliDir, "pulumi"), ["version"], { encoding: "utf8" }).trim();
  say(`engine: the real Pulumi CLI, ${join(cliDir, "pulumi")} (${version}), file:// backend in a temp folder`);
  say("        project folder as `pulumi new typescript` lays it out, examples/lab/index.ts as written, this package from `npm pack`");
  const cli = await CliWorkspace.get(cliDir).project("lab", join(root, "examples", "lab", "index.ts"), join(root, "examples", "lab", "Pulumi.yaml"));
  cli.onOutput = cliLines((line) => say(`${clock()}    | ${line}`));
  demo.stack = () => cliEngine(cli, config);
  return demo;
}

function harnessEngine(demo: Demo): Engine {
  return new Stack({
    programDir: join(demo.root, "examples", "lab"),
    entry: join(demo.root, "dist", "examples", "lab", "index.js"),
    stateDir: join(demo.dir, "state"),
    config: { ...demo.config },
    onStep: showStep,
    onDiagnostic: showDiagnostic,
  });
}

/**
 * Ctrl-C: the harness's program and plugin get the signal too and stop; the running phase is abandoned and the
 * cleanup runs. A third Ctrl-C leaves at once. `phase` races a step against the interruption.
 */
function interruptible(demo: Demo): { phase: <T>(p: Promise<T>) => Promise<T>; dispose: () => void } {
  let interrupts = 0;
  let interrupt: (e: Interrupted) => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
  interrupted.catch(() => undefined);
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      say(`\n${clock()}  ${sig}: stopping, then removing everything named ${demo.prefix}-… (Ctrl-C twice more to leave without cleaning up)`);
      interrupt(new Interrupted(`interrupted (${sig})`));
    } else if (interrupts === 2) say(`${clock()}  still cleaning up; Ctrl-C once more to leave now`);
    else {
      say(`leaving without cleanup: remove what is named ${demo.prefix}-… with virsh, and ${demo.dir}`);
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    phase: (p) => Promise.race([p, interrupted]),
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** Always: whatever the stack still holds, then anything named with the prefix, checked with virsh. Returns what is left. */
async function cleanUp(demo: Demo, failure: unknown): Promise<Leftovers> {
  const { prefix, dir } = demo;
  if (failure !== undefined) {
    heading(`cleaning up after: ${failure instanceof Error ? failure.message.split("\n")[0] : String(failure)}`);
    await demo
      .stack()
      .destroy()
      .catch((e: Error) => say(`${clock()}  destroy through the stack failed (${e.message.split("\n")[0]}); removing with virsh`));
  }
  // E.g. a domain whose create was cut short by Ctrl-C: defined on the host, never recorded in the stack.
  const stray = findLeftovers(URI, prefix);
  if (!isClean(stray)) say(`${clock()}  removing with virsh what the stack did not hold:\n${indent(describeLeftovers(stray))}`);
  const left = removeLeftovers(URI, prefix);
  heading("what is left (virsh)");
  for (const args of [
    ["list", "--all", "--name"],
    ["net-list", "--all", "--name"],
    ["pool-list", "--all", "--name"],
  ]) {
    const mine = virsh(URI, ...args)
      .split("\n")
      .filter((n) => n.startsWith(prefix));
    say(`  virsh ${args.join(" ")} | grep ${prefix}: ${mine.length === 0 ? "(none)" : mine.join(", ")}`);
  }
  rmSync(dir, { recursive: true, force: true });
  say(`  ${dir}: ${existsSync(dir) ? "still there" : "removed"}`);
  return left;
}

/** up, then the machines as the stack, libvirt and each guest see them. */
async function bringUp(demo: Demo): Promise<void> {
  const { prefix } = demo;
  heading(`up: network ${prefix}-net (10.213.${demo.subnet}.0/24, DHCP), pool, base image, ${MACHINES} machines (copy-on-write disk + cloud-init seed each)`);
  say("       the machines boot under QEMU TCG and report on their serial consoles; the create ends when each has a DHCP lease");
  const stopTail = tailSerials(demo.serialLogs);
  let r: Run;
  try {
    r = await demo.stack().up();
  } finally {
    stopTail();
  }
  say(`${clock()}  up: ${count(r)} resources created in ${(r.durationMs / 1000).toFixed(1)} s`);

  heading("the machines (stack outputs), their leases (virsh net-dhcp-leases) and what each guest reported from cloud-init");
  const machines = r.outputs["machines"] as unknown as Machine[];
  // libvirt sees a lease as dnsmasq hands it out; the guest reports it a moment later, once applied.
  for (const m of machines) await waitForSerial(m.serialLog, /^GUEST: lease /, 60000).catch(() => undefined);
  const leases = virsh(URI, "net-dhcp-leases", `${prefix}-net`).split("\n");
  for (const m of machines) showMachine(m, leases);
}

function showMachine(m: Machine, leases: string[]): void {
  const lease =
    leases
      .find((l) => l.includes(m.mac))
      ?.trim()
      .split(/\s+/) ?? [];
  say(`  ${m.name.padEnd(16)} ip ${m.ip.padEnd(15)} mac ${m.mac}  domain id ${m.domainId}  type ${m.type}`);
  say(`  ${"".padEnd(16)} lease: ${lease[4] ?? "?"} for host name ${lease[5] ?? "?"}`);
  const facts = guestFacts(m.serialLog);
  const cidata = facts.find((f) => f.startsWith("cidata ")) ?? "(no cidata line)";
  say(`  ${"".padEnd(16)} serial: ${cidata}  (seed instance-id ${m.instanceId}, host name ${m.hostname})`);
  say(
    `  ${"".padEnd(16)} serial: ${["disks", "nics", "memory", "lease"].map((k) => facts.filter((f) => f.startsWith(`${k} `)).pop() ?? `${k} ?`).join(" | ")}`,
  );
}

/** One machine's memory grown live: the same domain id and QEMU process before and after, the guest sees more. */
async function growLive(demo: Demo): Promise<void> {
  const name = `${demo.prefix}-${GROWN}`;
  const log = demo.serialLogs[GROWN]!;
  const pid = () => readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();
  const memory = () =>
    guestFacts(log)
      .filter((f) => f.startsWith("memory "))
      .pop()
      ?.split(" ")[1] ?? "?";
  const before = { id: virsh(URI, "domid", name), pid: pid(), guest: memory(), actual: balloon(name) };
  heading(`live change: ${name}'s memory balloon 192 MiB → 256 MiB (config grow=${GROWN})`);
  say(`  before: domain id ${before.id}, QEMU pid ${before.pid}, balloon ${before.actual} KiB, guest MemTotal ${before.guest} kB`);
  const fromLine = readFileSync(log, "latin1").split("\n").length - 1;
  demo.config["grow"] = String(GROWN);
  const r = await demo.stack().up();
  const changed = r.steps.filter((s) => s.op !== "same").map((s) => `${s.name} ${s.op}`);
  say(`${clock()}  up: ${changed.join(", ") || "nothing changed"}; ${r.steps.filter((s) => s.op === "same").length} unchanged`);
  const grown = await waitForSerial(log, /^GUEST: memory (\d+)$/, 180000, fromLine);
  const after = { id: virsh(URI, "domid", name), pid: pid(), guest: grown[1], actual: balloon(name) };
  say(`  after:  domain id ${after.id}, QEMU pid ${after.pid}, balloon ${after.actual} KiB, guest MemTotal ${after.guest} kB`);
  const same = after.id === before.id && after.pid === before.pid;
  say(
    `  ${same ? "no reboot: the same domain id and the same QEMU process" : "THE DOMAIN RESTARTED"}; the guest saw its memory grow by ${Number(after.guest) - Number(before.guest)} kB`,
  );
  if (!same) throw new Error(`${name} restarted during a live memory change`);
}

/** What the demo needs of an engine: the harness's Stack, or the real CLI through cliEngine. */
interface Engine {
  up(): Promise<Run>;
  destroy(): Promise<Run>;
}
interface Run {
  steps: { name: string; op: string; type: string }[];
  outputs: Record<string, unknown>;
  durationMs: number;
}

/** The folder of a real `pulumi`: on PATH, else the one scripts/pulumi-cli.sh cached; null when there is none. */
function findPulumi(): string | null {
  for (const d of (process.env["PATH"] ?? "").split(":")) {
    if (d !== "" && existsSync(join(d, "pulumi"))) return d;
  }
  return locateCli();
}

function cliEngine(p: CliProject, config: Record<string, string>): Engine {
  const run = async (op: () => Promise<{ steps: { name: string; op: string; type: string }[] }>): Promise<Run> => {
    Object.assign(p.config, config);
    const started = Date.now();
    const r = await op();
    const shown = p.onOutput;
    p.onOutput = undefined; // the outputs' JSON is for the demo, not for the screen
    const outputs = await p.outputs().catch(() => ({}));
    p.onOutput = shown;
    return { steps: r.steps.filter((s) => !s.type.startsWith("pulumi:providers:")), outputs, durationMs: Date.now() - started };
  };
  return { up: () => run(() => p.up()), destroy: () => run(() => p.destroy()) };
}

/** The CLI's output as whole lines, without its progress dots ("@ updating....") and blank lines. */
function cliLines(show: (line: string) => void): (text: string) => void {
  let partial = "";
  return (text) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.trim() !== "" && !/^@ \w+\.*$/.test(l.trim())) show(l.trimEnd());
  };
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");

/** Resources an operation touched (the stack itself left out). */
function count(r: Run): number {
  return r.steps.filter((s) => s.type !== "pulumi:pulumi:Stack").length;
}

/** The balloon's current size from libvirt (`virsh dommemstat`: actual, KiB). */
function balloon(name: string): string {
  return /^actual (\d+)$/m.exec(virsh(URI, "dommemstat", name))?.[1] ?? "?";
}

function showStep(step: Step): void {
  if (step.type === "pulumi:pulumi:Stack" || step.op === "same") return;
  say(`${clock()}  ${formatStep(step)}`);
}

/** The provider's lines (what each change does: "ballooned live", "media changed live"); errors from the program. */
function showDiagnostic(d: Diagnostic): void {
  const text = d.text.trim();
  if (text === "") return;
  if (d.source === "plugin") say(`${clock()}    | ${text}`);
  else if (d.source === "program" && d.stream === "stderr") say(`${clock()}    | program: ${text.split("\n")[0]}`);
}

/** Prints each new `GUEST:` line of the serial logs while a phase runs (the guests' boot, live). */
function tailSerials(paths: string[]): () => void {
  const seen = paths.map(() => 0);
  const poll = () => {
    for (const [i, p] of paths.entries()) {
      const facts = guestFacts(p);
      for (const f of facts.slice(seen[i])) {
        if (/^(cidata|lease|ready) /.test(f)) say(`${clock()}    ~ ${p.replace(/^.*\/(.*)\.serial\.log$/, "$1")} serial: ${f}`);
      }
      seen[i] = facts.length;
    }
  };
  const timer = setInterval(poll, 500);
  return () => {
    clearInterval(timer);
    poll();
  };
}
