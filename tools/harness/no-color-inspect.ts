/**
 * Preload for the program process (`node --require <this file> cmd/run ...`).
 *
 * When a program fails, `@pulumi/pulumi/cmd/run/error.js` formats the error with
 * `util.inspect(err, { colors: true })`, twice. On Node 20.20.x that call spins for about 18 s on the SDK's
 * source-mapped frame `node_modules/@pulumi/resource.ts` before throwing (nodejs/node#64011, fixed upstream by
 * nodejs/node#64022), so every failing program took ~45 s. Forcing `colors: false` avoids the slow path; the
 * output is the same text without ANSI colours. See docs/pulumi-mechanics.md §4.4.
 *
 * Only the harness uses this: users on an affected Node version see the delay with the real CLI too.
 */
// `import = require` keeps the real module object (an `import * as` namespace copy would not patch it).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself (patched below), not an interop copy
import util = require("node:util");

const original = util.inspect;

function inspect(this: unknown, value: unknown, ...rest: unknown[]): string {
  const opts = rest[0];
  if (opts !== null && typeof opts === "object" && (opts as util.InspectOptions).colors) {
    rest[0] = { ...(opts as util.InspectOptions), colors: false };
  }
  return (original as (...a: unknown[]) => string).call(this, value, ...rest);
}

// Carry over `custom`, `colors`, `styles` and the `defaultOptions` accessor, so that the replacement is
// indistinguishable to other callers.
for (const key of Reflect.ownKeys(original)) {
  if (key === "length" || key === "name" || key === "prototype") continue;
  Object.defineProperty(inspect, key, Object.getOwnPropertyDescriptor(original, key)!);
}

util.inspect = inspect as unknown as typeof util.inspect;
