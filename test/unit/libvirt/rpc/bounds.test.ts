import assert from "node:assert/strict";
import { createServer, Server, Socket } from "node:net";
import { Duplex } from "node:stream";
import { Libvirt } from "../../../../provider/libvirt/client";
import { Connection } from "../../../../provider/libvirt/connection";
import { ConnectionClosedError, TimeoutError, TransportError } from "../../../../provider/libvirt/errors";
import { parseUri } from "../../../../provider/libvirt/transport";
import { KeepaliveProc, Program } from "../../../../provider/libvirt/rpc/packet";
import { Proc } from "../../../../provider/libvirt/protocol/procedures";
import { encode, FakeDaemon } from "../../../support/fake-daemon";
import { tempDir, waitFor } from "../../../../tools/support/host";
import type { Transport } from "../../../../provider/libvirt/transport/types";

/** A listener that accepts connections and never sends a byte (a hung daemon, or a black-holed port). */
async function mute(listenOn: number | string): Promise<{ server: Server; sockets: Socket[]; closed: Socket[]; port: number }> {
  const sockets: Socket[] = [];
  const closed: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on("error", () => undefined);
    s.on("close", () => closed.push(s));
    s.resume();
  });
  await new Promise<void>((r) => (typeof listenOn === "number" ? server.listen(listenOn, "127.0.0.1", r) : server.listen(listenOn, r)));
  const addr = server.address();
  return { server, sockets, closed, port: typeof addr === "object" && addr !== null ? addr.port : 0 };
}

async function closeMute(m: { server: Server; sockets: Socket[] }): Promise<void> {
  for (const s of m.sockets) s.destroy();
  await new Promise<void>((r) => m.server.close(() => r()));
}

describe("bounds on connecting and on a silent peer", function () {
  this.timeout(30000);

  it("a TCP listener that accepts and never speaks: the open fails with the host and what to check", async () => {
    const m = await mute(0);
    try {
      const err = await Connection.open(`test+tcp://127.0.0.1:${m.port}/default?connect_timeout=0.5`).catch((e) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.ok(err.cause instanceof TimeoutError);
      assert.match(err.message, /timed out after 500 ms connecting to libvirt at 127\.0\.0\.1/);
      assert.match(err.message, /never finished the handshake/);
      assert.match(err.message, new RegExp(`libvirtd listens on port ${m.port}`));
      assert.match(err.message, /connect_timeout=SECONDS/);
      assert.equal(m.sockets.length, 1, "the listener saw the connection");
      await waitFor("our side to close the socket", () => m.closed.length === 1);
    } finally {
      await closeMute(m);
    }
  });

  it("a unix socket that accepts and never answers: the open fails naming the socket", async () => {
    const dir = tempDir("flt-mute");
    const path = `${dir.path}/sock`;
    const m = await mute(path);
    try {
      const err = await Connection.open(`test:///default?socket=${path}&connect_timeout=0.3`).catch((e) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.match(err.message, new RegExp(`the unix socket ${path}`));
      assert.match(err.message, /not hung/);
    } finally {
      await closeMute(m);
      dir.remove();
    }
  });

  it("ssh to a host that accepts TCP and never speaks: ssh gets ConnectTimeout, and the open is bounded", async () => {
    const m = await mute(0);
    const uri = `test+ssh://127.0.0.1:${m.port}/default?no_tty=1&no_verify=1&connect_timeout=1`;
    const target = parseUri(uri);
    assert.ok(target.transport === "ssh" && target.args.includes("ConnectTimeout=1"), JSON.stringify(target));
    try {
      const err = await Connection.open(uri).catch((e) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.match(err.message, /127\.0\.0\.1/);
      // Whichever bound fires first (ssh's banner timeout or ours), the user learns what to check.
      assert.match(err.message, /ssh|banner|timed out/i);
    } finally {
      await closeMute(m);
    }
  });

  it("URI parameters set the bounds; bad values are refused", () => {
    const t = parseUri("qemu+tcp://h/system?connect_timeout=5&keepalive_interval=2&keepalive_count=3&foo=1");
    assert.deepEqual(t.limits, { connectTimeoutMs: 5000, keepaliveIntervalMs: 2000, keepaliveCount: 3 });
    assert.equal(t.openUri, "qemu:///system?foo=1", "our parameters never reach the daemon");
    assert.equal(parseUri("qemu:///system").limits, undefined);
    assert.throws(() => parseUri("qemu:///system?connect_timeout=soon"), /connect_timeout=soon is not a number/);
    assert.throws(() => parseUri("qemu:///system?keepalive_count=0"), /keepalive_count=0 is not a number from 1/);
  });

  describe("over a fake daemon", () => {
    let fake: FakeDaemon;
    let lv: Libvirt | undefined;
    beforeEach(() => {
      fake = new FakeDaemon();
    });
    afterEach(async () => {
      fake.silent = false;
      await lv?.close().catch(() => undefined);
      lv = undefined;
    });

    it("sends its own keepalive PINGs when the daemon is quiet, and a daemon that answers them stays alive", async () => {
      lv = new Libvirt(await Connection.open("test:///default", { dial: fake.dial, keepaliveIntervalMs: 30, keepaliveCount: 2 }));
      const pings = () => fake.messages.filter((m) => m.header.program === Program.KEEPALIVE && m.header.procedure === KeepaliveProc.PING).length;
      await waitFor("five PINGs from the client", () => pings() >= 5, 5000);
      fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => ({ ret: encode(Proc.CONNECT_GET_LIB_VERSION.ret, { libVer: 9000000n }) }));
      assert.equal(await lv.host.getLibVersion(), 9000000);
      assert.equal(lv.connection.generation, 1, "no reconnect was needed");
    });

    it("a peer that goes silent mid-session: the pending call fails once the keepalives go unanswered", async () => {
      lv = new Libvirt(await Connection.open("test:///default", { dial: fake.dial, keepaliveIntervalMs: 40, keepaliveCount: 2 }));
      fake.silent = true;
      const err = await lv.host.getLibVersion().catch((e) => e);
      assert.ok(err instanceof ConnectionClosedError, String(err));
      assert.ok(err.cause instanceof TimeoutError);
      assert.match(err.message, /sent nothing for/);
      assert.match(err.message, /keepalive_interval=SECONDS/);
      // The next call dials again.
      fake.silent = false;
      fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => ({ ret: encode(Proc.CONNECT_GET_LIB_VERSION.ret, { libVer: 1n }) }));
      assert.equal(await lv.host.getLibVersion(), 1);
      assert.equal(fake.dials, 2);
    });

    it("a handshake the daemon never answers is bounded (fake dial)", async () => {
      fake.silent = true;
      const err = await Connection.open("test:///default", { dial: fake.dial, connectTimeoutMs: 100 }).catch((e) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.match(err.message, /never finished the handshake/);
    });

    /** A channel whose outbound side can freeze: writes are then never completed, so it never drains. */
    function freezable(): { dial: () => Promise<Transport>; freeze(): void; kill(): void } {
      let frozen = false;
      let inner: Duplex | undefined;
      let outer: Duplex | undefined;
      return {
        dial: async () => {
          const t = await fake.dial();
          inner = t.stream;
          const o = new Duplex({
            read() {},
            write(chunk: Buffer, _enc, cb) {
              if (frozen) return; // the callback never comes: a frozen link
              inner!.write(chunk, cb);
            },
            destroy(err, cb) {
              inner!.destroy();
              cb(err);
            },
          });
          inner.on("data", (c: Buffer) => o.push(c));
          inner.on("end", () => o.push(null));
          outer = o;
          return { ...t, stream: o };
        },
        freeze: () => {
          frozen = true;
        },
        kill: () => {
          outer?.destroy();
        },
      };
    }

    it("an upload into a link that froze and then died fails instead of waiting for a drain that never comes", async () => {
      const link = freezable();
      lv = new Libvirt(await Connection.open("test:///default", { dial: link.dial }));
      fake.on(Proc.STORAGE_VOL_UPLOAD.number, () => ({ ret: Buffer.alloc(0) }));
      const stream = await lv.connection.openStream(Proc.STORAGE_VOL_UPLOAD, { vol: { pool: "p", name: "v", key: "/p/v" }, offset: 0n, length: 0n, flags: 0 });
      link.freeze();
      const write = stream.write(Buffer.alloc(4 << 20, 1));
      setTimeout(() => link.kill(), 50);
      await assert.rejects(write, ConnectionClosedError);
    });

    it("an upload into a frozen link whose daemon went silent fails by the keepalive bound", async () => {
      const link = freezable();
      lv = new Libvirt(await Connection.open("test:///default", { dial: link.dial, keepaliveIntervalMs: 40, keepaliveCount: 2 }));
      fake.on(Proc.STORAGE_VOL_UPLOAD.number, () => ({ ret: Buffer.alloc(0) }));
      const stream = await lv.connection.openStream(Proc.STORAGE_VOL_UPLOAD, { vol: { pool: "p", name: "v", key: "/p/v" }, offset: 0n, length: 0n, flags: 0 });
      link.freeze();
      fake.silent = true;
      await assert.rejects(stream.write(Buffer.alloc(4 << 20, 1)), (e: Error) => e instanceof ConnectionClosedError && /sent nothing/.test(e.message));
    });
  });
});
