import { Duplex } from "node:stream";

/** Two connected in-memory Duplex ends: what one writes, the other reads (Node 20 has no stream.duplexPair). */
export function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      // Like a socket: corked writes leave together, as one chunk (one writev syscall on a real socket).
      writev(chunks: { chunk: Buffer }[], cb) {
        peer().push(Buffer.concat(chunks.map((c) => c.chunk)));
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      destroy(err, cb) {
        const p = peer();
        if (!p.destroyed) p.push(null);
        cb(err);
      },
    });
  // Each end reaches its peer lazily (on its first write), after both exist.
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return [a, b];
}
