import { createHash, Hash } from "node:crypto";
import { lookup as dnsLookup, LookupAddress } from "node:dns";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { get as httpGet, IncomingMessage, RequestOptions } from "node:http";
import { get as httpsGet } from "node:https";
import { formatSize } from "../../diff";
import { ipVersion, parseIPv4, parseIPv6 } from "../ip";

/** Bytes to put into a new volume: a local file or an http(s) URL, as a stream of chunks with a known size. */
export interface SourceData {
  size: number;
  chunks: AsyncIterable<Buffer>;
}

/** Redirects followed before a source is given up on. */
export const MAX_REDIRECTS = 5;

/** `sha256:<64 hex>` or `sha512:<128 hex>`. */
export const CHECKSUM_RE = /^(sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128})$/;

/**
 * Why a source may not be fetched from this address, or undefined. Link-local addresses (169.254.0.0/16,
 * fe80::/10) are where cloud metadata services answer (169.254.169.254 hands out credentials), so a URL (or a
 * redirect) pointing there is refused, as are the other well-known metadata addresses. IPv4-mapped IPv6
 * addresses are judged as the IPv4 address they carry.
 */
export function forbiddenAddress(address: string): string | undefined {
  let v4 = ipVersion(address) === 4 ? address : undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) v4 = mapped[1];
  if (v4 !== undefined) {
    const n = parseIPv4(v4);
    if (n === undefined) return undefined;
    if (n >>> 16 === ((169 << 8) | 254)) return `${address} is a link-local address (169.254.0.0/16), where cloud metadata services answer`;
    if (v4 === "100.100.100.200") return `${address} is a cloud metadata service address`;
    return undefined;
  }
  if (ipVersion(address) === 6) {
    const n = parseIPv6(address);
    if (n === undefined) return undefined;
    if (n >> 118n === 0x3fan) return `${address} is a link-local address (fe80::/10)`;
    if (n === parseIPv6("fd00:ec2::254")) return `${address} is a cloud metadata service address`;
  }
  return undefined;
}

type LookupFn = (hostname: string, options: { all: true }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for http.get that resolves the host and refuses the connection when any address it resolves to is
 * forbidden: the check is on the address actually connected to (no second resolution to race), before any
 * packet is sent.
 */
export function guardedLookup(resolve: LookupFn = dnsLookup as unknown as LookupFn): RequestOptions["lookup"] {
  return ((hostname: string, options: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname, { all: true }, (err, addresses) => {
      if (err) return cb(err, "", 0);
      const bad = addresses.map((a) => forbiddenAddress(a.address)).find((p) => p !== undefined);
      if (bad !== undefined) return cb(new ForbiddenSourceError(`${hostname} resolves to ${bad}; refused before connecting`), "", 0);
      if (options.all) return cb(null, addresses);
      cb(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as RequestOptions["lookup"];
}

export class ForbiddenSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenSourceError";
  }
}

/** Why this URL may not be fetched, judged without any network traffic (scheme; an address literal), or undefined. */
export function urlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `${url}: only http and https sources are fetched`;
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (ipVersion(host) !== 0) {
    const bad = forbiddenAddress(host);
    if (bad !== undefined) return `${url}: ${bad}; refused before connecting`;
  }
  return undefined;
}

/** One GET, without following redirects; the host's addresses are checked as it connects. */
function getOnce(url: string, lookup: RequestOptions["lookup"]): Promise<IncomingMessage> {
  const problem = urlProblem(url);
  if (problem !== undefined) return Promise.reject(new ForbiddenSourceError(problem));
  const get = url.startsWith("https:") ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { lookup }, resolve);
    req.on("error", reject);
  });
}

/**
 * Fetches a URL, following up to MAX_REDIRECTS redirects itself so every hop is checked the same way (scheme,
 * address literal, and each resolved address) before anything is sent to it.
 */
export async function fetchGuarded(url: string, label: string, lookup: RequestOptions["lookup"] = guardedLookup()): Promise<IncomingMessage> {
  let current = url;
  for (let hop = 0; ; hop++) {
    let res: IncomingMessage;
    try {
      res = await getOnce(current, lookup);
    } catch (e) {
      const via = current === url ? "" : ` (redirected from ${url})`;
      throw new Error(`${label}: source ${current}${via}: ${(e as Error).message}`, { cause: e });
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location !== undefined) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new Error(`${label}: source ${url} redirected more than ${MAX_REDIRECTS} times; give the final URL`);
      current = new URL(res.headers.location, current).toString();
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new Error(`${label}: source ${current} answered HTTP ${status} ${res.statusMessage ?? ""}`.trimEnd());
    }
    return res;
  }
}

/**
 * Opens a volume's `source`. URLs are fetched through fetchGuarded; the size must be announced. With a
 * checksum, the bytes are verified as they stream: a mismatch fails at the end of the stream (the volume
 * receiving them is then deleted by its creator).
 */
export async function openSource(source: string, label: string, checksum?: string): Promise<SourceData> {
  let data: SourceData;
  if (/^https?:\/\//.test(source)) {
    const res = await fetchGuarded(source, label);
    const len = Number(res.headers["content-length"]);
    if (!Number.isSafeInteger(len) || len <= 0) {
      res.destroy();
      throw new Error(`${label}: source ${source} did not announce its size (Content-Length); download it and use the file path instead`);
    }
    data = { size: len, chunks: res as AsyncIterable<Buffer> };
  } else {
    if (!source.startsWith("/")) throw new Error(`${label}: source "${source}" must be an absolute file path or an http(s) URL`);
    const st = await stat(source).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${label}: cannot read source ${source}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
    });
    if (!st.isFile()) throw new Error(`${label}: source ${source} is not a regular file`);
    data = { size: st.size, chunks: createReadStream(source, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer> };
  }
  return checksum === undefined ? data : { size: data.size, chunks: verified(data.chunks, checksum, source, label) };
}

/** Passes chunks through, hashing them; after the last one, throws when the digest is not `checksum`. */
export async function* verified(chunks: AsyncIterable<Buffer>, checksum: string, source: string, label: string): AsyncGenerator<Buffer> {
  const [algorithm, expected] = checksum.split(":") as [string, string];
  const hash: Hash = createHash(algorithm);
  for await (const c of chunks) {
    hash.update(c);
    yield c;
  }
  const actual = hash.digest("hex");
  if (actual !== expected.toLowerCase())
    throw new Error(`${label}: source ${source} has ${algorithm} ${actual}, not the checksum ${expected.toLowerCase()}; the volume is not kept`);
}

/** Passes chunks through, reporting progress every 10% for sources of 64 MiB and more. */
export async function* withProgress(chunks: AsyncIterable<Buffer>, size: number, report: (line: string) => void, label: string): AsyncGenerator<Buffer> {
  let sent = 0;
  let next = 10;
  const loud = size >= 64 * 1024 * 1024;
  for await (const c of chunks) {
    sent += c.length;
    if (loud && (sent * 100) / size >= next) {
      report(`${label}: uploaded ${formatSize(sent - (sent % 1048576)) || `${sent}B`} of ${formatSize(size)} (${next}%)`);
      next += 10;
    }
    yield c;
  }
}
