import assert from "node:assert/strict";
import { Libvirt } from "../../../provider/libvirt/client";
import { Connection } from "../../../provider/libvirt/connection";
import {
  ArgumentError,
  AuthError,
  ConnectionClosedError,
  isNotFound,
  NotFoundError,
  OperationInvalidError,
  ProtocolError,
  UnknownProcedureError,
} from "../../../provider/libvirt/errors";
import { HEADER_SIZE, KeepaliveProc, PacketType, Program, Status, STREAM_CHUNK } from "../../../provider/libvirt/rpc/packet";
import { EventMsg, Proc } from "../../../provider/libvirt/protocol/procedures";
import { encode, FakeDaemon, packet, reply, fullError } from "../../support/fake-daemon";
import { decodeAll } from "../../../provider/libvirt/xdr";
import { remoteError } from "../../../provider/libvirt/protocol/types";

const libVersion = (v: bigint) => ({ ret: encode(Proc.CONNECT_GET_LIB_VERSION.ret, { libVer: v }) });
const dom = { name: "web", uuid: Buffer.alloc(16, 7), id: 3 };
const tick = () => new Promise((r) => setImmediate(r));

async function open(fake: FakeDaemon): Promise<Libvirt> {
  return new Libvirt(await Connection.open("test:///default", { dial: fake.dial }));
}

describe("connection over a fake daemon", () => {
  let fake: FakeDaemon;
  let lv: Libvirt | undefined;
  beforeEach(() => {
    fake = new FakeDaemon();
  });
  afterEach(async () => {
    await lv?.close().catch(() => undefined);
    lv = undefined;
  });

  it("does AUTH_LIST, CONNECT_OPEN with the driver URI, then asks for keepalive and the NETWORK_UPDATE order", async () => {
    lv = await open(fake);
    const procs = fake.calls.map((c) => c.header.procedure);
    assert.deepEqual(procs.slice(0, 2), [Proc.AUTH_LIST.number, Proc.CONNECT_OPEN.number]);
    const openArgs = decodeAll(Proc.CONNECT_OPEN.args, fake.calls[1]!.payload);
    assert.deepEqual(openArgs, { name: "test:///default", flags: 0 });
    const features = fake.calls
      .filter((c) => c.header.procedure === Proc.CONNECT_SUPPORTS_FEATURE.number)
      .map((c) => decodeAll(Proc.CONNECT_SUPPORTS_FEATURE.args, c.payload).feature);
    assert.deepEqual(
      features.sort((a, b) => a - b),
      [10, 16],
    );
    assert.deepEqual(lv.connection.features, { keepalive: true, networkUpdateCorrectOrder: true });
  });

  it("matches replies to calls by serial when they come back out of order", async () => {
    lv = await open(fake);
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => "noreply");
    const calls = [lv.host.getLibVersion(), lv.host.getLibVersion(), lv.host.getLibVersion()];
    await tick();
    const sent = fake.calls.filter((c) => c.header.procedure === Proc.CONNECT_GET_LIB_VERSION.number);
    assert.equal(sent.length, 3, "all three calls are on the wire before any reply");
    // Answer in reverse order, each with a value derived from its serial.
    for (const c of [...sent].reverse()) {
      fake.send(reply(c.header, Status.OK, encode(Proc.CONNECT_GET_LIB_VERSION.ret, { libVer: BigInt(c.header.serial * 1000) })));
    }
    const got = await Promise.all(calls);
    assert.deepEqual(
      got,
      sent.map((c) => c.header.serial * 1000),
    );
  });

  it("turns error replies into typed errors carrying the whole remote_error", async () => {
    lv = await open(fake);
    fake.on(Proc.DOMAIN_LOOKUP_BY_NAME.number, () => ({
      error: { code: 42, domain: 10, message: "Domain not found: no domain with matching name 'web'", str1: "x", int1: 5 },
    }));
    const err = await lv.domains.lookupByName("web").catch((e) => e);
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.code, "VIRT_ERR_NOT_FOUND");
    assert.equal(err.libvirtCode, 42);
    assert.equal(err.libvirtDomain, 10);
    assert.equal(err.str1, "x");
    assert.equal(err.int1, 5);
    assert.equal(err.procedure, "DOMAIN_LOOKUP_BY_NAME");
    assert.ok(isNotFound(err));

    fake.on(Proc.DOMAIN_DESTROY_FLAGS.number, () => ({ error: { code: 55, message: "domain is not running" } }));
    const e2 = await lv.domains.destroy(dom).catch((e) => e);
    assert.ok(e2 instanceof OperationInvalidError);
    assert.ok(!isNotFound(e2));
  });

  it("falls back to the older procedure when the daemon does not know the new one", async () => {
    lv = await open(fake);
    // No handler for NETWORK_DEFINE_XML_FLAGS: the fake answers "unknown procedure", like an old daemon.
    const net = { name: "n", uuid: Buffer.alloc(16, 1) };
    fake.on(Proc.NETWORK_DEFINE_XML.number, () => ({ ret: encode(Proc.NETWORK_DEFINE_XML.ret, { net }) }));
    const got = await lv.networks.defineXML("<network/>");
    assert.equal(got.name, "n");
    const unknown = await lv.connection.call(Proc.NETWORK_CREATE_XML_FLAGS, { xml: "x", flags: 1 }).catch((e) => e);
    assert.ok(unknown instanceof UnknownProcedureError);
  });

  it("rejects every pending call with ConnectionClosedError when the daemon closes mid-call, then reconnects", async () => {
    lv = await open(fake);
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => "noreply");
    const pending = [lv.host.getLibVersion(), lv.host.getLibVersion()];
    await tick();
    fake.drop();
    for (const p of pending) await assert.rejects(p, ConnectionClosedError);
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => libVersion(9000000n));
    assert.equal(await lv.host.getLibVersion(), 9000000);
    assert.equal(fake.dials, 2);
    assert.equal(lv.connection.generation, 2);
  });

  it("closes the connection with a ProtocolError on garbage bytes (bad length)", async () => {
    lv = await open(fake);
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => "noreply");
    const p = lv.host.getLibVersion();
    await tick();
    fake.send(Buffer.from("garbage!garbage!"));
    const err = await p.catch((e) => e);
    assert.ok(err instanceof ProtocolError, String(err));
    assert.match(err.message, /packet length/);
    // The session is gone: the next call dials a new channel rather than reusing the broken one.
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => libVersion(1n));
    assert.equal(await lv.host.getLibVersion(), 1);
    assert.equal(fake.dials, 2);
  });

  it("closes the connection with a ProtocolError on an oversize length", async () => {
    lv = await open(fake);
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => "noreply");
    const p = lv.host.getLibVersion();
    await tick();
    const len = Buffer.alloc(4);
    len.writeUInt32BE(64 * 1024 * 1024, 0);
    fake.send(len);
    await assert.rejects(p, /outside the protocol's range/);
  });

  it("treats a reply for a serial no call waits for as a protocol error", async () => {
    lv = await open(fake);
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => "noreply");
    const p = lv.host.getLibVersion();
    await tick();
    const call = fake.lastCall(Proc.CONNECT_GET_LIB_VERSION.number)!;
    fake.send(reply({ ...call.header, serial: 9999 }, Status.OK, Buffer.alloc(8)));
    await assert.rejects(p, (e: Error) => e instanceof ProtocolError && /serial 9999/.test(e.message));
  });

  it("rejects an undecodable reply with a ProtocolError whose cause names the field", async () => {
    lv = await open(fake);
    fake.on(Proc.DOMAIN_LOOKUP_BY_NAME.number, () => ({ ret: Buffer.from([0, 0, 0, 9, 0x61]) }));
    const err = await lv.domains.lookupByName("web").catch((e) => e);
    assert.ok(err instanceof ProtocolError);
    assert.match(err.message, /DOMAIN_LOOKUP_BY_NAME: .*\.dom\.name/);
    assert.ok(err.cause);
  });

  it("answers keepalive PING with PONG", async () => {
    lv = await open(fake);
    fake.send(
      packet({ program: Program.KEEPALIVE, version: 1, procedure: KeepaliveProc.PING, type: PacketType.MESSAGE, serial: 0, status: 0 }, Buffer.alloc(0)),
    );
    await tick();
    await tick();
    const pong = fake.messages.find((m) => m.header.program === Program.KEEPALIVE);
    assert.ok(pong, "a PONG was sent");
    assert.equal(pong.header.procedure, KeepaliveProc.PONG);
    assert.equal(pong.header.type, PacketType.MESSAGE);
  });

  it("routes events by type (whatever their serial) to the subscription with that callbackID, and re-registers after a reconnect", async () => {
    lv = await open(fake);
    let nextId = 40;
    fake.on(Proc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY.number, () => ({
      ret: encode(Proc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY.ret, { callbackID: nextId++ }),
    }));
    const seen: number[] = [];
    await lv.events.onDomainLifecycle((e) => seen.push(e.event));
    const event = (callbackID: number, ev: number) =>
      packet(
        { program: Program.REMOTE, version: 1, procedure: EventMsg.DOMAIN_EVENT_CALLBACK_LIFECYCLE.number, type: PacketType.MESSAGE, serial: 1, status: 0 },
        encode(EventMsg.DOMAIN_EVENT_CALLBACK_LIFECYCLE.args, { callbackID, dom, event: ev, detail: 0 }),
      );
    fake.send(event(40, 2));
    fake.send(event(99, 5)); // another client's callback id: not ours
    await tick();
    assert.deepEqual(seen, [2]);

    fake.drop();
    await tick();
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => libVersion(1n));
    await lv.host.getLibVersion(); // reconnects; the subscription is registered again (callbackID 41)
    fake.send(event(41, 5));
    await tick();
    assert.deepEqual(seen, [2, 5]);
  });

  it("refuses SASL-only daemons with a clear error, and calls AUTH_POLKIT when polkit is offered", async () => {
    fake.authTypes = [1];
    await assert.rejects(
      Connection.open("test:///default", { dial: fake.dial }),
      (e: Error) => e instanceof AuthError && /SASL/.test(e.message) && /not support/.test(e.message),
    );

    const fake2 = new FakeDaemon();
    fake2.authTypes = [2];
    fake2.on(Proc.AUTH_POLKIT.number, () => ({ ret: encode(Proc.AUTH_POLKIT.ret, { complete: 1 }) }));
    lv = new Libvirt(await Connection.open("test:///default", { dial: fake2.dial }));
    assert.ok(fake2.lastCall(Proc.AUTH_POLKIT.number));
  });

  it("refuses arguments it cannot encode without sending anything", async () => {
    lv = await open(fake);
    const before = fake.calls.length;
    await assert.rejects(lv.domains.setMemoryFlags(dom, -1, 0), ArgumentError);
    await assert.rejects(
      lv.domains.lookupByName("x".repeat(5 * 1024 * 1024)),
      (e: Error) => e instanceof ArgumentError && /DOMAIN_LOOKUP_BY_NAME/.test(e.message),
    );
    await tick();
    assert.equal(fake.calls.length, before);
  });

  it("swaps NETWORK_UPDATE command and section for daemons without feature 16", async () => {
    fake.on(Proc.CONNECT_SUPPORTS_FEATURE.number, (c) => {
      const { feature } = decodeAll(Proc.CONNECT_SUPPORTS_FEATURE.args, c.payload);
      return { ret: encode(Proc.CONNECT_SUPPORTS_FEATURE.ret, { supported: feature === 16 ? 0 : 1 }) };
    });
    fake.on(Proc.NETWORK_UPDATE.number, () => ({ ret: Buffer.alloc(0) }));
    lv = await open(fake);
    const net = { name: "n", uuid: Buffer.alloc(16) };
    await lv.networks.update(net, 3, 4, -1, "<host/>", 3);
    const args = decodeAll(Proc.NETWORK_UPDATE.args, fake.lastCall(Proc.NETWORK_UPDATE.number)!.payload);
    assert.equal(args.command, 4);
    assert.equal(args.section, 3);
  });

  it("downloads a stream: data until an empty CONTINUE, then OK both ways", async () => {
    lv = await open(fake);
    const vol = { pool: "p", name: "v", key: "/p/v" };
    fake.on(Proc.STORAGE_VOL_DOWNLOAD.number, (c) => {
      setImmediate(() => {
        fake.send(reply(c.header, Status.CONTINUE, Buffer.from("hello "), PacketType.STREAM));
        fake.send(reply(c.header, Status.CONTINUE, Buffer.from("world"), PacketType.STREAM));
        fake.send(reply(c.header, Status.CONTINUE, Buffer.alloc(0), PacketType.STREAM));
      });
      return { ret: Buffer.alloc(0) };
    });
    fake.onStream = (c, end) => {
      // The client's OK after the empty CONTINUE; the daemon confirms with its own OK.
      if (c.header.status === Status.OK) fake.write(end, reply(c.header, Status.OK, Buffer.alloc(0), PacketType.STREAM));
    };
    const data = await lv.volumes.downloadToBuffer(vol);
    assert.equal(data.toString(), "hello world");
    assert.equal(fake.streamPackets.length, 1);
    assert.equal(fake.streamPackets[0]!.header.status, Status.OK);
  });

  it("uploads a stream in chunks of at most 262120 bytes and ends with OK; a daemon error rejects typed", async () => {
    lv = await open(fake);
    const vol = { pool: "p", name: "v", key: "/p/v" };
    fake.on(Proc.STORAGE_VOL_UPLOAD.number, () => ({ ret: Buffer.alloc(0) }));
    fake.onStream = (c, end) => {
      if (c.header.status === Status.OK) fake.write(end, reply(c.header, Status.OK, Buffer.alloc(0), PacketType.STREAM));
    };
    const data = Buffer.alloc(STREAM_CHUNK * 2 + 10, 0xab);
    const sent = await lv.volumes.upload(vol, data);
    assert.equal(sent, data.length);
    const sizes = fake.streamPackets.map((p) => p.payload.length);
    assert.deepEqual(sizes, [STREAM_CHUNK, STREAM_CHUNK, 10, 0]);
    assert.deepEqual(Buffer.concat(fake.streamPackets.map((p) => p.payload)), data);

    fake.streamPackets.length = 0;
    fake.onStream = (c, end) => {
      if (c.header.status === Status.OK) {
        fake.write(end, reply(c.header, Status.ERROR, encodeErr(), PacketType.STREAM));
      }
    };
    await assert.rejects(lv.volumes.upload(vol, Buffer.from("x")), (e: Error) => e instanceof OperationInvalidError && /no space/.test(e.message));
  });

  it("fails a stream that is open when the connection drops", async () => {
    lv = await open(fake);
    const vol = { pool: "p", name: "v", key: "/p/v" };
    fake.on(Proc.STORAGE_VOL_DOWNLOAD.number, () => ({ ret: Buffer.alloc(0) }));
    const stream = await lv.volumes.download(vol);
    setImmediate(() => fake.drop());
    await assert.rejects(
      (async () => {
        for await (const _ of stream) void _;
      })(),
      ConnectionClosedError,
    );
  });

  it("close() sends CONNECT_CLOSE, takes EOF instead of a reply as success, and later calls reject", async () => {
    lv = await open(fake);
    fake.on(Proc.CONNECT_CLOSE.number, () => {
      setImmediate(() => fake.drop());
      return "noreply";
    });
    await lv.close();
    assert.ok(fake.lastCall(Proc.CONNECT_CLOSE.number));
    await assert.rejects(lv.host.getLibVersion(), ConnectionClosedError);
    assert.equal(fake.dials, 1, "a closed connection does not reconnect");
  });

  it("sends a lone call at once and the rest of a burst in one write", async () => {
    lv = await open(fake);
    fake.on(Proc.CONNECT_GET_LIB_VERSION.number, () => libVersion(1n));
    const writes: number[] = [];
    fake.end.on("data", (chunk: Buffer) => writes.push(chunk.length));
    await Promise.all(Array.from({ length: 16 }, () => lv!.host.getLibVersion()));
    assert.deepEqual(writes, [HEADER_SIZE, 15 * HEADER_SIZE], "the first goes out directly, the other 15 corked together");
    writes.length = 0;
    await lv.host.getLibVersion();
    assert.deepEqual(writes, [HEADER_SIZE], "a later lone call is not held back");
  });
});

function encodeErr(): Buffer {
  return encode(remoteError, fullError({ code: 55, domain: 18, message: "no space left in pool" }));
}
