import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { closeAll } from "../../../provider/resources/connections";
import { storagePool } from "../../../provider/resources/pool";
import { Props, setReporter } from "../../../provider/resources/provider";
import { volume } from "../../../provider/resources/volume";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";
const MiB = 1024 * 1024;

describe("virt:StoragePool and virt:Volume: what delete removes, system directories, usage is not drift", function () {
  this.timeout(120000);
  const lines: string[] = [];
  const dir = tempDir("srf-storage");
  const pools: string[] = [];
  before(() => setReporter((l) => lines.push(l)));
  after(async () => {
    await cleanupAll([
      () => {
        for (const name of pools) {
          if (virshMaybe(URI, "pool-info", name) === null) continue;
          for (const v of (virshMaybe(URI, "vol-list", name, "--name") ?? "").split("\n").filter(Boolean))
            virshMaybe(URI, "vol-delete", "--pool", name, v.trim());
          virshMaybe(URI, "pool-destroy", name);
          virshMaybe(URI, "pool-undefine", name);
        }
      },
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  async function checked(r: { check(o: Props, n: Props): Promise<{ inputs: Props; failures: unknown[] }> }, news: Props): Promise<Props> {
    const c = await r.check({}, { connection: { uri: URI }, ...news });
    assert.deepEqual(c.failures, []);
    return c.inputs;
  }

  it("a dir pool on a directory that existed before it: delete leaves the directory (and its other files)", async () => {
    const name = uniqueName("srf-pool");
    pools.push(name);
    const path = `${dir.path}/${name}`;
    mkdirSync(path);
    const { id, outs } = await storagePool.create(await checked(storagePool, { name, target: { path } }));
    assert.equal(outs["builtTarget"], false, "the directory was there: not ours to remove");
    assert.match(virsh(URI, "pool-info", name), /State:\s+running/);
    await storagePool.delete(id, outs);
    assert.equal(virshMaybe(URI, "pool-info", name), null);
    assert.ok(existsSync(path), "the pre-existing directory is still there");
  });

  it("a dir pool whose directory it built: delete removes that directory", async () => {
    const name = uniqueName("srf-pool");
    pools.push(name);
    const path = `${dir.path}/${name}`;
    const { id, outs } = await storagePool.create(await checked(storagePool, { name, target: { path, permissions: { mode: "0750" } } }));
    assert.equal(outs["builtTarget"], true);
    assert.equal(execFileSync("stat", ["-c", "%a", path], { encoding: "utf8" }).trim(), "750");
    await storagePool.delete(id, outs);
    assert.equal(existsSync(path), false);
  });

  it("refuses a pool directory that is a system directory, or inside /etc, /proc, /sys, /dev, /boot, /run", async () => {
    for (const path of ["/", "/etc", "/etc/", "/usr//", "/var/lib", "/home", "/proc/x", "/etc/pools/a", "/boot/images", "/./tmp"]) {
      const r = await storagePool.check({}, { name: "pvt-srf-x", target: { path } });
      assert.equal(r.failures.length, 1, `${path}: ${JSON.stringify(r.failures)}`);
      assert.equal(r.failures[0]!.property, "target.path");
      assert.match(r.failures[0]!.reason, /a system directory; a dir pool builds, fills and on delete removes its target/);
    }
    const fs = await storagePool.check({}, { name: "pvt-srf-x", type: "fs", target: { path: "/mnt" }, source: { device: "/dev/sdz" } });
    assert.match(fs.failures.map((f) => f.reason).join("\n"), /a fs pool mounts a filesystem over its target/);
    // Targets that are not directories we make are left to libvirt: an LVM pool lives under /dev.
    assert.deepEqual(
      (await storagePool.check({}, { name: "pvt-srf-x", type: "logical", target: { path: "/dev/pvtvg" }, source: { name: "pvtvg" } })).failures,
      [],
    );
    assert.deepEqual((await storagePool.check({}, { name: "pvt-srf-x", target: { path: "/var/lib/libvirt/images" } })).failures, []);
  });

  it("refresh reports no drift when the pool's and a volume's usage change; the adopt plan says delete removes the file", async () => {
    const name = uniqueName("srf-pool");
    pools.push(name);
    const path = `${dir.path}/${name}`;
    const pool = await storagePool.create(await checked(storagePool, { name, target: { path } }));
    const vin = await checked(volume, { name: "data.qcow2", pool: name, capacity: "16MiB", format: "qcow2" });
    const vol = await volume.create(vin);
    const volOuts = { ...vin, ...vol.outs };
    // Writes into the image (past its qcow2 header) and a second, fully allocated volume: allocation and free space change.
    execFileSync("dd", ["if=/dev/urandom", `of=${vol.outs["path"] as string}`, "bs=1M", "seek=1", "count=8", "conv=notrunc", "status=none"]);
    virsh(URI, "vol-create-as", name, "full.raw", "8M", "--allocation", "8M", "--format", "raw");
    virsh(URI, "pool-refresh", name);
    const liveAlloc = Number(/^Allocation:\s+([\d.]+)/m.exec(virsh(URI, "vol-info", "--bytes", "--pool", name, "data.qcow2"))![1]);
    assert.ok(liveAlloc >= 8 * MiB && liveAlloc > (vol.outs["allocationBytes"] as number), `${liveAlloc} vs ${String(vol.outs["allocationBytes"])}`);

    const p = await storagePool.read(pool.id, { ...pool.outs });
    for (const k of ["allocation", "available", "capacity"]) assert.equal(p.props[k], pool.outs[k], k);
    const v = await volume.read(vol.id, volOuts);
    assert.equal(v.props["allocationBytes"], vol.outs["allocationBytes"]);
    assert.equal(v.props["capacityBytes"], 16 * MiB);

    lines.length = 0;
    await checked(volume, { name: "full.raw", pool: name, capacity: "8MiB", format: "raw", adopt: true });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0]!,
      /^virt:Volume full\.raw: adopt: true takes over an existing object of this name; .*deletes the volume and the data in its file.*retainOnDelete: true/,
    );
    lines.length = 0;
    await volume.check({ ...volOuts }, { ...vin, adopt: true });
    assert.deepEqual(lines, [], "said once, when the resource is new");

    virsh(URI, "vol-delete", "--pool", name, "full.raw");
    await volume.delete(vol.id, volOuts);
    await storagePool.delete(pool.id, pool.outs);
  });
});
