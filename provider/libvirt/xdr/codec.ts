import { XdrError } from "./errors";
import { XdrReader } from "./reader";
import { XdrWriter } from "./writer";

/**
 * Codecs: one value that knows how to encode and decode one XDR type.
 *
 * The protocol tables (`../protocol/`) are written with these combinators, in the field order of libvirt's
 * `remote_protocol.x`, so each struct is declared once and its TypeScript type is inferred from it.
 */
export interface Codec<T> {
  encode(w: XdrWriter, v: T): void;
  decode(r: XdrReader): T;
}

/** The TypeScript type a codec stands for. */
export type Infer<C> = C extends Codec<infer T> ? T : never;

export const int: Codec<number> = { encode: (w, v) => w.int(v), decode: (r) => r.int() };
export const uint: Codec<number> = { encode: (w, v) => w.uint(v), decode: (r) => r.uint() };
/** `hyper`: 64-bit signed, as bigint (convert with a range check at the resources boundary). */
export const hyper: Codec<bigint> = { encode: (w, v) => w.hyper(v), decode: (r) => r.hyper() };
/** `unsigned hyper`: 64-bit unsigned, as bigint. */
export const uhyper: Codec<bigint> = { encode: (w, v) => w.uhyper(v), decode: (r) => r.uhyper() };
export const double: Codec<number> = { encode: (w, v) => w.double(v), decode: (r) => r.double() };
/** Booleans travel as `int` 0/1. */
export const bool: Codec<boolean> = { encode: (w, v) => w.int(v ? 1 : 0), decode: (r) => r.int() !== 0 };
/** `void`: nothing on the wire. */
export const voidType: Codec<void> = { encode: () => undefined, decode: () => undefined };

/** A UTF-8 string with a maximum byte length (`remote_nonnull_string` is 4 MiB). */
export function string(max: number): Codec<string> {
  return {
    encode(w, v) {
      if (typeof v !== "string") throw new XdrError(`expected a string, got ${typeof v}`);
      if (Buffer.byteLength(v, "utf8") > max) throw new XdrError(`string longer than ${max} bytes`);
      w.string(v);
    },
    decode: (r) => r.string(max),
  };
}

/** Fixed-length opaque (`opaque x[N]`), e.g. the 16-byte `remote_uuid`: no length word. */
export function fixedOpaque(n: number): Codec<Buffer> {
  return {
    encode(w, v) {
      if (v.length !== n) throw new XdrError(`expected ${n} bytes, got ${v.length}`);
      w.padded(v);
    },
    decode: (r) => r.padded(n),
  };
}

/** Variable-length opaque (`opaque x<N>`): u32 length, bytes, padding. */
export function opaque(max: number): Codec<Buffer> {
  return {
    encode(w, v) {
      if (v.length > max) throw new XdrError(`opaque longer than ${max} bytes`);
      w.uint(v.length);
      w.padded(v);
    },
    decode: (r) => r.padded(r.length(max)),
  };
}

/**
 * A fixed array of `char` (e.g. `char model[32]` in NODE_GET_INFO): rpcgen promotes each char to a 4-byte int,
 * so 32 chars are 128 bytes. Decoded to the string up to the first NUL.
 */
export function charArray(n: number): Codec<string> {
  return {
    encode(w, v) {
      const bytes = Buffer.from(v, "latin1");
      for (let i = 0; i < n; i++) w.int(i < bytes.length ? (bytes[i]! << 24) >> 24 : 0);
    },
    decode(r) {
      const bytes: number[] = [];
      for (let i = 0; i < n; i++) bytes.push(r.int() & 0xff);
      const nul = bytes.indexOf(0);
      return Buffer.from(nul === -1 ? bytes : bytes.slice(0, nul)).toString("latin1");
    },
  };
}

/** Optional value (`T*` in the .x): u32 0 for absent, 1 followed by the value. Absent is `null`. */
export function optional<T>(c: Codec<T>): Codec<T | null> {
  return {
    encode(w, v) {
      if (v === null || v === undefined) {
        w.uint(0);
      } else {
        w.uint(1);
        c.encode(w, v);
      }
    },
    decode(r) {
      const flag = r.uint();
      if (flag === 0) return null;
      if (flag !== 1) r.fail(`optional flag must be 0 or 1, got ${flag}`);
      return c.decode(r);
    },
  };
}

/** Variable array (`T x<N>`): u32 count, then the elements. */
export function array<T>(c: Codec<T>, max: number): Codec<T[]> {
  return {
    encode(w, v) {
      if (v.length > max) throw new XdrError(`array longer than ${max} elements`);
      w.uint(v.length);
      for (const item of v) c.encode(w, item);
    },
    decode(r) {
      const n = r.length(max);
      // Every element takes at least 4 bytes: refuse counts the payload cannot hold before allocating.
      if (n * 4 > r.remaining) r.fail(`array of ${n} elements cannot fit in ${r.remaining} bytes`);
      const out: T[] = new Array(n);
      for (let i = 0; i < n; i++) {
        r.path.push(`[${i}]`);
        out[i] = c.decode(r);
        r.path.pop();
      }
      return out;
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous fields; struct() infers each one's type
type Fields = Record<string, Codec<any>>;
export type StructOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** A struct: its fields in declaration order (object key order, which JavaScript keeps for string keys). */
export function struct<F extends Fields>(fields: F): Codec<StructOf<F>> {
  const entries = Object.entries(fields);
  return {
    encode(w, v) {
      for (const [name, c] of entries) {
        try {
          c.encode(w, (v as Record<string, unknown>)[name]);
        } catch (e) {
          if (e instanceof XdrError && !e.message.startsWith(".")) throw new XdrError(`.${name}: ${e.message}`);
          throw e;
        }
      }
    },
    decode(r) {
      const out: Record<string, unknown> = {};
      for (const [name, c] of entries) {
        r.path.push(`.${name}`);
        out[name] = c.decode(r);
        r.path.pop();
      }
      return out as StructOf<F>;
    },
  };
}

/** A discriminated union on an `int` tag (e.g. `remote_typed_param_value`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous arms; T names the union
export function union<T extends { type: number; value: unknown }>(arms: Record<number, Codec<any>>): Codec<T> {
  return {
    encode(w, v) {
      const arm = arms[v.type];
      if (!arm) throw new XdrError(`union has no arm ${v.type}`);
      w.int(v.type);
      arm.encode(w, v.value);
    },
    decode(r) {
      const type = r.int();
      const arm = arms[type];
      if (!arm) r.fail(`union has no arm ${type}`);
      return { type, value: arm.decode(r) } as T;
    },
  };
}

/** Decodes a whole buffer; trailing bytes are an error (a sign the table does not match the daemon). */
export function decodeAll<T>(c: Codec<T>, buf: Buffer, start = 0, end = buf.length): T {
  const r = new XdrReader(buf, start, end);
  const v = c.decode(r);
  if (r.remaining !== 0) r.fail(`${r.remaining} trailing bytes`);
  return v;
}
