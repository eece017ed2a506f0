import { closeAll } from "../../provider/resources/connections";
import { setReporter } from "../../provider/resources/provider";
import { cleanupAll, removeDomain } from "../../tools/support/host";

/** What a file of Domain resource tests shares: the provider's report lines, and the domains it made. */
export interface DomainFixture {
  /** Every line the provider reported (plans, waits, notes), in order; tests may clear it. */
  lines: string[];
  /** Names of the domains the tests made: push each before creating it. */
  names: string[];
}

/**
 * The hooks every Domain resource test file needs; call it in the describe body. Before: the provider's report
 * lines go to `lines`. After the file, even when a test failed: every domain in `names` destroyed and undefined
 * (with its NVRAM where the driver takes `--nvram`), then `extra` cleanups (pools, networks, files), then the
 * connection cache closed. Every step runs; the first failure is rethrown at the end.
 */
export function domainFixture(uri: string, extra: (() => unknown)[] = []): DomainFixture {
  const f: DomainFixture = { lines: [], names: [] };
  before(() => setReporter((l) => f.lines.push(l)));
  after(async () => {
    await cleanupAll([
      () => {
        for (const n of f.names) removeDomain(uri, n);
      },
      ...extra,
      () => closeAll(),
    ]);
  });
  return f;
}
