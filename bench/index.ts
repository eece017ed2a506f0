/** `npm run bench -- <name>`: benchmarks that print ratios against a reference measured in the same run. */
import { benchDomains } from "./domains";
import { benchMultihost } from "./multihost";
import { benchRpc } from "./rpc";

const benches: Record<string, () => Promise<void>> = { rpc: benchRpc, domains: benchDomains, multihost: benchMultihost };

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  // multihost needs the test bed (scripts/hosts.sh, root): only when named.
  const run = names.length > 0 ? names : Object.keys(benches).filter((n) => n !== "multihost");
  for (const name of run) {
    const b = benches[name];
    if (!b) throw new Error(`unknown bench ${name}; known: ${Object.keys(benches).join(", ")}`);
    await b();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
