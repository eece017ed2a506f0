import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo, Socket } from "node:net";
import { closeAll } from "../../../provider/resources/connections";
import { Props, setReporter } from "../../../provider/resources/provider";
import { volume } from "../../../provider/resources/volume";
import { forbiddenAddress, guardedLookup } from "../../../provider/resources/volume/source";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("virt:Volume source: no link-local or metadata fetches (also after redirects), checksums", function () {
  this.timeout(120000);
  const lines: string[] = [];
  const dir = tempDir("srf-src");
  const pool = uniqueName("srf-src");
  const payload = randomBytes(256 * 1024);
  let http: Server;
  let base = "";
  /** Every TCP connection this process tries while the guard is on: host, port. */
  const connects: string[] = [];
  const realConnect = Socket.prototype.connect;

  before(async () => {
    setReporter((l) => lines.push(l));
    virsh(URI, "pool-define-as", pool, "dir", "--target", `${dir.path}/images`);
    virsh(URI, "pool-build", pool);
    virsh(URI, "pool-start", pool);
    http = createServer((req, res) => {
      const to = (location: string) => res.writeHead(302, { location }).end();
      if (req.url === "/disk.raw") res.writeHead(200, { "content-length": String(payload.length) }).end(payload);
      else if (req.url === "/hop1") to("/hop2");
      else if (req.url === "/hop2") to(`${base}/disk.raw`);
      else if (req.url === "/to-metadata") to("http://169.254.169.254/latest/meta-data/");
      else if (req.url === "/to-link-local-v6") to("http://[fe80::1]/disk.raw");
      else if (req.url === "/loop") to("/loop");
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    // A guard for this test itself: record every connection and let only 127.0.0.1 through, so nothing here
    // can ever send a packet anywhere else, whatever the code under test does.
    Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      const opts = (typeof first === "object" && first !== null ? first : { port: first, host: args[1] }) as { host?: string; port?: number; path?: string };
      // A unix socket (the libvirt connection) has a path and no port; HTTP's options carry the request path too.
      if (opts.port !== undefined) {
        connects.push(`${opts.host ?? "localhost"}:${opts.port}`);
        if (opts.host !== "127.0.0.1") {
          process.nextTick(() => this.destroy(new Error(`test guard: connection to ${opts.host} blocked`)));
          return this;
        }
      }
      return (realConnect as (...a: unknown[]) => Socket).apply(this, args);
    } as typeof Socket.prototype.connect;
  });
  after(async () => {
    Socket.prototype.connect = realConnect;
    await cleanupAll([
      () => new Promise<void>((r) => http.close(() => r())),
      () => {
        for (const v of (virshMaybe(URI, "vol-list", pool, "--name") ?? "")
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean))
          virshMaybe(URI, "vol-delete", "--pool", pool, v);
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-undefine", pool);
      },
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  async function checked(news: Props): Promise<Props> {
    const r = await volume.check({}, { connection: { uri: URI }, pool, format: "raw", ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }
  const gone = (name: string) => virshMaybe(URI, "vol-info", "--pool", pool, name) === null;

  it("judges addresses without traffic: 169.254.0.0/16, fe80::/10 and metadata addresses are forbidden", () => {
    for (const a of ["169.254.169.254", "169.254.0.1", "::ffff:169.254.169.254", "fe80::1", "febf::1", "fd00:ec2::254", "100.100.100.200"])
      assert.ok(forbiddenAddress(a), a);
    for (const a of ["127.0.0.1", "10.0.0.1", "169.253.255.255", "169.255.0.1", "fec0::1", "::1", "2001:db8::1"])
      assert.equal(forbiddenAddress(a), undefined, a);
  });

  it("refuses a host name that resolves to a link-local address before connecting (the resolved address is checked)", async () => {
    const fake = (answer: { address: string; family: number }[]) => (_h: string, _o: unknown, cb: (e: null, a: typeof answer) => void) => cb(null, answer);
    const lookup = guardedLookup(
      fake([
        { address: "10.1.2.3", family: 4 },
        { address: "169.254.169.254", family: 4 },
      ]) as never,
    )!;
    const err = await new Promise<Error | null>((r) =>
      (lookup as unknown as (h: string, o: object, cb: (e: Error | null) => void) => void)("metadata.internal", {}, r),
    );
    assert.match(String(err), /metadata\.internal resolves to 169\.254\.169\.254 is a link-local address .*refused before connecting/);
    const ok = guardedLookup(fake([{ address: "127.0.0.1", family: 4 }]) as never)!;
    const got = await new Promise<unknown[]>((r) =>
      (ok as unknown as (h: string, o: object, cb: (...a: unknown[]) => void) => void)("localhost", {}, (...a) => r(a)),
    );
    assert.deepEqual(got, [null, "127.0.0.1", 4]);
  });

  it("refuses a link-local URL at check (preview), and a local source file that does not exist", async () => {
    for (const [source, re] of [
      ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is a link-local address/],
      ["http://[fe80::1]/disk.raw", /fe80::1 is a link-local address/],
      [`${dir.path}/no-such.img`, /does not exist on the machine running Pulumi/],
      ["relative.img", /must be an absolute file path/],
    ] as const) {
      const r = await volume.check({}, { pool, name: "x.raw", format: "raw", source });
      assert.deepEqual(
        r.failures.map((f) => f.property),
        ["source"],
        source,
      );
      assert.match(r.failures[0]!.reason, re);
    }
    const bad = await volume.check({}, { pool, name: "x.raw", capacity: 1, source: `${base}/disk.raw`, checksum: "md5:abc" });
    assert.deepEqual(
      bad.failures.map((f) => f.reason),
      ['"md5:abc" is not "sha256:" and 64 hex digits, or "sha512:" and 128'],
    );
    const alone = await volume.check({}, { pool, name: "x.raw", capacity: 1, checksum: sha256(payload) });
    assert.deepEqual(
      alone.failures.map((f) => f.reason),
      ["verifies a source; give source, or remove checksum"],
    );
    assert.deepEqual(connects, [], "check made no connection");
  });

  it("follows redirects on 127.0.0.1 and verifies the checksum", async () => {
    const name = uniqueName("srf-hop") + ".raw";
    const { id, outs } = await volume.create(await checked({ name, source: `${base}/hop1`, checksum: sha256(payload) }));
    assert.equal(outs["capacityBytes"], payload.length);
    assert.ok(connects.length > 0 && connects.every((c) => c.startsWith("127.0.0.1:")), `the guard sees the connections: ${connects.join(", ")}`);
    await volume.delete(id, outs);
  });

  it("refuses a redirect to a metadata or link-local address before connecting to it; the volume is not created", async () => {
    for (const [path, re] of [
      ["/to-metadata", /169\.254\.169\.254 is a link-local address/],
      ["/to-link-local-v6", /fe80::1 is a link-local address/],
    ] as const) {
      connects.length = 0;
      const name = uniqueName("srf-ll") + ".raw";
      await assert.rejects(volume.create(await checked({ name, source: `${base}${path}` })), (e: Error) => {
        assert.match(e.message, re);
        assert.match(e.message, /refused before connecting/);
        assert.match(e.message, new RegExp(`redirected from ${base}${path}`));
        return true;
      });
      // Only the 127.0.0.1 server that redirected was ever connected to (the guard would have named any other).
      assert.ok(
        connects.every((c) => c.startsWith("127.0.0.1:")),
        connects.join(", "),
      );
      assert.ok(gone(name));
    }
    await assert.rejects(volume.create(await checked({ name: "pvt-srf-loop.raw", source: `${base}/loop` })), /redirected more than 5 times/);
  });

  it("a download or a local file whose bytes do not match the checksum fails, and its volume is deleted", async () => {
    const wrong = sha256(Buffer.from("something else"));
    const name = uniqueName("srf-sum") + ".raw";
    await assert.rejects(volume.create(await checked({ name, source: `${base}/disk.raw`, checksum: wrong })), /has sha256 [0-9a-f]{64}, not the checksum/);
    assert.ok(gone(name));
    const file = `${dir.path}/local.img`;
    writeFileSync(file, payload);
    const local = uniqueName("srf-sum") + ".raw";
    await assert.rejects(volume.create(await checked({ name: local, source: file, checksum: wrong })), /not the checksum/);
    assert.ok(gone(local));
    const ok = await volume.create(await checked({ name: local, source: file, checksum: sha256(payload).toUpperCase().replace("SHA256", "sha256") }));
    await volume.delete(ok.id, ok.outs);
  });
});
