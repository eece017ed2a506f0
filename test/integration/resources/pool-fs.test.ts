import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { truncateSync, writeFileSync, mkdirSync } from "node:fs";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { storagePool } from "../../../provider/resources/pool";
import { setReporter } from "../../../provider/resources/provider";
import { volume } from "../../../provider/resources/volume";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// An fs pool on a loop device: libvirt formats it (only when it holds no filesystem) and mounts it.
const URI = "qemu:///system";

function mounted(path: string): boolean {
  try {
    execFileSync("findmnt", ["-n", path], { stdio: "ignore" });
    return true;
  } catch {
    return false; // findmnt exits 1 when nothing is mounted there
  }
}

describe("virt:StoragePool of type fs on a loop device", function () {
  this.timeout(120000);
  const dir = tempDir("fspool");
  const loops: string[] = [];
  const pools: string[] = [];
  let lv: Libvirt;

  function loopDevice(name: string): string {
    const img = `${dir.path}/${name}.img`;
    writeFileSync(img, "");
    truncateSync(img, 64 * 1024 * 1024);
    const dev = execFileSync("losetup", ["--find", "--show", img], { encoding: "utf8" }).trim();
    loops.push(dev);
    return dev;
  }

  before(async () => {
    setReporter(() => undefined);
    lv = await Libvirt.connect(URI);
  });
  after(async () => {
    await cleanupAll([
      () => {
        for (const p of pools) {
          for (const v of (virshMaybe(URI, "vol-list", p) ?? "")
            .split("\n")
            .map((l) => l.trim().split(/\s+/)[0])
            .filter((n) => n && n !== "lost+found")) {
            virshMaybe(URI, "vol-delete", "--pool", p, v!);
          }
          virshMaybe(URI, "pool-destroy", p);
          virshMaybe(URI, "pool-undefine", p);
        }
      },
      () => {
        for (const l of loops) execFileSync("losetup", ["-d", l]);
      },
      () => lv.close(),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  it("formats an empty device, mounts it, holds volumes, and is deleted when they are gone", async () => {
    const name = uniqueName("fspool");
    pools.push(name);
    const dev = loopDevice(name);
    const mnt = `${dir.path}/${name}-mnt`;
    mkdirSync(mnt);
    const inputs = await storagePool.check({}, { name, type: "fs", target: { path: mnt }, source: { device: dev, format: "ext4" }, connection: { uri: URI } });
    assert.deepEqual(inputs.failures, []);
    const { id, outs } = await storagePool.create(inputs.inputs);
    assert.match(execFileSync("findmnt", ["-n", "-o", "SOURCE,FSTYPE", mnt], { encoding: "utf8" }), new RegExp(`${dev}\\s+ext4`));
    const read = await storagePool.read(id, outs);
    assert.deepEqual(await storagePool.diff(id, read.props, inputs.inputs), { changes: false, replaces: [], deleteBeforeReplace: false });

    const v = await volume.create((await volume.check({}, { name: "disk.qcow2", pool: name, capacity: "8MiB", connection: { uri: URI } })).inputs);
    await assert.rejects(storagePool.delete(id, outs), /still holds 1 volume\(s\).*disk\.qcow2/);
    await volume.delete(v.id, v.outs);
    await storagePool.delete(id, outs);
    assert.equal(virshMaybe(URI, "pool-info", name), null);
    assert.equal(mounted(mnt), false, "stopping the pool unmounted it");
  });

  it("never formats a device that already holds a filesystem: it mounts it, and someone's file blocks the delete", async () => {
    const name = uniqueName("fspool");
    pools.push(name);
    const dev = loopDevice(name);
    execFileSync("mkfs.ext4", ["-q", "-F", dev]);
    const pre = `${dir.path}/${name}-pre`;
    mkdirSync(pre);
    execFileSync("mount", [dev, pre]);
    writeFileSync(`${pre}/precious.img`, "someone's data");
    execFileSync("umount", [pre]);

    const mnt = `${dir.path}/${name}-mnt`;
    mkdirSync(mnt);
    const inputs = (await storagePool.check({}, { name, type: "fs", target: { path: mnt }, source: { device: dev }, connection: { uri: URI } })).inputs;
    const { id, outs } = await storagePool.create(inputs);
    assert.match(virsh(URI, "vol-list", name), /precious\.img/, "the existing file is there: nothing was formatted");
    await assert.rejects(storagePool.delete(id, outs), /this stack does not manage: precious\.img/);
    virsh(URI, "vol-delete", "--pool", name, "precious.img");
    await storagePool.delete(id, outs);
  });
});
