import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { closeAll } from "../../provider/resources/connections";
import { setReporter } from "../../provider/resources/provider";
import { domainSnapshot } from "../../provider/resources/snapshot";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../tools/support/host";

// What libxl (Xen's libvirt driver) does with a DomainSnapshot, on the Xen host of the Xen stage (PVT_XEN_URI):
// it implements no snapshot call, and the resource says so, naming itself and the host, with nothing taken.
const URI = process.env["PVT_XEN_URI"] ?? "";

describe("Xen suite: DomainSnapshot on libxl", function () {
  this.timeout(300000);
  const name = uniqueName("xensnap");
  const dir = tempDir("xensnap");

  before(() => {
    if (URI === "") throw new Error("PVT_XEN_URI is not set: run test/xen-host/ci.sh (it boots the Xen host and sets it)");
    setReporter(() => undefined);
    const xml = join(dir.path, "dom.xml");
    writeFileSync(
      xml,
      `<domain type='xen'><name>${name}</name><memory unit='MiB'>64</memory><os><type>linux</type><kernel>/var/lib/xen/images/vmlinuz</kernel></os></domain>`,
    );
    virsh(URI, "define", xml);
  });
  after(async () => {
    if (URI === "") return dir.remove();
    await cleanupAll([() => void virshMaybe(URI, "undefine", name), () => closeAll(), () => dir.remove()]);
  });

  it("is refused by the driver with a clear error; nothing is taken", async () => {
    const r = await domainSnapshot.check({}, { connection: { uri: URI }, domain: name, name: "s1" });
    assert.deepEqual(r.failures, []);
    await assert.rejects(domainSnapshot.create(r.inputs), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(
          `^virt:DomainSnapshot ${name}/s1: the libvirt driver on xen\\+tcp://[^ ]+ does not support snapshots \\(.*not supported.*\\); nothing was taken$`,
        ),
      );
      return true;
    });
    assert.equal(virsh(URI, "domstate", name), "shut off");
  });
});
