import { execFileSync } from "node:child_process";

/**
 * A random N for a 10.213.N.0/24 network that no route on the host uses yet (other tests' and stacks' networks
 * use the same range), so isolated networks made at the same time do not collide.
 */
export function freeSubnet(): number {
  const routes = execFileSync("ip", ["-4", "route"], { encoding: "utf8" });
  const used = new Set([...routes.matchAll(/\b10\.213\.(\d+)\./g)].map((m) => Number(m[1])));
  for (let tries = 0; tries < 500; tries++) {
    const n = 2 + Math.floor(Math.random() * 250);
    if (!used.has(n)) return n;
  }
  throw new Error("no free 10.213.N.0/24 subnet");
}
