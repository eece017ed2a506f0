/** `npm run bench -- <name>`: benchmarks that print ratios against a reference measured in the same run. */
import { benchDomains } from "./domains";
import { benchRpc } from "./rpc";

const benches: Record<string, () => Promise<void>> = { rpc: benchRpc, domains: benchDomains };

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const run = names.length > 0 ? names : Object.keys(benches);
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
