import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupAll, uniqueName, virsh, virshMaybe } from "../../tools/support/host";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../../tools/support/pulumi-cli";

// A Domain's graphics password under the real pulumi CLI: ciphertext in `pulumi stack export` (inputs and
// outputs, never the plain value anywhere, the serialized provider included), never printed by preview or up,
// and changed live on the running domain (virsh --security-info judges).
const URI = "qemu:///system";

describe("graphics password under the real pulumi CLI: secret in the state and the plan", function () {
  this.timeout(300000);
  const name = uniqueName("cligfx");
  // What the fixture program makes (VNC passwords have at most 8 characters); unique per run, so a plain copy
  // anywhere would be found.
  const first = `a${name.slice(-7)}`;
  const second = `b${name.slice(-7)}`;
  let p: CliProject;
  const password = () => /passwd='([^']*)'/.exec(virsh(URI, "dumpxml", "--security-info", name))?.[1];

  before(async function () {
    const cli = cliOrSkip(this);
    const fixture = join(REPO, "test", "fixtures", "cli", "graphics");
    p = await CliWorkspace.get(cli).project("graphics", join(fixture, "index.ts"), join(fixture, "Pulumi.yaml"));
    Object.assign(p.config, { "virt:uri": URI, name, variant: "one" });
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

  it("a VNC password longer than 8 characters is refused at preview, without printing it", async () => {
    const long = `toolong-${name.slice(-7)}`;
    p.config["variant"] = "long";
    const err = await p.preview().then(
      () => assert.fail("preview accepted a 15-character VNC password"),
      (e: Error) => e,
    );
    assert.match(err.message, /a VNC password may have at most 8 characters .* this one has 15/);
    assert.ok(!err.message.includes(long), err.message);
    assert.equal(virshMaybe(URI, "domstate", name), null, "nothing defined");
    p.config["variant"] = "one";
  });

  it("up: the domain has the password; the state holds it only as ciphertext; nothing printed it", async () => {
    const r = await p.up();
    assert.deepEqual(r.ops, { vm: "create" }, r.text);
    assert.equal(password(), first);
    assert.ok(!r.text.includes(first), r.text);
    const { text, resources } = await p.exportState();
    const at = text.indexOf(first);
    assert.equal(
      at,
      -1,
      `no plain password anywhere in the checkpoint (inputs, outputs, __provider); found in: …${text.slice(Math.max(0, at - 300), at + 50)}…`,
    );
    const vm = resources.find((x) => x.urn.endsWith("::vm"))!;
    for (const bag of [vm.inputs!, vm.outputs!]) {
      const v = bag["graphics"] as { [k: string]: unknown };
      assert.equal(v["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "a secret value");
      assert.equal(typeof v["ciphertext"], "string");
    }
  });

  it("a new password: preview and up never print either value; it is changed live on the running domain", async () => {
    const id = virsh(URI, "domid", name);
    p.config["variant"] = "two";
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
