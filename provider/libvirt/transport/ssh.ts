import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { Duplex } from "node:stream";
import { TransportError } from "../errors";
import type { ExtTarget, SshTarget, Transport } from "./types";

/**
 * libvirt's `proxy=` parameter: what runs on the far side of ssh. `auto` runs `virt-ssh-helper` when the remote
 * host has it and falls back to `nc -U`; `native` runs only virt-ssh-helper; `netcat` only nc.
 */
export type SshProxy = "auto" | "netcat" | "native";

/** Everything the `ssh` command line depends on, already decoded from the URI. */
export interface SshCommandInput {
  host: string;
  /** Passed as `-p` only when the URI names a port (ssh's own default, or ~/.ssh/config, applies otherwise). */
  port?: number | undefined;
  user?: string | undefined;
  /** `keyfile=`: passed to `-i` verbatim (ssh expands `~`). */
  keyfile?: string | undefined;
  /** `command=`: the program run instead of `ssh`. */
  command?: string | undefined;
  /** `no_tty=1`: `-o BatchMode=yes` (never prompt). */
  noTty: boolean;
  /** `no_verify=1`: `-o StrictHostKeyChecking=no`. */
  noVerify: boolean;
  proxy: SshProxy;
  /** `netcat=`: the remote nc program. Default `nc`. */
  netcat?: string | undefined;
  /** `socket=`: the remote socket for nc; giving one makes `proxy=auto` use nc only, as libvirt does. */
  socket?: string | undefined;
  readOnly: boolean;
  /** The driver URI virt-ssh-helper opens on the remote host (the target's `openUri`). */
  driverUri: string;
  /** `-o ConnectTimeout=` in seconds (ours: libvirt passes none, and a host that never answers hangs ssh). */
  connectTimeoutSec?: number | undefined;
}

/** The remote socket nc connects to when `socket=` is not given (libvirt's remote legacy socket path). */
export const REMOTE_SOCKET = "/var/run/libvirt/libvirt-sock";

/**
 * Builds the command line libvirt 9.0 runs for `+ssh` URIs (captured from virsh, doc §8.3):
 *
 * `ssh [-p PORT] [-l USER] [-i KEYFILE] -T -e none [-o BatchMode=yes] [-o StrictHostKeyChecking=no] -- HOST REMOTE`,
 * plus, where libvirt has none, `-o ConnectTimeout=SECONDS` before `--` (the URI's `connect_timeout=`, default 30).
 *
 * `REMOTE` is one argument, a command for the remote login shell; see {@link remoteCommand}. The program is
 * run directly (never through a local shell), so every other value is a plain argv element.
 */
export function buildSshCommand(input: SshCommandInput): { command: string; args: string[] } {
  const args: string[] = [];
  if (input.port !== undefined) args.push("-p", String(input.port));
  if (input.user !== undefined) args.push("-l", input.user);
  if (input.keyfile !== undefined) args.push("-i", input.keyfile);
  args.push("-T", "-e", "none");
  if (input.noTty) args.push("-o", "BatchMode=yes");
  if (input.noVerify) args.push("-o", "StrictHostKeyChecking=no");
  if (input.connectTimeoutSec !== undefined) args.push("-o", `ConnectTimeout=${input.connectTimeoutSec}`);
  // "--" ends ssh's options, so a host can never be read as one (we refuse hosts starting with "-" as well).
  args.push("--", input.host, remoteCommand(input));
  return { command: input.command ?? "ssh", args };
}

/**
 * The remote command, byte for byte as libvirt 9.0 writes it when the values need no quoting (including its
 * odd spacing), for example with proxy=auto:
 *
 * ```
 * sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper 'qemu:///system'; else    if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'
 * ```
 *
 * It is parsed twice: first by the remote login shell (ssh hands it to `$SHELL -c`), which yields the words
 * `sh`, `-c` and SCRIPT; then `sh` parses SCRIPT. A value V must therefore be quoted for the inner shell, and
 * that quoted text quoted again for the outer one:
 * - where the template writes `'%s'` (the URI, the nc program), the quotes end and restart the outer quoting,
 *   so the value sits unquoted at the outer level: it is written as q(q(V)), which the outer shell turns into
 *   q(V), which `sh` turns into V. libvirt does the same with its `virBufferEscapeShell`.
 * - the socket path sits inside the outer single quotes (libvirt inserts it raw there, which breaks on a quote;
 *   we do not): it is written as q(V) with every `'` turned into `'\''`.
 * q leaves a value made only of safe characters as it is — which keeps the common case identical to libvirt's
 * — and single-quotes anything else.
 */
export function remoteCommand(input: SshCommandInput): string {
  const proxy = input.proxy === "auto" && input.socket !== undefined ? "netcat" : input.proxy;
  const socket = input.socket ?? (input.readOnly ? `${REMOTE_SOCKET}-ro` : REMOTE_SOCKET);
  const nc = `'${shellQuote(shellQuote(input.netcat ?? "nc"))}'`;
  const helper = `virt-ssh-helper ${input.readOnly ? "-r " : ""}'${shellQuote(shellQuote(input.driverUri))}'`;
  const netcat =
    `if ${nc} -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` + `${nc} $ARG -U ${insideSingleQuotes(shellQuote(socket))}`;
  switch (proxy) {
    case "native":
      return `sh -c '${helper}'`;
    case "netcat":
      return `sh -c '${netcat}'`;
    case "auto":
      return `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     ${helper}; else    ${netcat}; fi'`;
  }
}

// Characters that mean nothing to a POSIX shell anywhere in a word. "=" is left out (a first word holding it
// is an assignment), so is "~" (expanded at the start of a word).
const SHELL_SAFE = /^[A-Za-z0-9_.,:/@%+-]+$/;

/**
 * Quotes `value` as one word for a POSIX shell: unchanged when it holds only safe characters, otherwise in
 * single quotes with each `'` written `'\''` (inside single quotes nothing else is special).
 */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Text to place inside an already open single-quoted string so that it reads back as `text`. */
function insideSingleQuotes(text: string): string {
  return text.replace(/'/g, `'\\''`);
}

/** How much of the program's stderr is kept to explain a failure. */
const STDERR_TAIL_BYTES = 4096;

/**
 * Runs `ssh` (or `command=`) with the target's argv and speaks RPC over its stdin/stdout. No local shell is
 * involved. The channel is ready as soon as the program has started: whether ssh logged in and the remote
 * proxy reached a daemon shows in the first RPC's answer (the connection's AUTH_LIST), so there is nothing to
 * wait for here — no sleep.
 */
export function dialSsh(target: SshTarget): Promise<Transport> {
  const who = target.host;
  return spawnTransport(target.command, target.args, `ssh to ${who} (${target.command})`, target.uri, {
    notFound: target.command === "ssh" ? "install the OpenSSH client (apt-get install openssh-client)" : "check command=",
  });
}

/** `ext`: runs `command=` with no arguments and speaks RPC over its stdio. */
export function dialExt(target: ExtTarget): Promise<Transport> {
  return spawnTransport(target.command, target.args, `command ${target.command}`, target.uri, { notFound: "check command=" });
}

function spawnTransport(command: string, args: string[], description: string, uri: string, hints: { notFound: string }): Promise<Transport> {
  return new Promise<Transport>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const onSpawnError = (err: NodeJS.ErrnoException): void => {
      child.removeListener("spawn", onSpawn);
      reject(
        new TransportError(
          err.code === "ENOENT"
            ? `cannot reach ${uri}: the program "${command}" was not found (ENOENT); ${hints.notFound}`
            : `cannot reach ${uri}: starting "${command}" failed: ${err.message}`,
          { cause: err },
        ),
      );
    };
    const onSpawn = (): void => {
      child.removeListener("error", onSpawnError);
      const stream = new ChildProcessDuplex(child, description, uri);
      resolve({ stream, description, diagnostics: () => stream.stderrTail() });
    };
    child.once("error", onSpawnError);
    child.once("spawn", onSpawn);
  });
}

/**
 * A child process's stdout (readable side) and stdin (writable side) as one Duplex.
 *
 * - Backpressure is passed through both ways.
 * - The end of the readable side is only signalled once the child has exited: a clean exit (status 0, e.g. the
 *   remote helper after the daemon closed the connection), or any exit after we ended the writable side, ends
 *   the stream normally; any other exit destroys it with a `TransportError` holding the stderr tail, so the
 *   reader sees why rather than a bare EOF.
 * - Destroying the stream kills the child.
 */
class ChildProcessDuplex extends Duplex {
  private readonly stderrChunks: Buffer[] = [];
  private stderrBytes = 0;
  private exited = false;
  private stdinClosed = false;

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly what: string,
    private readonly uri: string,
  ) {
    super();
    child.stdout.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.on("data", (chunk: Buffer) => this.keepStderr(chunk));
    // Writing to a child that has gone away raises EPIPE; the exit handler below reports the real reason.
    child.stdin.on("error", () => undefined);
    child.on("error", (err) => this.destroy(new TransportError(`${this.what} failed: ${err.message}`, { cause: err })));
    child.on("close", (code, signal) => this.onChildClose(code, signal));
  }

  /** The last few KiB the program wrote to stderr, decoded as UTF-8. */
  stderrTail(): string {
    return Buffer.concat(this.stderrChunks).toString("utf8");
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.exited) {
      callback(new TransportError(`${this.what} has exited; cannot send to ${this.uri}`, { stderr: this.stderrTail() }));
      return;
    }
    // Errors (EPIPE) are left to the exit handler, which knows the exit status and stderr.
    this.child.stdin.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Closing stdin is how the remote helper (virt-ssh-helper, nc) learns we are done; both then exit 0.
    this.stdinClosed = true;
    if (this.exited) callback();
    else this.child.stdin.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.exited && this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    callback(error);
  }

  private keepStderr(chunk: Buffer): void {
    this.stderrChunks.push(chunk);
    this.stderrBytes += chunk.length;
    while (this.stderrBytes - this.stderrChunks[0]!.length >= STDERR_TAIL_BYTES) {
      this.stderrBytes -= this.stderrChunks.shift()!.length;
    }
    if (this.stderrBytes > STDERR_TAIL_BYTES) {
      const first = this.stderrChunks[0]!;
      const cut = this.stderrBytes - STDERR_TAIL_BYTES;
      this.stderrChunks[0] = first.subarray(cut);
      this.stderrBytes -= cut;
    }
  }

  private onChildClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    if (this.destroyed) return;
    // Once we have closed its stdin, how the program ends says nothing about the connection: virt-ssh-helper,
    // for one, exits 1 ("EOF on stdin") when the client hangs up without CONNECT_CLOSE.
    if (code === 0 || this.stdinClosed) {
      this.push(null);
      return;
    }
    const tail = this.stderrTail().trim();
    const how = code !== null ? `exited with status ${code}` : `was killed by ${signal ?? "a signal"}`;
    this.destroy(new TransportError(`${this.what} ${how} (${this.uri})${tail === "" ? "" : `: ${tail}`}`, { stderr: tail }));
  }
}
