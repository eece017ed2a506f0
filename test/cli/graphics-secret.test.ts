import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupAll, uniqueName, virsh, virshMaybe } from "../support/host";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../support/pulumi-cli";

// A Domain's graphics password under the real pulumi CLI: ciphertext in `pulumi stack export` (inputs and
// outputs, never the plain value anywhere, the serialized provider included), never printed by preview or up,
// and changed live on the running domain (virsh --security-info judges).
const URI = "qemu:///system";

describe("graphics password under the real pulumi CLI: secret in the state and the plan", function () {
  this.timeout(300000);
  const name = uniqueName("cligfx");
  const first = `pw-${name.slice(-6)}-one`;
  const second = `pw-${name.slice(-6)}-two`;
  let p: CliProject;
  const password = () => /passwd='([^']*)'/.exec(virsh(URI, "dumpxml", "--security-info", name))?.[1];

  before(async function () {
    const cli = cliOrSkip(this);
    const fixture = join(REPO, "test", "fixtures", "cli", "graphics");
    p = await CliWorkspace.get(cli).project("graphics", join(fixture, "index.ts"), join(fixture, "Pulumi.yaml"));
    Object.assign(p.config, { "virt:uri": URI, name, vncPassword: first });
  });
  after(async () => {
    await cleanupAll([
      () => p?.cleanup(),
      () => {
        virshMaybe(URI, "destroy", name);
        virshMaybe(URI, "undefine", name);
      },
    ]);
  });

  it("up: the domain has the password; the state holds it only as ciphertext; nothing printed it", async () => {
    const r = await p.up();
    assert.deepEqual(r.ops, { vm: "create" }, r.text);
    assert.equal(password(), first);
    assert.ok(!r.text.includes(first), r.text);
    const { text, resources } = await p.exportState();
    assert.ok(!text.includes(first), "no plain password anywhere in the checkpoint (inputs, outputs, __provider)");
    const vm = resources.find((x) => x.urn.endsWith("::vm"))!;
    for (const bag of [vm.inputs!, vm.outputs!]) {
      const v = bag["graphics"] as { [k: string]: unknown };
      assert.equal(v["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "a secret value");
      assert.equal(typeof v["ciphertext"], "string");
    }
  });

  it("a new password: preview and up never print either value; it is changed live on the running domain", async () => {
    const id = virsh(URI, "domid", name);
    p.config["vncPassword"] = second;
    const pre = await p.preview("--diff");
    assert.deepEqual(pre.ops, { vm: "update" }, pre.text);
    for (const pw of [first, second]) assert.ok(!pre.text.includes(pw), pre.text);
    const r = await p.up();
    for (const pw of [first, second]) assert.ok(!r.text.includes(pw), r.text);
    assert.equal(password(), second);
    assert.equal(virsh(URI, "domid", name), id, "live: not restarted");
    const { text } = await p.exportState();
    assert.ok(!text.includes(second) && !text.includes(first));
  });
});
