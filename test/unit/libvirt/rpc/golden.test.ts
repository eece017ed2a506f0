// Golden packets: calls and replies captured from a real libvirtd (test/fixtures/packets, see its README), checked
// against the client with no daemon: the encoder must produce the captured calls byte for byte, the decoder must
// read the captured replies into the expected values, and the framer must cut them out of a stream split anywhere.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Libvirt } from "../../../../provider/libvirt/client";
import { Connection } from "../../../../provider/libvirt/connection";
import { errorFromRemote, isNotFound, LibvirtError, NotFoundError } from "../../../../provider/libvirt/errors";
import { Proc, Procedure } from "../../../../provider/libvirt/protocol/procedures";
import { remoteError } from "../../../../provider/libvirt/protocol/types";
import { Framer } from "../../../../provider/libvirt/rpc/framer";
import { HEADER_SIZE, PacketType, Program, PROTOCOL_VERSION, readHeader, Status, writeHeader } from "../../../../provider/libvirt/rpc/packet";
import { RpcSession } from "../../../../provider/libvirt/rpc/session";
import type { Transport } from "../../../../provider/libvirt/transport/types";
import { decodeAll, XdrWriter } from "../../../../provider/libvirt/xdr";
import { duplexPair } from "../../../support/duplex-pair";
import { GOLDEN_DOMAIN, GOLDEN_XML, goldenSession, LIST_FLAGS, MISSING_DOMAIN } from "../../../support/golden-session";
import { annotate, Fixture, FixturePacket, formatLines, L, parseFixture } from "../../../support/packet-fixtures";

// Compiled to dist/test/unit/rpc; the fixtures stay in the source tree.
const DIR = resolve(__dirname, "../../../../../test/fixtures/packets");

interface Exchange {
  file: string;
  facts: Record<string, string>;
  call: FixturePacket;
  reply: FixturePacket;
}

function load(): Exchange[] {
  const files = readdirSync(DIR)
    .filter((f) => /^\d\d-.*\.txt$/.test(f))
    .sort();
  return files.map((file) => {
    const fx: Fixture = parseFixture(readFileSync(join(DIR, file), "utf8"), file);
    assert.equal(fx.packets.length, 2, `${file}: one call and its reply`);
    const [call, reply] = fx.packets as [FixturePacket, FixturePacket];
    assert.equal(call.direction, "call", file);
    assert.equal(reply.direction, "reply", file);
    return { file, facts: fx.facts, call, reply };
  });
}

const exchanges = load();
const facts = exchanges[0]!.facts;
const tiny = { name: GOLDEN_DOMAIN, uuid: Buffer.from("c0de0000000040008000676f6c64656e", "hex"), id: -1 };

/** What each captured exchange is: the procedure, the arguments we call it with, and the reply we expect. */
interface Expect<A, R> {
  proc: Procedure<A, R>;
  args: A;
  ret?: (ret: R) => void;
  error?: (err: LibvirtError) => void;
}
const exp = <A, R>(e: Expect<A, R>): Expect<unknown, unknown> => e as Expect<unknown, unknown>;

const expected: Record<string, Expect<unknown, unknown>> = {
  "auth-list": exp({ proc: Proc.AUTH_LIST, args: undefined, ret: (r) => assert.deepEqual(r, { types: [0] }) }),
  "connect-open": exp({ proc: Proc.CONNECT_OPEN, args: { name: "qemu:///system", flags: 0 }, ret: (r) => assert.equal(r, undefined) }),
  "supports-feature-keepalive": exp({ proc: Proc.CONNECT_SUPPORTS_FEATURE, args: { feature: 10 }, ret: (r) => assert.deepEqual(r, { supported: 1 }) }),
  "supports-feature-network-update-order": exp({
    proc: Proc.CONNECT_SUPPORTS_FEATURE,
    args: { feature: 16 },
    ret: (r) => assert.deepEqual(r, { supported: 1 }),
  }),
  "get-lib-version": exp({
    proc: Proc.CONNECT_GET_LIB_VERSION,
    args: undefined,
    ret: (r) => {
      assert.equal(typeof r.libVer, "bigint");
      assert.equal(r.libVer, BigInt(facts["libVersion"]!));
    },
  }),
  "get-version": exp({ proc: Proc.CONNECT_GET_VERSION, args: undefined, ret: (r) => assert.deepEqual(r, { hvVer: BigInt(facts["hvVersion"]!) }) }),
  "get-hostname": exp({ proc: Proc.CONNECT_GET_HOSTNAME, args: undefined, ret: (r) => assert.deepEqual(r, { hostname: facts["hostname"] }) }),
  "lookup-missing-domain": exp({
    proc: Proc.DOMAIN_LOOKUP_BY_NAME,
    args: { name: MISSING_DOMAIN },
    error: (err) => {
      assert.ok(err instanceof NotFoundError);
      assert.ok(isNotFound(err));
      assert.equal(err.code, "VIRT_ERR_NOT_FOUND");
      assert.equal(err.libvirtCode, 42); // VIR_ERR_NO_DOMAIN
      assert.equal(err.libvirtDomain, 10); // VIR_FROM_QEMU
      assert.equal(err.level, 2); // VIR_ERR_ERROR
      assert.equal(err.procedure, "DOMAIN_LOOKUP_BY_NAME");
      assert.equal(err.message, `Domain not found: no domain with matching name '${MISSING_DOMAIN}'`);
      assert.equal(err.str1, "Domain not found: %s");
      assert.equal(err.str2, `no domain with matching name '${MISSING_DOMAIN}'`);
      assert.equal(err.str3, null);
      assert.deepEqual([err.int1, err.int2], [-1, -1]);
    },
  }),
  "define-domain": exp({ proc: Proc.DOMAIN_DEFINE_XML_FLAGS, args: { xml: GOLDEN_XML, flags: 0 }, ret: (r) => assert.deepEqual(r, { dom: tiny }) }),
  "domain-get-info": exp({
    proc: Proc.DOMAIN_GET_INFO,
    args: { dom: tiny },
    ret: (r) => assert.deepEqual(r, { state: 5, maxMem: 65536n, memory: 65536n, nrVirtCpu: 1, cpuTime: 0n }),
  }),
  "list-all-domains-inactive-persistent": exp({
    proc: Proc.CONNECT_LIST_ALL_DOMAINS,
    args: { needResults: 1, flags: LIST_FLAGS },
    ret: (r) => {
      // Other inactive domains on the capturing host are listed too: check ours and what holds for all.
      assert.deepEqual(
        r.domains.find((d) => d.name === GOLDEN_DOMAIN),
        tiny,
      );
      assert.equal(r.ret, r.domains.length);
      assert.ok(r.domains.every((d) => d.id === -1 && d.uuid.length === 16));
      assert.equal(r.domains.map((d) => d.name).join(" "), facts["listedDomains"]);
    },
  }),
  "undefine-domain": exp({ proc: Proc.DOMAIN_UNDEFINE_FLAGS, args: { dom: tiny, flags: 0 }, ret: (r) => assert.equal(r, undefined) }),
  "connect-close": exp({ proc: Proc.CONNECT_CLOSE, args: undefined, ret: (r) => assert.equal(r, undefined) }),
};

const slug = (file: string) => file.replace(/^\d\d-/, "").replace(/\.txt$/, "");

/** Our encoding of a call, as the session frames it: header reserved, body encoded, header written. */
function encodeCall(proc: Procedure<unknown, unknown>, args: unknown, serial: number): Buffer {
  const w = new XdrWriter(128, HEADER_SIZE);
  proc.args.encode(w, args);
  const packet = Buffer.from(w.finish());
  writeHeader(packet, { program: Program.REMOTE, version: PROTOCOL_VERSION, procedure: proc.number, type: PacketType.CALL, serial, status: Status.OK });
  return packet;
}

/** The first differing byte, for a readable failure. */
function firstDiff(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `lengths ${a.length} and ${b.length}, first difference at byte ${i}: ${a.subarray(i, i + 8).toString("hex")} vs ${b.subarray(i, i + 8).toString("hex")}`;
}

describe(`golden packets (libvirt ${facts["libvirt"]}, QEMU ${facts["qemu"]}, captured ${facts["captured"]})`, () => {
  it("has one fixture per exchange of the session, in serial order, each with the host facts", () => {
    assert.deepEqual(
      exchanges.map((e) => slug(e.file)),
      Object.keys(expected),
    );
    exchanges.forEach((e, i) => {
      assert.equal(e.call.serial, i + 1, e.file);
      assert.equal(e.reply.serial, i + 1, e.file);
      for (const k of ["captured", "uri", "libvirt", "libVersion", "qemu", "hvVersion", "hostname"]) assert.ok(e.facts[k], `${e.file}: fact ${k}`);
    });
  });

  it("headers agree with the fixtures' == lines and annotations", () => {
    for (const e of exchanges) {
      const proc = expected[slug(e.file)]!.proc;
      for (const p of [e.call, e.reply]) {
        const h = readHeader(p.bytes, 0);
        const isCall = p.direction === "call";
        assert.equal(p.procedure, proc.name, e.file);
        assert.deepEqual(
          { program: h.program, version: h.version, procedure: h.procedure, type: h.type, serial: h.serial },
          { program: Program.REMOTE, version: PROTOCOL_VERSION, procedure: proc.number, type: isCall ? PacketType.CALL : PacketType.REPLY, serial: p.serial },
          `${e.file} ${p.direction}`,
        );
        assert.equal(h.status, isCall || expected[slug(e.file)]!.ret ? Status.OK : Status.ERROR, `${e.file} ${p.direction} status`);
        assert.equal(p.notes[3], `header.procedure: ${proc.number} REMOTE_PROC_${proc.name}`, `${e.file}: annotation of the procedure`);
      }
    }
  });

  describe("(a) our encoder writes the captured calls byte for byte", () => {
    for (const e of exchanges) {
      const x = expected[slug(e.file)];
      if (!x) continue;
      it(`${e.file}: ${x.proc.name} call, serial ${e.call.serial} (${e.call.bytes.length} bytes)`, () => {
        const ours = encodeCall(x.proc, x.args, e.call.serial);
        assert.ok(ours.equals(e.call.bytes), firstDiff(ours, e.call.bytes));
      });
    }
  });

  describe("(b) our decoder reads the captured replies into the expected values", () => {
    for (const e of exchanges) {
      const x = expected[slug(e.file)];
      if (!x) continue;
      it(`${e.file}: ${x.proc.name} reply${x.error ? " (an error)" : ""}`, () => {
        if (x.ret) {
          x.ret(decodeAll(x.proc.ret, e.reply.bytes, HEADER_SIZE));
        } else {
          const remote = decodeAll(remoteError, e.reply.bytes, HEADER_SIZE);
          assert.equal(remote.dom, null);
          assert.equal(remote.net, null);
          x.error!(errorFromRemote(remote, x.proc.name));
        }
      });
    }

    it("an RPC session given the captured calls' arguments sends the captured bytes and resolves (or rejects) with the decoded replies", async () => {
      const written: Buffer[] = [];
      const sink = { write: (b: Buffer) => (written.push(Buffer.from(b)), true), cork() {}, uncork() {}, once: () => undefined };
      const session = new RpcSession(
        sink,
        () => undefined,
        (err) => assert.fail(err),
      );
      for (const e of exchanges) {
        const x = expected[slug(e.file)]!;
        const pending = session.call(x.proc, x.args);
        const sent = written.shift()!;
        assert.ok(sent.equals(e.call.bytes), `${e.file}: ${firstDiff(sent, e.call.bytes)}`);
        session.receive(e.reply.bytes);
        if (x.ret) x.ret(await pending);
        else
          x.error!(
            await pending.then(
              () => assert.fail(`${e.file}: resolved`),
              (err: LibvirtError) => err,
            ),
          );
      }
      assert.equal(session.inFlight, 0);
    });

    it("the whole client replays the session against the captured replies: handshake, calls and close, byte for byte", async () => {
      const calls = exchanges.map((e) => e.call.bytes);
      const replies = new Map(exchanges.map((e) => [e.call.serial, e.reply.bytes]));
      let matched = 0;
      let mismatch: string | null = null;
      const dial = async (): Promise<Transport> => {
        const [client, daemon] = duplexPair();
        const framer = new Framer((buf, start, end) => {
          const got = Buffer.from(buf.subarray(start, end));
          const want = calls[matched];
          if (want === undefined || !got.equals(want)) {
            mismatch ??= `call ${matched + 1}: ${want ? firstDiff(got, want) : `unexpected ${got.toString("hex")}`}`;
            daemon.destroy();
            return;
          }
          matched++;
          daemon.write(replies.get(readHeader(got, 0).serial)!);
        });
        daemon.on("data", (chunk: Buffer) => framer.push(chunk));
        return { stream: client, description: "golden replay", diagnostics: () => "" };
      };
      const lv = new Libvirt(await Connection.open("qemu:///system", { dial, keepaliveIntervalMs: 3_600_000 }));
      let said: Record<string, string> = {};
      let failed: unknown = null;
      try {
        said = await goldenSession(lv);
      } catch (e) {
        failed = e;
      } finally {
        await lv.close().catch((e: unknown) => (failed ??= e));
      }
      // A call that differs from the capture ends the replay: say which, before what the client made of that.
      assert.equal(mismatch, null);
      assert.equal(failed, null);
      assert.equal(matched, exchanges.length);
      assert.equal(lv.connection.features.keepalive, true);
      assert.equal(lv.connection.features.networkUpdateCorrectOrder, true);
      for (const k of ["libvirt", "libVersion", "qemu", "hvVersion", "hostname", "notFoundMessage", "listedDomains"]) {
        assert.equal(said[k], facts[k], `fact ${k}`);
      }
    });
  });

  describe("(c) the framer cuts the captured stream into the same packets however it is chunked", () => {
    const replies = exchanges.map((e) => e.reply.bytes);
    const calls = exchanges.map((e) => e.call.bytes);

    const cut = (stream: Buffer, sizes: (i: number) => number): Buffer[] => {
      const got: Buffer[] = [];
      const framer = new Framer((buf, start, end) => got.push(Buffer.from(buf.subarray(start, end))));
      for (let pos = 0, i = 0; pos < stream.length; i++) {
        const n = Math.max(1, sizes(i));
        framer.push(stream.subarray(pos, pos + n));
        pos += n;
      }
      assert.equal(framer.pending, 0);
      return got;
    };

    for (const [what, packets] of [
      ["replies", replies],
      ["calls", calls],
    ] as const) {
      const stream = Buffer.concat(packets);

      it(`all ${packets.length} captured ${what} (${stream.length} bytes) in chunks of every size from 1 to 64`, () => {
        for (let size = 1; size <= 64; size++) {
          const got = cut(stream, () => size);
          assert.equal(got.length, packets.length, `chunks of ${size}`);
          got.forEach((p, i) => assert.ok(p.equals(packets[i]!), `chunks of ${size}: packet ${i + 1}`));
        }
      });

      it(`all captured ${what} in odd-sized chunks (3, 5, 7, 11, ... cycling), and split at every byte`, () => {
        const odd = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 97, 131, 1];
        for (let shift = 0; shift < odd.length; shift++) {
          const got = cut(stream, (i) => odd[(i + shift) % odd.length]!);
          assert.deepEqual(got, packets, `odd sizes from ${odd[shift]}`);
        }
        for (let at = 1; at < stream.length; at++) {
          const got = cut(stream, (i) => (i === 0 ? at : stream.length));
          assert.equal(got.length, packets.length, `split at ${at}`);
        }
      });
    }
  });

  describe("the fixture format", () => {
    it("reads back what the annotator wrote, byte for byte, ignoring the commentary", () => {
      const e = exchanges.find((x) => slug(x.file) === "lookup-missing-domain")!;
      const body = L.struct({ name: L.string });
      const text = `# fact k: v\n== call DOMAIN_LOOKUP_BY_NAME serial 8\n${formatLines(annotate(e.call.bytes, "DOMAIN_LOOKUP_BY_NAME", body))}\n`;
      const fx = parseFixture(text);
      assert.deepEqual(fx.facts, { k: "v" });
      assert.ok(fx.packets[0]!.bytes.equals(e.call.bytes));
      assert.ok(fx.packets[0]!.notes.includes(".name length: 18 bytes"));
    });

    it("the annotator refuses a layout that leaves bytes unexplained", () => {
      const e = exchanges.find((x) => slug(x.file) === "lookup-missing-domain")!;
      assert.throws(() => annotate(e.call.bytes, "DOMAIN_LOOKUP_BY_NAME", L.struct({ id: L.int() })), /read 32 of 52 bytes/);
    });

    it("refuses a packet whose length word disagrees with its bytes, and lines that are not hex", () => {
      assert.throws(() => parseFixture("== call X serial 1\n0000001d # length\n" + "00000000\n".repeat(6)), /28 bytes but its length word says 29/);
      assert.throws(() => parseFixture("== call X serial 1\n0000001g # length\n"), /not whole lower-case hex bytes/);
      assert.throws(() => parseFixture("0000001c\n"), /data before the first/);
    });
  });
});
