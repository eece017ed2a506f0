/** Sizes: bytes as numbers, or strings with libvirt's units. 1 K/KiB = 1024, 1 KB = 1000 (libvirt's rule). */

const UNITS: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
  p: 1024 ** 5,
  pib: 1024 ** 5,
  pb: 1000 ** 5,
};

/** Parses a size; returns bytes, or an error text saying what is allowed. */
export function parseSize(v: unknown): { bytes: number } | { error: string } {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) return { error: `must be a whole number of bytes ≥ 0, got ${v}` };
    return { bytes: v };
  }
  if (typeof v !== "string") return { error: `must be a number of bytes or a string like "10GiB", got ${typeof v}` };
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(v);
  if (!m) return { error: `"${v}" is not a size; write bytes (1073741824) or a number with a unit ("1GiB", "512MiB", "10G")` };
  const unit = (m[2] ?? "").toLowerCase();
  const factor = unit === "" ? 1 : UNITS[unit];
  if (factor === undefined) return { error: `"${v}" has an unknown unit "${m[2]}"; use B, KiB, MiB, GiB, TiB (or K, M, G, T), or KB, MB, GB, TB` };
  const bytes = Number(m[1]) * factor;
  if (!Number.isSafeInteger(bytes)) return { error: `"${v}" is not a whole number of bytes` };
  return { bytes };
}

/** Writes bytes the way people read them: the largest binary unit that divides exactly ("20GiB", "1536MiB"). */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [
    ["PiB", 1024 ** 5],
    ["TiB", 1024 ** 4],
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ];
  for (const [name, f] of units) if (bytes >= f && bytes % f === 0) return `${bytes / f}${name}`;
  return `${bytes}B`;
}
