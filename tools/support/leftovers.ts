/**
 * What a stack with a unique name prefix left on the host, found and removed with virsh (the C client, not
 * ours): the stack tests' and the demo's last line of cleanup, after a destroy through the stack, and their
 * proof that a destroy left nothing.
 */
import { removeDomain, virshMaybe } from "./host";

/** Objects whose names start with the prefix, by kind; volumes as `pool/volume` (in any pool). */
export interface Leftovers {
  domains: string[];
  networks: string[];
  pools: string[];
  volumes: string[];
}

const names = (out: string | null) =>
  (out ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** Lists every domain, network, pool and volume (in every active pool) named `prefix…` on the host. */
export function findLeftovers(uri: string, prefix: string): Leftovers {
  const mine = (n: string) => n.startsWith(prefix);
  const allPools = names(virshMaybe(uri, "pool-list", "--all", "--name"));
  const volumes: string[] = [];
  for (const pool of allPools) {
    // vol-list prints "name path" lines; an inactive pool has none to list.
    for (const line of names(virshMaybe(uri, "vol-list", pool))) {
      const vol = line.split(/\s+/)[0]!;
      if (mine(vol) || mine(pool)) volumes.push(`${pool}/${vol}`);
    }
  }
  return {
    domains: names(virshMaybe(uri, "list", "--all", "--name")).filter(mine),
    networks: names(virshMaybe(uri, "net-list", "--all", "--name")).filter(mine),
    pools: allPools.filter(mine),
    volumes,
  };
}

/** True when nothing named `prefix…` is left. */
export function isClean(l: Leftovers): boolean {
  return l.domains.length + l.networks.length + l.pools.length + l.volumes.length === 0;
}

/**
 * Removes everything named `prefix…`: domains forced off and undefined, then volumes, pools and networks.
 * Each removal is attempted even when an earlier one failed; returns what is still there afterwards.
 */
export function removeLeftovers(uri: string, prefix: string): Leftovers {
  const l = findLeftovers(uri, prefix);
  for (const d of l.domains) removeDomain(uri, d);
  for (const v of l.volumes) {
    const [pool, vol] = [v.slice(0, v.indexOf("/")), v.slice(v.indexOf("/") + 1)];
    virshMaybe(uri, "vol-delete", "--pool", pool, vol);
  }
  for (const p of l.pools) {
    virshMaybe(uri, "pool-destroy", p);
    virshMaybe(uri, "pool-delete", p);
    virshMaybe(uri, "pool-undefine", p);
  }
  for (const n of l.networks) {
    virshMaybe(uri, "net-destroy", n);
    virshMaybe(uri, "net-undefine", n);
  }
  return findLeftovers(uri, prefix);
}

/** One line per kind that has leftovers, e.g. `domains: a, b`; empty when clean. */
export function describeLeftovers(l: Leftovers): string {
  return (Object.entries(l) as [string, string[]][])
    .filter(([, v]) => v.length > 0)
    .map(([k, v]) => `${k}: ${v.join(", ")}`)
    .join("\n");
}
