import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { formatSize } from "../../diff";

/** Bytes to put into a new volume: a local file or an http(s) URL, as a stream of chunks with a known size. */
export interface SourceData {
  size: number;
  chunks: AsyncIterable<Buffer>;
}

/** Opens a volume's `source`. URLs are fetched with Node's built-in fetch; the size must be announced. */
export async function openSource(source: string, label: string): Promise<SourceData> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source);
    if (!res.ok || res.body === null) throw new Error(`${label}: source ${source} answered HTTP ${res.status} ${res.statusText}`);
    const len = Number(res.headers.get("content-length"));
    if (!Number.isSafeInteger(len) || len <= 0) {
      throw new Error(`${label}: source ${source} did not announce its size (Content-Length); download it and use the file path instead`);
    }
    return { size: len, chunks: toBuffers(res.body as unknown as AsyncIterable<Uint8Array>) };
  }
  if (!source.startsWith("/")) throw new Error(`${label}: source "${source}" must be an absolute file path or an http(s) URL`);
  const st = await stat(source).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${label}: cannot read source ${source}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  });
  if (!st.isFile()) throw new Error(`${label}: source ${source} is not a regular file`);
  return { size: st.size, chunks: createReadStream(source, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer> };
}

async function* toBuffers(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const c of body) yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
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
