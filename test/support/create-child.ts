/**
 * Runs one resource create in its own process, so a test can kill "the provider" (SIGKILL) in the middle of it:
 * `node create-child.js <module> <export> <json props>`. Prints "created <id>" and exits 0 on success.
 */
async function main(): Promise<void> {
  const [mod, exp, json] = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the resource module is chosen at run time
  const impl = require(`../../provider/resources/${mod}`)[exp!];
  const { inputs, failures } = await impl.check({}, JSON.parse(json!));
  if (failures.length > 0) throw new Error(JSON.stringify(failures));
  const r = await impl.create(inputs);
  process.stdout.write(`created ${r.id}\n`);
  process.exit(0);
}
main().catch((e) => {
  process.stderr.write(`create failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
