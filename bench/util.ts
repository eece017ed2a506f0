import { execFileSync } from "node:child_process";

/** Debian's python3, which has python3-libvirt (a pyenv python on PATH would not). */
export const PYTHON = "/usr/bin/python3";

export function requirePythonLibvirt(): void {
  try {
    execFileSync(PYTHON, ["-c", "import libvirt"], { stdio: "ignore" });
  } catch {
    throw new Error("the reference C client is missing: apt-get install -y python3-libvirt");
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
