import assert from "node:assert/strict";
import { chmodSync, chownSync, statSync, writeFileSync } from "node:fs";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";

// Why system files are refused as disks: libvirt's DAC driver chowns a disk's file to the QEMU user at start and,
// for a read-only disk, never gives it back. Measured here on a file of our own, then the refusal.
describe("virt:Domain file disks: read-only files change owner for good, so system files are refused (qemu:///system)", function () {
  this.timeout(120000);
  const dir = tempDir("srf-ro");
  const name = uniqueName("srf-ro");
  before(() => setReporter(() => undefined));
  after(async () => {
    await cleanupAll([
      () => {
        virshMaybe(URI, "destroy", name);
        virshMaybe(URI, "undefine", name);
      },
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  it("libvirt chowns a read-only disk's root-owned file at start and leaves it so after the domain stops", async () => {
    chmodSync(dir.path, 0o755); // QEMU runs as its own user: it must reach the directory
    const file = `${dir.path}/base.img`;
    writeFileSync(file, Buffer.alloc(1024 * 1024));
    chownSync(file, 0, 0);
    const r = await domain.check(
      {},
      { connection: { uri: URI }, name, type: "qemu", memory: "64MiB", shutdownTimeout: 0, disks: [{ file, readonly: true, format: "raw" }] },
    );
    assert.deepEqual(r.failures, []);
    const { id, outs } = await domain.create(r.inputs);
    assert.equal(virsh(URI, "domstate", name), "running");
    const running = statSync(file);
    assert.notEqual(running.uid, 0, "chowned to the QEMU user while running");
    await domain.delete(id, { ...r.inputs, ...outs });
    const after = statSync(file);
    assert.equal(after.uid, running.uid, "not given back after the domain stopped");
  });

  it("refuses at check a disk file under a system directory, saying why, before anything runs", async () => {
    for (const [file, readonly, re] of [
      ["/etc/shadow", true, /under \/etc.*never gives a read-only disk's file back/],
      ["/usr/share/images/base.img", true, /under \/usr/],
      ["/boot//vmlinuz.img", false, /under \/boot.*gives it back only when the domain stops cleanly/],
      ["/root/./disk.img", false, /under \/root/],
    ] as const) {
      const r = await domain.check({}, { name: "pvt-srf-x", type: "qemu", memory: "64MiB", disks: [{ file, readonly }] });
      assert.deepEqual(
        r.failures.map((f) => f.property),
        ["disks[0].file"],
        file,
      );
      assert.match(r.failures[0]!.reason, re);
      assert.match(r.failures[0]!.reason, /copy it into a pool \(a Volume with source:/);
    }
    const cd = await domain.check({}, { name: "pvt-srf-x", type: "qemu", memory: "64MiB", disks: [{ file: "/usr/share/x.iso", device: "cdrom" }] });
    assert.match(cd.failures[0]!.reason, /never gives a read-only disk's file back/);
    const ok = await domain.check(
      {},
      { name: "pvt-srf-x", type: "qemu", memory: "64MiB", disks: [{ file: "/var/lib/libvirt/images/a.img", readonly: true }, { file: "/srv/b.img" }] },
    );
    assert.deepEqual(ok.failures, []);
  });
});
