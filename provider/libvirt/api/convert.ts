import { ArgumentError } from "../errors";

/** A UUID as 16 bytes, from either bytes or the usual 36-character text form. */
export function uuidBytes(uuid: Buffer | string): Buffer {
  if (Buffer.isBuffer(uuid)) return uuid;
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ArgumentError(`not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(hex, "hex");
}

/** The text form of a 16-byte UUID. */
export function uuidString(bytes: Buffer): string {
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A 64-bit count from the wire as a JS number, refusing values that would lose precision. */
export function toSafeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${what} ${v} does not fit a JavaScript number exactly`);
  }
  return Number(v);
}

/** Accepts a bigint or a non-negative integer number for a 64-bit argument. */
export function toU64(v: bigint | number, what: string): bigint {
  if (typeof v === "bigint") {
    if (v < 0n) throw new ArgumentError(`${what} must not be negative, got ${v}`);
    return v;
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new ArgumentError(`${what} must be a non-negative integer, got ${v}`);
  return BigInt(v);
}
