/**
 * `npm run bench -- rpc`: our client against the C libvirt client (python3-libvirt) on the same daemon, in the
 * same run, rounds interleaved so both see the same machine load. Prints rates and ratios; asserts nothing.
 *
 * Measured: CONNECT_GET_LIB_VERSION calls/s sequentially (one awaited at a time) for both clients, ours with 16
 * and 64 calls in flight; connection open+close time; RSS of a process holding one idle connection.
 * The closing lines `ratio: sequential <x>` and `ratio: pipelined <x>` are ours over the C client's
 * sequential rate (pipelined = 64 in flight). Each round measures the C client and ours back to back, and the
 * ratios are medians of the per-round ratios, so load that drifts during the run (2 shared cores) cancels out.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Libvirt } from "../provider/libvirt/client";
import { Connection } from "../provider/libvirt/connection";
import { median, PYTHON, requirePythonLibvirt } from "./util";

const URI = process.env.BENCH_URI ?? "test+unix:///default";
const CALLS = Number(process.env.BENCH_CALLS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const reference = join(__dirname, "..", "..", "bench", "reference", "rpc_c.py");

function cClient(...args: string[]): Record<string, number> {
  return JSON.parse(execFileSync(PYTHON, [reference, ...args], { encoding: "utf8" }));
}

async function sequential(lv: Libvirt, n: number): Promise<number> {
  for (let i = 0; i < Math.min(500, n); i++) await lv.host.getLibVersion();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await lv.host.getLibVersion();
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
}

async function pipelined(lv: Libvirt, n: number, depth: number): Promise<number> {
  let left = n;
  const worker = async (): Promise<void> => {
    while (left-- > 0) await lv.host.getLibVersion();
  };
  await Promise.all(Array.from({ length: depth }, worker)); // warm-up at this depth
  left = n;
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: depth }, worker));
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
}

async function openTime(n: number): Promise<number> {
  await (await Connection.open(URI)).close();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await (await Connection.open(URI)).close();
  return Number(process.hrtime.bigint() - t) / 1e6 / n;
}

function idleRss(): number {
  const script = `const { Libvirt } = require(${JSON.stringify(join(__dirname, "..", "provider", "libvirt", "client"))});
Libvirt.connect(${JSON.stringify(URI)}).then(async (lv) => { await lv.host.getLibVersion(); global.gc && global.gc();
  const rss = Number(require("fs").readFileSync("/proc/self/status", "utf8").match(/VmRSS:\\s+(\\d+)/)[1]);
  console.log(JSON.stringify({ rssKiB: rss })); await lv.close(); });`;
  return JSON.parse(execFileSync(process.execPath, ["--expose-gc", "-e", script], { encoding: "utf8" })).rssKiB;
}

export async function benchRpc(): Promise<void> {
  requirePythonLibvirt();
  // The test driver forgets its state when its last connection closes; hold one so every round sees the same.
  const anchor = await Libvirt.connect(URI);
  const lv = await Libvirt.connect(URI);
  console.log(`rpc bench: ${URI}, ${CALLS} CONNECT_GET_LIB_VERSION calls per measure, ${ROUNDS} rounds, daemon libvirt ${await lv.host.getLibVersion()}`);
  const rows: Record<string, number[]> = { c: [], seq: [], p16: [], p64: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rows.c!.push(cClient("seq", URI, String(CALLS)).callsPerSec!);
    rows.seq!.push(await sequential(lv, CALLS));
    rows.p16!.push(await pipelined(lv, CALLS, 16));
    rows.p64!.push(await pipelined(lv, CALLS, 64));
    console.log(
      `  round ${r + 1}: C seq ${rows.c!.at(-1)!.toFixed(0)}/s  ours seq ${rows.seq!.at(-1)!.toFixed(0)}/s` +
        `  ours 16 in flight ${rows.p16!.at(-1)!.toFixed(0)}/s  ours 64 in flight ${rows.p64!.at(-1)!.toFixed(0)}/s`,
    );
  }
  const c = median(rows.c!);
  const m = { seq: median(rows.seq!), p16: median(rows.p16!), p64: median(rows.p64!) };
  const paired = (xs: number[]) => median(xs.map((x, i) => x / rows.c![i]!));
  console.log(
    `median calls/s: C sequential ${c.toFixed(0)}, ours sequential ${m.seq.toFixed(0)}, 16 in flight ${m.p16.toFixed(0)}, 64 in flight ${m.p64.toFixed(0)}`,
  );
  console.log(`ratio 16 in flight / C sequential: ${paired(rows.p16!).toFixed(2)}`);

  const oursOpen = await openTime(200);
  const cOpen = cClient("open", URI, "200").ms!;
  console.log(`connection open+close: ours ${oursOpen.toFixed(2)} ms, C ${cOpen.toFixed(2)} ms (ratio ${(oursOpen / cOpen).toFixed(2)}, lower is better)`);
  const rssOurs = idleRss();
  const rssC = cClient("idle", URI).rssKiB!;
  console.log(`RSS holding one idle connection: ours (node) ${(rssOurs / 1024).toFixed(1)} MiB, C (python3) ${(rssC / 1024).toFixed(1)} MiB`);

  await lv.close();
  await anchor.close();
  console.log(`ratio: sequential ${paired(rows.seq!).toFixed(2)}`);
  console.log(`ratio: pipelined ${paired(rows.p64!).toFixed(2)}`);
}
