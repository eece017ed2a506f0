import { AuthType, ConnectFlags, DriverFeature } from "./constants";
import { AuthError, ConnectionClosedError, TimeoutError, TransportError, VirtError } from "./errors";
import { Proc, Procedure } from "./protocol/procedures";
import { EventHandler, RpcSession } from "./rpc/session";
import type { RpcStream } from "./rpc/stream";
import { dial as defaultDial, parseUri } from "./transport";
import { DEFAULT_LIMITS, type Target, type Transport } from "./transport/types";

export interface ConnectionOptions {
  /** Open with VIR_CONNECT_RO: every write call is refused by the daemon. */
  readOnly?: boolean;
  /**
   * Limit for reaching the daemon and finishing the handshake, in ms, for every transport (default 30000). The
   * URI's `connect_timeout=SECONDS` wins over this.
   */
  connectTimeoutMs?: number;
  /** After this long without a byte from the daemon, send a keepalive PING, in ms (default 5000; URI `keepalive_interval=SECONDS` wins). */
  keepaliveIntervalMs?: number;
  /** The daemon counts as dead after `keepaliveIntervalMs × (keepaliveCount + 1)` of silence (default 5; URI `keepalive_count=` wins). */
  keepaliveCount?: number;
  /** Replaces the transport (tests use a fake daemon on a duplex pair). */
  dial?: (target: Target) => Promise<Transport>;
}

/** What the daemon told us about itself at open time. */
export interface DaemonFeatures {
  /** The daemon pings us (we asked for PROGRAM_KEEPALIVE) and we answer. */
  keepalive: boolean;
  /** NETWORK_UPDATE takes command and section in declared order (feature 16); false means swap them. */
  networkUpdateCorrectOrder: boolean;
}

/**
 * One libvirt connection: a transport, the handshake (AUTH_LIST, then polkit if asked, then CONNECT_OPEN) and an
 * RPC session. Open once and reuse: any number of calls may be in flight.
 *
 * When the channel drops (daemon restarted, tunnel died) every pending call fails with `ConnectionClosedError`;
 * the next call dials again and repeats the handshake, and event subscriptions are registered anew. Only
 * `close()` ends the connection for good.
 *
 * Bounds (defaults in `DEFAULT_LIMITS`, changed by URI parameters or options): dialling plus the handshake must
 * finish within the connect timeout, or the attempt fails with a `TransportError` naming the host and what to
 * check. Once open, we send keepalive PINGs when the daemon has been silent for an interval (if it supports the
 * keepalive program); after `interval × (count + 1)` of silence the channel is dropped and every pending call
 * and stream fails with a `ConnectionClosedError` whose cause is a `TimeoutError`.
 */
export class Connection {
  readonly uri: string;
  readonly target: Target;
  private session: RpcSession | null = null;
  private transport: Transport | null = null;
  private opening: Promise<RpcSession> | null = null;
  private closed = false;
  private readonly dialer: (target: Target) => Promise<Transport>;
  private readonly connectTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;
  private readonly keepaliveCount: number;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private readonly eventHandlers = new Set<EventHandler>();
  private readonly reopenHooks = new Set<() => Promise<void>>();
  private _features: DaemonFeatures = { keepalive: false, networkUpdateCorrectOrder: true };
  /** How many times the handshake completed (1 after open; more after reconnects). */
  generation = 0;

  constructor(uri: string, options: ConnectionOptions = {}) {
    this.uri = uri;
    this.target = parseUri(uri, { readOnly: options.readOnly === true });
    const limits = this.target.limits ?? {};
    this.connectTimeoutMs = limits.connectTimeoutMs ?? options.connectTimeoutMs ?? DEFAULT_LIMITS.connectTimeoutMs;
    this.keepaliveIntervalMs = limits.keepaliveIntervalMs ?? options.keepaliveIntervalMs ?? DEFAULT_LIMITS.keepaliveIntervalMs;
    this.keepaliveCount = limits.keepaliveCount ?? options.keepaliveCount ?? DEFAULT_LIMITS.keepaliveCount;
    this.dialer = options.dial ?? ((t) => defaultDial(t, { timeoutMs: this.connectTimeoutMs }));
  }

  /** Opens a connection and completes the handshake. */
  static async open(uri: string, options?: ConnectionOptions): Promise<Connection> {
    const c = new Connection(uri, options);
    await c.ensureOpen();
    return c;
  }

  get features(): DaemonFeatures {
    return this._features;
  }

  /** Where the connection goes, for messages (`unix socket /run/libvirt/libvirt-sock`). */
  get description(): string {
    return this.transport?.description ?? this.target.transport;
  }

  /** Calls a procedure; opens (or reopens) the connection first when needed. */
  call<A, R>(proc: Procedure<A, R>, args: A): Promise<R> {
    const s = this.session;
    if (s !== null && !s.closed) return s.call(proc, args);
    return this.ensureOpen().then((session) => session.call(proc, args));
  }

  /** Opens a stream call (volume upload/download). */
  async openStream<A>(proc: Procedure<A, void>, args: A): Promise<RpcStream> {
    const s = this.session !== null && !this.session.closed ? this.session : await this.ensureOpen();
    return s.openStream(proc, args);
  }

  /** Receives every event message (the events module decodes and routes them). */
  addEventHandler(h: EventHandler): void {
    this.eventHandlers.add(h);
  }

  /** Runs after every re-open (not the first open): the events module re-registers its callbacks here. */
  onReopen(hook: () => Promise<void>): () => void {
    this.reopenHooks.add(hook);
    return () => this.reopenHooks.delete(hook);
  }

  /** Resolves with an open session, dialling and doing the handshake when there is none. */
  ensureOpen(): Promise<RpcSession> {
    if (this.closed) return Promise.reject(new ConnectionClosedError(`the connection to ${this.uri} was closed`));
    if (this.session !== null && !this.session.closed) return Promise.resolve(this.session);
    if (this.opening === null) {
      this.opening = this.establish().finally(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  /** Where the target is, for messages: the host (or socket) and the URI. */
  private where(): string {
    const t = this.target;
    switch (t.transport) {
      case "unix":
        return `the unix socket ${t.socketPath} (${this.uri})`;
      case "ext":
        return `the command ${t.command} (${this.uri})`;
      default:
        return `${t.host} (${this.uri})`;
    }
  }

  /** What to check when a daemon does not answer, by transport. */
  private hint(): string {
    const t = this.target;
    const knob = "connect_timeout=SECONDS in the URI waits longer";
    switch (t.transport) {
      case "unix":
        return `check that libvirtd (or virtqemud) runs and is not hung, e.g. \`virsh -c '${t.openUri}' version\`; ${knob}`;
      case "ssh":
        return `check that ${t.host} is reachable and its ssh server answers (\`ssh ${t.host} true\`), and that libvirt runs there; ${knob}`;
      case "ext":
        return `check that the command reaches a libvirt daemon; ${knob}`;
      default:
        return `check that ${t.host} is reachable, that libvirtd listens on port ${t.port} there and answers, and any firewall between; ${knob}`;
    }
  }

  /** Dial and handshake, bounded by the connect timeout as a whole. */
  private establish(): Promise<RpcSession> {
    return new Promise<RpcSession>((resolve, reject) => {
      let timedOut = false;
      let transport: Transport | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        const stderr = transport?.diagnostics().trim() ?? "";
        transport?.stream.destroy();
        const cause = new TimeoutError(`no answer within ${this.connectTimeoutMs} ms`);
        reject(
          new TransportError(
            `timed out after ${fmtMs(this.connectTimeoutMs)} connecting to libvirt at ${this.where()}` +
              `${transport ? ` over ${transport.description}: the channel opened but the daemon never finished the handshake` : ""}` +
              `${stderr ? `; it said: ${stderr}` : ""}; ${this.hint()}`,
            { cause, ...(stderr ? { stderr } : {}) },
          ),
        );
      }, this.connectTimeoutMs);
      this.dialAndShake((t) => {
        transport = t;
        if (timedOut) t.stream.destroy();
      }).then(
        (session) => {
          clearTimeout(timer);
          if (timedOut) session.fail(new ConnectionClosedError(`the connection to ${this.uri} timed out while opening`));
          else resolve(session);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!timedOut) reject(err);
        },
      );
    });
  }

  private async dialAndShake(onDialled: (t: Transport) => void): Promise<RpcSession> {
    const transport = await this.dialer(this.target);
    onDialled(transport);
    const { stream } = transport;
    const session = new RpcSession(
      stream,
      (proc, buf, start, end) => {
        for (const h of this.eventHandlers) h(proc, buf, start, end);
      },
      () => stream.destroy(),
    );
    stream.on("data", (chunk: Buffer) => session.receive(chunk));
    stream.on("end", () => session.end());
    stream.on("close", () => session.end());
    stream.on("error", (err: Error) => session.end(this.explain(err, transport)));

    try {
      await this.handshake(session);
    } catch (e) {
      stream.destroy();
      throw this.explain(e, transport);
    }
    if (this.closed) {
      stream.destroy();
      throw new ConnectionClosedError(`the connection to ${this.uri} was closed while opening`);
    }
    this.transport = transport;
    this.session = session;
    this.generation++;
    this.watch(session, transport);
    if (this.generation > 1) {
      for (const hook of this.reopenHooks) await hook();
    }
    return session;
  }

  private async handshake(session: RpcSession): Promise<void> {
    // AUTH_LIST is required even when no auth is needed: without it CONNECT_OPEN fails "authentication required".
    const { types } = await session.call(Proc.AUTH_LIST, undefined);
    if (!types.includes(AuthType.NONE)) {
      if (types.includes(AuthType.POLKIT)) {
        const { complete } = await session.call(Proc.AUTH_POLKIT, undefined);
        if (complete !== 1) throw new AuthError(`polkit did not authorise access to ${this.uri}`);
      } else if (types.includes(AuthType.SASL)) {
        throw new AuthError(
          `the daemon behind ${this.uri} requires SASL authentication, which pulumi-virt does not support yet; ` +
            `use a unix socket as root, an ssh URI (qemu+ssh://...), or TLS client certificates without SASL`,
        );
      } else {
        throw new AuthError(`the daemon behind ${this.uri} offers no authentication method we know (${types.join(", ")})`);
      }
    }
    // A NULL name fails on libvirt 9.0: always send the driver URI.
    await session.call(Proc.CONNECT_OPEN, { name: this.target.openUri, flags: this.target.readOnly ? ConnectFlags.RO : 0 });
    // Asking for PROGRAM_KEEPALIVE makes the daemon ping us; the session answers every PING, so an idle
    // connection is kept, and a dead one is found by the daemon.
    const [keepalive, order] = await Promise.all([
      session.call(Proc.CONNECT_SUPPORTS_FEATURE, { feature: DriverFeature.PROGRAM_KEEPALIVE }),
      session.call(Proc.CONNECT_SUPPORTS_FEATURE, { feature: DriverFeature.NETWORK_UPDATE_HAS_CORRECT_ORDER }),
    ]);
    this._features = { keepalive: keepalive.supported === 1, networkUpdateCorrectOrder: order.supported === 1 };
  }

  /**
   * The keepalive watch of an open session: a PING after an interval of silence, and the channel dropped after
   * `interval × (count + 1)` of silence. The timer never keeps the process alive.
   */
  private watch(session: RpcSession, transport: Transport): void {
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    const interval = this.keepaliveIntervalMs;
    const deadAfter = interval * (this.keepaliveCount + 1);
    const timer = setInterval(
      () => {
        if (session.closed) {
          clearInterval(timer);
          if (this.keepaliveTimer === timer) this.keepaliveTimer = null;
          return;
        }
        // A daemon without the keepalive program cannot be asked whether it lives: a long call is not a dead peer.
        if (!this._features.keepalive) return;
        const silent = Date.now() - session.lastReceived;
        if (silent >= deadAfter) {
          clearInterval(timer);
          if (this.keepaliveTimer === timer) this.keepaliveTimer = null;
          const err = new ConnectionClosedError(
            `libvirt at ${this.where()} over ${transport.description} sent nothing for ${fmtMs(silent)} ` +
              `(keepalive: ${this.keepaliveCount} PINGs ${fmtMs(interval)} apart went unanswered): the host, the link or the daemon is down or hung; ` +
              `check that ${this.target.transport === "unix" ? "the daemon runs" : `${"host" in this.target ? this.target.host : "the host"} is reachable and libvirtd runs there`}` +
              `; keepalive_interval=SECONDS and keepalive_count=N in the URI change the bound`,
            { cause: new TimeoutError(`no bytes from the daemon for ${silent} ms`) },
          );
          session.fail(err);
          transport.stream.destroy();
          return;
        }
        if (silent >= interval && this._features.keepalive) session.ping();
      },
      Math.max(10, Math.min(interval, 1000)),
    );
    timer.unref();
    this.keepaliveTimer = timer;
  }

  /** Adds what the transport knows (ssh's stderr) to an error from the handshake or the channel. */
  private explain(err: unknown, transport: Transport): Error {
    const diag = transport.diagnostics().trim();
    if (err instanceof VirtError && !(err instanceof ConnectionClosedError)) return err;
    const base = err instanceof Error ? err.message : String(err);
    if (diag) {
      return new TransportError(`cannot talk to libvirt at ${this.uri} over ${transport.description}: ${base}; it said: ${diag}`, {
        cause: err,
        stderr: diag,
      });
    }
    if (err instanceof Error) return err;
    return new TransportError(`cannot talk to libvirt at ${this.uri}: ${base}`);
  }

  /**
   * Closes the connection for good: CONNECT_CLOSE, then the channel. The daemon closes the socket right after
   * replying (through ssh helpers the reply itself may be lost), so EOF after CLOSE counts as success.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
    const opening = this.opening;
    if (opening) await opening.catch(() => undefined);
    const session = this.session;
    const transport = this.transport;
    this.session = null;
    this.transport = null;
    if (session && !session.closed) {
      try {
        await session.call(Proc.CONNECT_CLOSE, undefined);
      } catch (e) {
        if (!(e instanceof ConnectionClosedError)) throw e;
      }
      session.fail(new ConnectionClosedError(`the connection to ${this.uri} was closed`));
    }
    transport?.stream.destroy();
  }
}

/** "1.5 s", "30 s", "250 ms". */
function fmtMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
