import assert from "node:assert/strict";
import { Proc } from "../../../../provider/libvirt/protocol/procedures";
import { domainRef, remoteError } from "../../../../provider/libvirt/protocol/types";
import {
  array,
  bool,
  charArray,
  decodeAll,
  fixedOpaque,
  hyper,
  int,
  opaque,
  optional,
  string,
  struct,
  uhyper,
  uint,
  XdrError,
  XdrReader,
  XdrWriter,
  Codec,
} from "../../../../provider/libvirt/xdr";

function enc<T>(c: Codec<T>, v: T): string {
  const w = new XdrWriter();
  c.encode(w, v);
  return w.finish().toString("hex");
}
const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ""), "hex");

describe("xdr primitives", () => {
  it("int and unsigned int are 4 bytes big-endian", () => {
    assert.equal(enc(int, -1), "ffffffff");
    assert.equal(enc(int, 0x01020304), "01020304");
    assert.equal(enc(uint, 0xfffffffe), "fffffffe");
    assert.equal(decodeAll(int, hex("fffffffe")), -2);
    assert.equal(decodeAll(uint, hex("fffffffe")), 4294967294);
  });

  it("refuses ints out of range before writing", () => {
    assert.throws(() => enc(int, 2 ** 31), XdrError);
    assert.throws(() => enc(uint, -1), XdrError);
    assert.throws(() => enc(uint, 1.5), XdrError);
  });

  it("hyper and unsigned hyper are 8 bytes, as bigint", () => {
    assert.equal(enc(hyper, -2n), "fffffffffffffffe");
    assert.equal(enc(uhyper, 9000000n), "0000000000895440"); // 9.0.0, as CONNECT_GET_LIB_VERSION returns it
    assert.equal(decodeAll(uhyper, hex("ffffffffffffffff")), 18446744073709551615n);
  });

  it("booleans travel as int 0/1", () => {
    assert.equal(enc(bool, true), "00000001");
    assert.equal(decodeAll(bool, hex("00000000")), false);
  });

  it("strings: length, UTF-8 bytes, zero padding to 4", () => {
    // "test:///default" is 15 bytes: length 0x0f, the bytes, 1 pad byte (captured from CONNECT_OPEN on the wire)
    assert.equal(enc(string(100), "test:///default"), "0000000f" + "746573743a2f2f2f64656661756c74" + "00");
    assert.equal(enc(string(100), ""), "00000000");
    assert.equal(enc(string(100), "abcd"), "00000004" + "61626364");
    // "é" is 2 UTF-8 bytes
    assert.equal(enc(string(100), "é"), "00000002" + "c3a9" + "0000");
    assert.equal(decodeAll(string(100), hex("00000002 c3a9 0000")), "é");
  });

  it("refuses a string longer than its maximum on both sides", () => {
    assert.throws(() => enc(string(3), "abcd"), /longer than 3/);
    assert.throws(() => decodeAll(string(3), hex("00000004 61626364")), /length 4 exceeds the maximum 3/);
  });

  it("fixed opaque (remote_uuid) has no length word", () => {
    const uuid = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    assert.equal(enc(fixedOpaque(16), uuid), "00112233445566778899aabbccddeeff");
    assert.throws(() => enc(fixedOpaque(16), Buffer.alloc(15)), /expected 16 bytes/);
  });

  it("variable opaque has a length word and padding", () => {
    assert.equal(enc(opaque(10), Buffer.from([1, 2, 3])), "00000003" + "010203" + "00");
  });

  it("optional: 0 for absent, 1 then the value", () => {
    assert.equal(enc(optional(int), null), "00000000");
    assert.equal(enc(optional(int), 7), "00000001" + "00000007");
    assert.equal(decodeAll(optional(int), hex("00000000")), null);
    assert.throws(() => decodeAll(optional(int), hex("00000002 00000007")), /optional flag must be 0 or 1/);
  });

  it("arrays: count then elements; a count the payload cannot hold is refused before allocating", () => {
    assert.equal(enc(array(int, 5), [1, 2]), "00000002" + "00000001" + "00000002");
    assert.throws(() => decodeAll(array(int, 100), hex("00000050")), /cannot fit/);
    assert.throws(() => decodeAll(array(int, 1), hex("00000002 00000001 00000002")), /exceeds the maximum 1/);
  });

  it("char model[32] is 32 four-byte ints (128 bytes)", () => {
    const w = new XdrWriter();
    charArray(32).encode(w, "x86_64");
    const b = w.finish();
    assert.equal(b.length, 128);
    assert.equal(b.subarray(0, 8).toString("hex"), "0000007800000038"); // 'x', '8'
    assert.equal(decodeAll(charArray(32), Buffer.from(b)), "x86_64");
  });

  it("structs keep declaration order and name the failing field in errors", () => {
    const s = struct({ a: int, b: string(10) });
    assert.equal(enc(s, { a: 1, b: "x" }), "00000001" + "00000001" + "78000000");
    assert.throws(() => decodeAll(s, hex("00000001 00000005 7878")), /\.b: needs 8 bytes, 2 left/);
    assert.throws(() => enc(s, { a: 1, b: "much too long" }), /\.b: string longer than 10/);
  });

  it("errors in arrays carry the element index", () => {
    const s = struct({ items: array(struct({ name: string(10) }), 10) });
    // two elements, the second one's string length is 0x20 (over the max of 10)
    assert.throws(() => decodeAll(s, hex("00000002 00000001 61000000 00000020")), /\.items\[1\]\.name: length 32 exceeds/);
  });

  it("decodeAll refuses trailing bytes", () => {
    assert.throws(() => decodeAll(int, hex("00000001 00000002")), /4 trailing bytes/);
  });

  it("the reader never reads past its end", () => {
    const r = new XdrReader(hex("00000001 0000"), 0, 6);
    assert.equal(r.int(), 1);
    assert.throws(() => r.int(), /needs 4 bytes, 2 left/);
  });
});

describe("xdr structures of the remote protocol", () => {
  it("remote_nonnull_domain: name, 16-byte uuid, id", () => {
    const bytes = hex(
      "00000004 74657374" + // name "test"
        "6695eb01f6a4870b8b7a5f0f45f1b2ae" + // uuid, 16 raw bytes
        "00000001", // id 1
    );
    const d = decodeAll(domainRef, bytes);
    assert.equal(d.name, "test");
    assert.equal(d.uuid.toString("hex"), "6695eb01f6a4870b8b7a5f0f45f1b2ae");
    assert.equal(d.id, 1);
  });

  it("DOMAIN_GET_INFO reply is 32 bytes: uchar and ushort widen to 4", () => {
    const bytes = hex(
      "00000001" + // state: running (unsigned char, 4 bytes)
        "0000000000200000" + // maxMem 2097152 KiB
        "0000000000100000" + // memory 1048576 KiB
        "00000002" + // nrVirtCpu (unsigned short, 4 bytes)
        "000000000000abcd", // cpuTime ns
    );
    assert.equal(bytes.length, 32);
    const info = decodeAll(Proc.DOMAIN_GET_INFO.ret, bytes);
    assert.deepEqual(info, { state: 1, maxMem: 2097152n, memory: 1048576n, nrVirtCpu: 2, cpuTime: 0xabcdn });
  });

  it("NODE_GET_INFO reply is 160 bytes", () => {
    const w = new XdrWriter();
    Proc.NODE_GET_INFO.ret.encode(w, { model: "x86_64", memory: 24n << 20n, cpus: 2, mhz: 2000, nodes: 1, sockets: 1, cores: 2, threads: 1 });
    assert.equal(w.finish().length, 160);
  });

  it("remote_error with its optional fields (captured: missing domain on the test driver)", () => {
    const bytes = hex(
      "0000002a" + // code 42 VIR_ERR_NO_DOMAIN
        "0000000c" + // domain 12 VIR_FROM_TEST
        "00000001 00000010 446f6d61696e206e6f7420666f756e64" + // message present, "Domain not found"
        "00000002" + // level 2 (error)
        "00000000" + // dom absent
        "00000001 00000010 446f6d61696e206e6f7420666f756e64" + // str1 present
        "00000000" + // str2 absent
        "00000000" + // str3 absent
        "ffffffff" + // int1 -1
        "ffffffff" + // int2 -1
        "00000000", // net absent
    );
    const e = decodeAll(remoteError, bytes);
    assert.equal(e.code, 42);
    assert.equal(e.domain, 12);
    assert.equal(e.message, "Domain not found");
    assert.equal(e.str1, "Domain not found");
    assert.equal(e.str2, null);
    assert.equal(e.dom, null);
    assert.equal(e.int1, -1);
  });

  it("CONNECT_OPEN arguments match the bytes captured from the wire", () => {
    // 00000001 0000000f "test:///default" 00 00000000 — present flag, string, flags 0
    assert.equal(
      enc(Proc.CONNECT_OPEN.args, { name: "test:///default", flags: 0 }),
      "00000001" + "0000000f" + "746573743a2f2f2f64656661756c74" + "00" + "00000000",
    );
  });
});
