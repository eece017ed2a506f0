import { AuthType, ConnectFlags, DriverFeature } from "./constants";
import { AuthError, ConnectionClosedError, TransportError, VirtError } from "./errors";
import { Proc, Procedure } from "./protocol/procedures";
import { EventHandler, RpcSession } from "./rpc/session";
import type { RpcStream } from "./rpc/stream";
import { dial as defaultDial, parseUri } from "./transport";
import type { Target, Transport } from "./transport/types";

export interface ConnectionOptions {
  /** Open with VIR_CONNECT_RO: every write call is refused by the daemon. */
  readOnly?: boolean;
  /** Limit for reaching the daemon and finishing the handshake, in ms (default 30000). */
  connectTimeoutMs?: number;
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
 */
export class Connection {
  readonly uri: string;
  readonly target: Target;
  private session: RpcSession | null = null;
  private transport: Transport | null = null;
  private opening: Promise<RpcSession> | null = null;
  private closed = false;
  private readonly dialer: (target: Target) => Promise<Transport>;
  private readonly eventHandlers = new Set<EventHandler>();
  private readonly reopenHooks = new Set<() => Promise<void>>();
  private _features: DaemonFeatures = { keepalive: false, networkUpdateCorrectOrder: true };
  /** How many times the handshake completed (1 after open; more after reconnects). */
  generation = 0;

  constructor(uri: string, options: ConnectionOptions = {}) {
    this.uri = uri;
    this.target = parseUri(uri, { readOnly: options.readOnly === true });
    this.dialer = options.dial ?? ((t) => defaultDial(t, { timeoutMs: options.connectTimeoutMs ?? 30000 }));
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

  private async establish(): Promise<RpcSession> {
    const transport = await this.dialer(this.target);
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
