import { execFileSync } from "node:child_process";

/** What the Xen test guest (test/xen-host/guest/init) reports in its latest `XENGUEST: state` line. */
export interface GuestState {
  seq: number;
  disks: string[];
  nics: string[];
  /** MemTotal in kB. */
  memoryKb: number;
  cpus: number;
}

const STATE_LINE = /XENGUEST: state seq=(\d+) disks=(\S*) nics=(\S*) memory=(\d+) cpus=(\d+)/g;

/** Every `XENGUEST: state` line in console output, oldest first. */
export function parseStates(text: string): GuestState[] {
  const list = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(","));
  return [...text.matchAll(STATE_LINE)].map((m) => ({
    seq: Number(m[1]),
    disks: list(m[2]),
    nics: list(m[3]),
    memoryKb: Number(m[4]),
    cpus: Number(m[5]),
  }));
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The domain's console output for `seconds`, read with `virsh console --force` over the URI: the same stream any
 * libvirt client gets, so this works against any Xen host. virsh insists on a terminal, hence `script`; `timeout`
 * ends the capture (and virsh with it). The first bytes may be a backlog that xenconsoled kept while nobody was
 * attached, so callers look at the *last* state line, which the guest repeats every 2 s.
 */
export function readConsole(uri: string, domain: string, seconds = 7): string {
  const cmd = `virsh -c ${shellQuote(uri)} console ${shellQuote(domain)} --force`;
  try {
    return execFileSync("timeout", ["-k", "3", String(seconds), "script", "-q", "-f", "-c", cmd, "/dev/null"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    }).replace(/\r/g, "");
  } catch (e) {
    // timeout's exit status 124 is the normal end of a capture; its output is on the error.
    const out = (e as { stdout?: string }).stdout;
    if (typeof out === "string") return out.replace(/\r/g, "");
    throw e;
  }
}

/**
 * Reads the console until the guest's latest state satisfies `ok` (or `timeoutMs` passes: then it throws with
 * the last state seen and the tail of the console). Returns that state and all text read.
 */
export async function waitForGuest(
  uri: string,
  domain: string,
  what: string,
  ok: (s: GuestState) => boolean,
  timeoutMs = 120000,
): Promise<{ state: GuestState; text: string }> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  let last: GuestState | undefined;
  for (;;) {
    const chunk = readConsole(uri, domain);
    text += chunk;
    const states = parseStates(chunk);
    last = states[states.length - 1] ?? last;
    if (last !== undefined && ok(last)) return { state: last, text };
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for the guest ${domain} to report ${what}; last state: ${JSON.stringify(last)}; ` +
          `console tail:\n${text.split("\n").slice(-15).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
