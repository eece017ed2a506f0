import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { truncateSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { setReporter } from "../../../provider/resources/provider";
import { volume } from "../../../provider/resources/volume";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";
const MiB = 1024 * 1024;

describe("virt:Volume against qemu:///system", function () {
  this.timeout(120000);
  const lines: string[] = [];
  const dir = tempDir("vol-res");
  const pool = uniqueName("pool");
  let lv: Libvirt;
  let http: Server;
  let httpPort = 0;
  const payload = randomBytes(3 * MiB);

  before(async () => {
    setReporter((l) => lines.push(l));
    virsh(URI, "pool-define-as", pool, "dir", "--target", `${dir.path}/images`);
    virsh(URI, "pool-build", pool);
    virsh(URI, "pool-start", pool);
    lv = await Libvirt.connect(URI);
    http = createServer((req, res) => {
      if (req.url === "/disk.raw") {
        res.writeHead(200, { "content-length": String(payload.length) });
        res.end(payload);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    httpPort = (http.address() as AddressInfo).port;
  });
  after(async () => {
    await cleanupAll([
      () => new Promise<void>((r) => http.close(() => r())),
      () => {
        for (const v of virsh(URI, "vol-list", pool)
          .split("\n")
          .map((l) => l.trim().split(/\s+/)[0])
          .filter(Boolean))
          virshMaybe(URI, "vol-delete", "--pool", pool, v!);
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-undefine", pool);
      },
      () => lv.close(),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
    const r = await volume.check(olds, { connection: { uri: URI }, pool, ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }
  async function bytesOf(key: string, length: number): Promise<Buffer> {
    return lv.volumes.downloadToBuffer(await lv.volumes.lookupByKey(key), { length });
  }

  it("grows in place and keeps the data; shrinking is refused unless allowed", async () => {
    const name = uniqueName("vol") + ".raw";
    const inputs = await checked({ name, capacity: "4MiB", format: "raw" });
    const { id, outs } = await volume.create(inputs);
    assert.equal(outs["capacityBytes"], 4 * MiB);
    const data = randomBytes(MiB);
    await lv.volumes.upload(await lv.volumes.lookupByKey(id), data);

    const grown = await checked({ name, capacity: "8MiB", format: "raw" }, outs);
    assert.deepEqual(await volume.diff(id, outs, grown), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.ok(lines.includes(`virt:Volume ${name}: capacity 4MiB → 8MiB (grown in place)`), lines.join("\n"));
    const up = await volume.update(id, outs, grown);
    assert.equal(up.outs["capacityBytes"], 8 * MiB);
    assert.match(virsh(URI, "vol-info", "--pool", pool, name, "--bytes"), /Capacity:\s+8388608 bytes/);
    assert.ok((await bytesOf(id, MiB)).equals(data), "the bytes written before growing are still there");

    const smaller = await volume.check(up.outs, { connection: { uri: URI }, pool, name, capacity: "2MiB", format: "raw" });
    assert.equal(smaller.failures.length, 1);
    assert.match(smaller.failures[0]!.reason, /capacity 8MiB → 2MiB would shrink the volume.*set allowShrink: true/);

    const allowed = await checked({ name, capacity: "6MiB", format: "raw", allowShrink: true }, up.outs);
    const shrunk = await volume.update(id, up.outs, allowed);
    assert.equal(shrunk.outs["capacityBytes"], 6 * MiB);

    const read = await volume.read(id, shrunk.outs);
    assert.deepEqual(await volume.diff(id, read.props, allowed), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await volume.diff(id, read.props, { ...allowed, format: "qcow2" }), { changes: true, replaces: ["format"], deleteBeforeReplace: true });

    await volume.delete(id, shrunk.outs);
    assert.equal(virshMaybe(URI, "vol-info", "--pool", pool, name), null);
    assert.deepEqual(await volume.read(id, shrunk.outs), { id: "", props: {} });
  });

  it("makes a copy-on-write overlay of a base volume and a full clone of it", async () => {
    const base = await volume.create(await checked({ name: uniqueName("base") + ".raw", format: "raw", capacity: "2MiB" }));
    const pattern = randomBytes(MiB);
    await lv.volumes.upload(await lv.volumes.lookupByKey(base.id), pattern);

    const overlayName = uniqueName("cow") + ".qcow2";
    const cow = await volume.create(await checked({ name: overlayName, backingStore: { volume: base.outs["name"] as string } }));
    const xml = virsh(URI, "vol-dumpxml", "--pool", pool, overlayName);
    assert.match(xml, new RegExp(`<backingStore>\\s*<path>${base.outs["path"]}</path>\\s*<format type='raw'/>`));
    assert.equal(cow.outs["capacityBytes"], 2 * MiB, "capacity defaults to the backing volume's");

    const clone = await volume.create(await checked({ name: uniqueName("clone") + ".raw", format: "raw", cloneOf: { volume: base.outs["name"] as string } }));
    assert.ok((await bytesOf(clone.id, MiB)).equals(pattern), "the clone holds the base's bytes");
    for (const v of [clone, cow, base]) await volume.delete(v.id, v.outs);
  });

  it("fills a volume from a local file and from an http URL on 127.0.0.1, growing to the declared capacity", async () => {
    const file = `${dir.path}/src.raw`;
    writeFileSync(file, payload);
    const fromFile = await volume.create(await checked({ name: uniqueName("file") + ".raw", format: "raw", source: file, capacity: "4MiB" }));
    assert.equal(fromFile.outs["capacityBytes"], 4 * MiB);
    assert.ok((await bytesOf(fromFile.id, payload.length)).equals(payload));

    const fromUrl = await volume.create(await checked({ name: uniqueName("url") + ".raw", format: "raw", source: `http://127.0.0.1:${httpPort}/disk.raw` }));
    assert.equal(fromUrl.outs["capacityBytes"], payload.length);
    assert.ok((await bytesOf(fromUrl.id, payload.length)).equals(payload));

    const missing = await checked({ name: uniqueName("bad") + ".raw", format: "raw", source: `http://127.0.0.1:${httpPort}/nope` });
    await assert.rejects(volume.create(missing), /answered HTTP 404/);
    assert.equal(virshMaybe(URI, "vol-info", "--pool", pool, missing["name"] as string), null, "nothing is left behind");
    for (const v of [fromFile, fromUrl]) await volume.delete(v.id, v.outs);
  });

  it("creates 10 volumes in one pool at once", async () => {
    const all = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => volume.create(await checked({ name: `${uniqueName("par")}-${i}.qcow2`, capacity: "16MiB" }))),
    );
    assert.equal(new Set(all.map((v) => v.id)).size, 10);
    await Promise.all(all.map((v) => volume.delete(v.id, v.outs)));
  });

  it("refuses an existing name unless adopt is set, then manages the existing volume", async () => {
    const name = uniqueName("adopt") + ".qcow2";
    virsh(URI, "vol-create-as", pool, name, "8M", "--format", "qcow2");
    const inputs = await checked({ name, capacity: "8MiB" });
    await assert.rejects(volume.create(inputs), new RegExp(`a volume named "${name}" already exists in pool "${pool}".*set adopt: true`));
    const { id, outs } = await volume.create({ ...inputs, adopt: true });
    assert.equal(outs["capacityBytes"], 8 * MiB);
    const grown = await volume.update(id, outs, await checked({ name, capacity: "16MiB", adopt: true }, outs));
    assert.equal(grown.outs["capacityBytes"], 16 * MiB);
    await volume.delete(id, grown.outs);
    assert.equal(virshMaybe(URI, "vol-info", "--pool", pool, name), null);
  });

  it("reports upload progress for large sources", async () => {
    const file = `${dir.path}/big.raw`;
    writeFileSync(file, Buffer.alloc(0));
    truncateSync(file, 64 * MiB); // sparse: 64 MiB of zeros, cheap to make
    lines.length = 0;
    const big = await volume.create(await checked({ name: uniqueName("big") + ".raw", format: "raw", source: file }));
    const progress = lines.filter((l) => l.includes("uploaded"));
    assert.ok(progress.length >= 9, progress.join("\n"));
    assert.match(progress.at(-1)!, /uploaded 64MiB of 64MiB \(100%\)/);
    await volume.delete(big.id, big.outs);
  });

  it("refuses bad combinations before touching the host", async () => {
    const r = await volume.check({}, { pool, name: "x.qcow2", backingStore: { path: "/a.qcow2" }, cloneOf: { volume: "y" }, format: "raw" });
    const reasons = r.failures.map((f) => f.reason).join("\n");
    assert.match(reasons, /backingStore and cloneOf cannot be combined/);
    assert.match(reasons, /format "raw" cannot have a backing store/);
    const empty = await volume.check({}, { pool, name: "x.qcow2" });
    assert.match(`${empty.failures[0]!.property}: ${empty.failures[0]!.reason}`, /^capacity: is required for an empty volume/);
  });
});
