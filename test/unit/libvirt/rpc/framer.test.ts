import assert from "node:assert/strict";
import { ProtocolError } from "../../../../provider/libvirt/errors";
import { Framer } from "../../../../provider/libvirt/rpc/framer";
import { MESSAGE_MAX } from "../../../../provider/libvirt/rpc/packet";

function packet(payload: number[], serial: number): Buffer {
  const b = Buffer.alloc(28 + payload.length);
  b.writeUInt32BE(b.length, 0);
  b.writeUInt32BE(0x20008086, 4);
  b.writeUInt32BE(1, 8);
  b.writeInt32BE(157, 12);
  b.writeInt32BE(1, 16);
  b.writeUInt32BE(serial, 20);
  Buffer.from(payload).copy(b, 28);
  return b;
}

function collect(): { framer: Framer; got: Buffer[] } {
  const got: Buffer[] = [];
  const framer = new Framer((buf, start, end) => got.push(Buffer.from(buf.subarray(start, end))));
  return { framer, got };
}

describe("framer", () => {
  const stream = Buffer.concat([packet([], 1), packet([1, 2, 3, 4, 5, 6, 7, 8], 2), packet([9, 9, 9, 9], 3)]);

  it("cuts a stream split at every byte boundary into the same packets", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { framer, got } = collect();
      framer.push(stream.subarray(0, cut));
      framer.push(stream.subarray(cut));
      assert.equal(got.length, 3, `cut at ${cut}`);
      assert.deepEqual(Buffer.concat(got), stream, `cut at ${cut}`);
      assert.equal(framer.pending, 0);
    }
  });

  it("handles one byte at a time", () => {
    const { framer, got } = collect();
    for (const byte of stream) framer.push(Buffer.from([byte]));
    assert.deepEqual(
      got.map((p) => p.readUInt32BE(20)),
      [1, 2, 3],
    );
  });

  it("handles three pieces split anywhere", () => {
    for (let i = 1; i < stream.length; i += 3) {
      for (let j = i; j < stream.length; j += 5) {
        const { framer, got } = collect();
        framer.push(stream.subarray(0, i));
        framer.push(stream.subarray(i, j));
        framer.push(stream.subarray(j));
        assert.deepEqual(Buffer.concat(got), stream);
      }
    }
  });

  it("reports the bytes of an unfinished packet", () => {
    const { framer } = collect();
    framer.push(stream.subarray(0, 30));
    assert.equal(framer.pending, 2);
  });

  it("refuses a length below the header size", () => {
    const { framer } = collect();
    assert.throws(() => framer.push(Buffer.from([0, 0, 0, 27, 0, 0])), ProtocolError);
  });

  it("refuses an oversize length before buffering, even when the length word is split", () => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(MESSAGE_MAX + 1, 0);
    const { framer } = collect();
    framer.push(len.subarray(0, 2));
    assert.throws(() => framer.push(len.subarray(2)), /outside the protocol's range/);
    assert.throws(() => framer.push(Buffer.alloc(4)), /after a protocol error/);
  });
});
