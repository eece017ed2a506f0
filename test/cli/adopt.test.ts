import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../tools/support/host";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../../tools/support/pulumi-cli";
import { freeSubnet } from "../../tools/support/subnet";

// `pulumi import` cannot work for dynamic resources (pulumi/pulumi#16175: the import's Read carries no
// serialized provider). `adopt: true` is how a stack takes over an object that already exists — shown here
// under the real CLI with a network made by virsh (test/fixtures/cli/adopt).
const URI = "qemu:///system";

describe("adopt: true under the real pulumi CLI (instead of pulumi import)", function () {
  this.timeout(300000);
  const name = uniqueName("cliadopt");
  const subnet = freeSubnet();
  const dir = tempDir("cliadopt");
  let p: CliProject;
  let uuid = "";

  before(async function () {
    const cli = cliOrSkip(this);
    const fixture = join(REPO, "test", "fixtures", "cli", "adopt");
    p = await CliWorkspace.get(cli).project("adopt", join(fixture, "index.ts"), join(fixture, "Pulumi.yaml"));
    Object.assign(p.config, { "virt:uri": URI, name, subnet: String(subnet) });
    const xml = join(dir.path, "net.xml");
    writeFileSync(xml, `<network><name>${name}</name><ip address='10.213.${subnet}.1' prefix='24'/></network>`);
    virsh(URI, "net-define", xml);
    virsh(URI, "net-start", name);
    uuid = virsh(URI, "net-uuid", name);
  });

  after(async () => {
    await cleanupAll([
      () => p?.cleanup(),
      () => {
        virshMaybe(URI, "net-destroy", name);
        virshMaybe(URI, "net-undefine", name);
      },
      () => dir.remove(),
    ]);
  });

  it("pulumi up takes over the existing network (same UUID, still running), and a second up changes nothing", async () => {
    const r = await p.up();
    assert.deepEqual(r.ops, { existing: "create" }, r.text);
    assert.equal(virsh(URI, "net-uuid", name), uuid, "the same network, not a new one");
    assert.match(virsh(URI, "net-info", name), /Active:\s+yes/);
    assert.equal((await p.outputs())["uuid"], uuid);
    const again = await p.up();
    assert.deepEqual(again.ops, { existing: "same" }, again.text);
    // From now on the stack owns it: destroy removes it.
    await p.destroy();
    assert.equal(virshMaybe(URI, "net-info", name), null);
  });
});
