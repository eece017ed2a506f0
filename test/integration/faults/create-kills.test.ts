/**
 * Issue 10 §3 a, b, c, e against a real libvirtd: the daemon or the provider is killed at each step of a create,
 * for every resource type; the next create resumes what carries this resource's mark and refuses what does not;
 * an error never claims a rollback that did not happen; a partial upload is never adopted; a delete waits out a
 * daemon restart. The daemon is a private one (test/support/private-daemon.ts): the system libvirtd is never
 * touched. Every step is struck exactly through a packet-level proxy (test/support/rpc-proxy.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Libvirt } from "../../../provider/libvirt/client";
import { Proc } from "../../../provider/libvirt/protocol/procedures";
import { closeAll } from "../../../provider/resources/connections";
import { journal, markPrefix } from "../../../provider/resources/ownership";
import { ResourceImpl, setReporter } from "../../../provider/resources/provider";
import { cloudInitDisk } from "../../../provider/resources/cloudinit";
import { domain } from "../../../provider/resources/domain";
import { network } from "../../../provider/resources/network";
import { storagePool } from "../../../provider/resources/pool";
import { volume } from "../../../provider/resources/volume";
import { PrivateDaemon } from "../../support/private-daemon";
import { RpcProxy } from "../../support/rpc-proxy";

type Raw = Record<string, unknown>;
const child = join(__dirname, "..", "..", "support", "create-child.js");

describe("faults: kills at each step of a create (private libvirtd)", function () {
  this.timeout(180000);
  let daemon: PrivateDaemon;
  let proxy: RpcProxy;
  let journalDir: string;
  let source: string;
  let sourceHash: string;
  const reported: string[] = [];
  const owner = (what: string) => `pvt-flt-project/test/${what}/${randomBytes(3).toString("hex")}`;
  const name = (what: string) => `pvt-flt-${what}-${randomBytes(3).toString("hex")}`;
  const POOL = "pvt-flt-pool";

  before(async () => {
    daemon = new PrivateDaemon("kills");
    await daemon.start();
    proxy = new RpcProxy(daemon.dir, daemon.socket);
    await proxy.start();
    journalDir = join(daemon.dir, "journal");
    process.env["PULUMI_VIRT_STATE_DIR"] = journalDir;
    mkdirSync(join(daemon.dir, "images"));
    daemon.virsh("pool-define-as", POOL, "dir", "--target", join(daemon.dir, "images"));
    daemon.virsh("pool-start", POOL);
    source = join(daemon.dir, "source.img");
    const bytes = randomBytes(6 << 20);
    writeFileSync(source, bytes);
    sourceHash = createHash("sha256").update(bytes).digest("hex");
    setReporter((l) => reported.push(l));
  });

  after(async () => {
    setReporter((line) => process.stderr.write(`${line}\n`));
    delete process.env["PULUMI_VIRT_STATE_DIR"];
    await closeAll();
    await proxy?.stop().catch(() => undefined);
    await daemon?.stop();
  });

  const proxied = () => ({ uri: proxy.uri() });

  async function create(impl: ResourceImpl, raw: Raw): Promise<{ id: string; outs: Raw }> {
    const { inputs, failures } = await impl.check({}, raw);
    assert.deepEqual(failures, []);
    return impl.create(inputs);
  }

  /** Runs the create in a child process through the proxy; the proxy kills the child once the daemon answered `procedure`. */
  async function killProviderAfter(mod: string, exp: string, raw: Raw, rule: { reply: number } | { streamPackets: number }): Promise<void> {
    let pid = 0;
    const then = () => {
      process.kill(pid, "SIGKILL");
    };
    proxy.arm("reply" in rule ? { on: "reply", procedure: rule.reply, then } : { on: "stream", count: rule.streamPackets, then });
    const p = spawn(process.execPath, [child, mod, exp, JSON.stringify({ ...raw, connection: proxied() })], {
      env: { ...process.env, PULUMI_VIRT_STATE_DIR: journalDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    pid = p.pid!;
    let out = "";
    p.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => p.once("exit", (c, s) => r([c, s])));
    assert.equal(signal, "SIGKILL", `the provider was to be killed mid-create, but it ended with ${code}: ${out}`);
    assert.ok(proxy.fired);
  }

  /** The create through the proxy; the proxy kills the daemon when the client calls `procedure`, and restarts it `restartAfterMs` later (never when null). */
  async function killDaemonAt(
    impl: ResourceImpl,
    raw: Raw,
    rule: { call: number } | { streamPackets: number },
    restartAfterMs: number | null,
  ): Promise<{ error: Error | undefined; restarted: Promise<void> }> {
    let restarted: Promise<void> = Promise.resolve();
    // Runs synchronously when the rule fires, so `restarted` is the restart of this very kill.
    const then = (): Promise<void> =>
      (restarted = (async () => {
        await daemon.kill();
        if (restartAfterMs === null) return;
        await new Promise((r) => setTimeout(r, restartAfterMs));
        await daemon.start();
      })());
    proxy.arm("call" in rule ? { on: "call", procedure: rule.call, then } : { on: "stream", count: rule.streamPackets, then });
    const error = await create(impl, { ...raw, connection: proxied() }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(proxy.fired, `the daemon was killed (the create ended with: ${error?.message ?? "success"})`);
    await restarted;
    return { error, restarted };
  }

  const count = (list: string[], n: string) => list.filter((x) => x === n).length;
  const lines = (out: string | null) =>
    (out ?? "")
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0]!)
      .filter(Boolean);
  const domains = () => lines(daemon.virshMaybe("list", "--all", "--name"));
  const networks = () => lines(daemon.virshMaybe("net-list", "--all", "--name"));
  const pools = () => lines(daemon.virshMaybe("pool-list", "--all", "--name"));
  const volumes = () => lines(daemon.virshMaybe("vol-list", POOL));
  const uuidOf = (kind: string, n: string) => daemon.virsh(kind === "domain" ? "domuuid" : kind === "network" ? "net-uuid" : "pool-uuid", n);

  /** The claim an error makes about its rollback matches the host. */
  function assertTruthful(err: Error | undefined, present: boolean): void {
    if (err === undefined) return;
    if (/removed again|was deleted|it was deleted/.test(err.message))
      assert.equal(present, false, `the error claims the rollback happened but the object is still there: ${err.message}`);
    if (/left defined|left in the pool/.test(err.message)) assert.equal(present, true, `the error says the object was left but it is gone: ${err.message}`);
  }

  const netRaw = (n: string, o: string, octet: number): Raw => ({
    name: n,
    mode: "isolated",
    bridge: { name: `pvtflt${octet}` },
    ips: [{ address: `10.251.${octet}.1`, prefix: 24 }],
    __owner: o,
  });
  const domRaw = (n: string, o: string): Raw => ({ name: n, type: "qemu", memory: "64MiB", vcpus: 1, running: true, shutdownTimeout: 2, __owner: o });
  const poolRaw = (n: string, o: string): Raw => ({ name: n, type: "dir", target: { path: join(daemon.dir, n) }, __owner: o });
  const volRaw = (n: string, o: string): Raw => ({ name: n, pool: POOL, format: "raw", source, __owner: o });
  const seedRaw = (n: string, o: string): Raw => ({ name: n, pool: POOL, userData: "#cloud-config\nhostname: flt\n", __owner: o });

  describe("the provider is killed (b)", () => {
    const cases: {
      what: string;
      kind: "domain" | "network" | "pool";
      impl: ResourceImpl;
      mod: string;
      exp: string;
      raw: (n: string, o: string) => Raw;
      after: number;
      list: () => string[];
    }[] = [
      {
        what: "Network, after its definition",
        kind: "network",
        impl: network,
        mod: "network",
        exp: "network",
        raw: (n, o) => netRaw(n, o, 11),
        after: Proc.NETWORK_DEFINE_XML_FLAGS.number,
        list: networks,
      },
      {
        what: "Network, after it started",
        kind: "network",
        impl: network,
        mod: "network",
        exp: "network",
        raw: (n, o) => netRaw(n, o, 12),
        after: Proc.NETWORK_CREATE.number,
        list: networks,
      },
      {
        what: "Domain, after its definition",
        kind: "domain",
        impl: domain,
        mod: "domain",
        exp: "domain",
        raw: domRaw,
        after: Proc.DOMAIN_DEFINE_XML_FLAGS.number,
        list: domains,
      },
      {
        what: "Domain, after it started",
        kind: "domain",
        impl: domain,
        mod: "domain",
        exp: "domain",
        raw: domRaw,
        after: Proc.DOMAIN_CREATE_WITH_FLAGS.number,
        list: domains,
      },
      {
        what: "StoragePool, after its definition",
        kind: "pool",
        impl: storagePool,
        mod: "pool",
        exp: "storagePool",
        raw: poolRaw,
        after: Proc.STORAGE_POOL_DEFINE_XML.number,
        list: pools,
      },
      {
        what: "StoragePool, after it was built",
        kind: "pool",
        impl: storagePool,
        mod: "pool",
        exp: "storagePool",
        raw: poolRaw,
        after: Proc.STORAGE_POOL_BUILD.number,
        list: pools,
      },
    ];
    for (const c of cases) {
      it(`${c.what}: the next create resumes the marked object; another resource's create is refused`, async () => {
        const n = name(c.kind);
        const o = owner(c.kind);
        await killProviderAfter(c.mod, c.exp, c.raw(n, o), { reply: c.after });
        assert.equal(count(c.list(), n), 1, "the interrupted create left the object (the orphan of the trial)");
        const left = uuidOf(c.kind, n);
        assert.ok(left.startsWith(`${markPrefix(c.kind, o, n)}-`), "it carries this resource's mark");
        await assert.rejects(create(c.impl, { ...c.raw(n, owner("other")), connection: proxied() }), /already exists.*set adopt: true/);
        const r = await create(c.impl, { ...c.raw(n, o), connection: proxied() });
        assert.equal(r.id, left, "the object was taken over, not made again");
        assert.equal(uuidOf(c.kind, n), r.id);
        assert.equal(count(c.list(), n), 1);
        assert.ok(
          reported.some((l) => l.includes(n) && /resuming an interrupted create/.test(l)),
          reported.join("\n"),
        );
        if (c.kind === "domain") assert.equal(daemon.virsh("domstate", n), "running");
        if (c.kind === "network") assert.match(daemon.virsh("net-info", n), /Active:\s+yes/);
        if (c.kind === "pool") assert.match(daemon.virsh("pool-info", n), /State:\s+running/);
      });
    }

    it("Volume, mid-upload: a partial volume is never adopted, and the next create of the same resource uploads again (c)", async () => {
      const n = name("vol");
      const o = owner("vol");
      await killProviderAfter("volume", "volume", volRaw(n, o), { streamPackets: 4 });
      assert.equal(count(volumes(), n), 1, "the partial volume is there");
      await assert.rejects(create(volume, { ...volRaw(n, owner("other")), connection: proxied() }), /already exists.*set adopt: true/);
      await assert.rejects(create(volume, { ...volRaw(n, owner("other")), adopt: true, connection: proxied() }), /not adopted: .*partial upload/);
      await assert.rejects(
        create(volume, { ...volRaw(n, owner("other")), adopt: true, checksum: `sha256:${sourceHash}`, connection: proxied() }),
        new RegExp(`not adopted: .* are not the checksum ${sourceHash}`),
      );
      const r = await create(volume, { ...volRaw(n, o), connection: proxied() });
      assert.equal(r.outs["capacityBytes"], 6 << 20);
      const lv = await Libvirt.connect(daemon.uri);
      try {
        const vol = await lv.volumes.lookupByKey(r.id);
        assert.equal(
          createHash("sha256")
            .update(await lv.volumes.downloadToBuffer(vol))
            .digest("hex"),
          sourceHash,
        );
      } finally {
        await lv.close();
      }
      // A complete volume with the right bytes is adopted by anyone who asks.
      const again = await create(volume, { ...volRaw(n, owner("adopter")), adopt: true, connection: proxied() });
      assert.equal(again.id, r.id);
      const checked = await create(volume, { ...volRaw(n, owner("adopter")), adopt: true, checksum: `sha256:${sourceHash}`, connection: proxied() });
      assert.equal(checked.id, r.id);
    });

    it("Volume, after it was created (before any data): the next create makes it again", async () => {
      const n = name("vol");
      const o = owner("vol");
      await killProviderAfter("volume", "volume", volRaw(n, o), { reply: Proc.STORAGE_VOL_CREATE_XML.number });
      assert.equal(count(volumes(), n), 1);
      const r = await create(volume, { ...volRaw(n, o), connection: proxied() });
      assert.equal(r.outs["capacityBytes"], 6 << 20);
      assert.equal(count(volumes(), n), 1);
    });

    it("CloudInitDisk, after its volume was created: the next create writes the seed again", async () => {
      const n = `${name("seed")}.iso`;
      const o = owner("seed");
      await killProviderAfter("cloudinit", "cloudInitDisk", seedRaw(n, o), { reply: Proc.STORAGE_VOL_CREATE_XML.number });
      assert.equal(count(volumes(), n), 1);
      await assert.rejects(create(cloudInitDisk, { ...seedRaw(n, owner("other")), connection: proxied() }), /already exists.*set adopt: true/);
      const r = await create(cloudInitDisk, { ...seedRaw(n, o), connection: proxied() });
      assert.ok((r.outs["size"] as number) > 0);
      assert.equal(count(volumes(), n), 1);
    });
  });

  describe("the daemon is killed (a, b, c)", () => {
    it("Network being started, the daemon down until the create gave up: the error says the definition was left, and the next up resumes it", async () => {
      const n = name("net");
      const o = owner("net");
      const { error } = await killDaemonAt(network, netRaw(n, o, 21), { call: Proc.NETWORK_CREATE.number }, null);
      assert.ok(error, "the create failed");
      assert.doesNotMatch(error.message, /removed again/);
      assert.match(error.message, /left defined on the host, and the next up resumes it/);
      await daemon.start();
      assert.equal(count(networks(), n), 1, "what the error said is true");
      const left = uuidOf("network", n);
      const r = await create(network, { ...netRaw(n, o, 21), connection: proxied() });
      assert.equal(r.id, left, "the network was taken over, not made again");
      assert.match(daemon.virsh("net-info", n), /Active:\s+yes/);
    });

    const cases: {
      what: string;
      impl: ResourceImpl;
      kind: "domain" | "network" | "pool";
      raw: (n: string, o: string) => Raw;
      at: number;
      list: () => string[];
    }[] = [
      { what: "Network being started", impl: network, kind: "network", raw: (n, o) => netRaw(n, o, 22), at: Proc.NETWORK_CREATE.number, list: networks },
      { what: "Domain being defined", impl: domain, kind: "domain", raw: domRaw, at: Proc.DOMAIN_DEFINE_XML_FLAGS.number, list: domains },
      { what: "Domain being started", impl: domain, kind: "domain", raw: domRaw, at: Proc.DOMAIN_CREATE_WITH_FLAGS.number, list: domains },
      { what: "StoragePool being started", impl: storagePool, kind: "pool", raw: poolRaw, at: Proc.STORAGE_POOL_CREATE.number, list: pools },
    ];
    for (const c of cases) {
      it(`${c.what}, the daemon back a moment later: the error tells the truth, and the next create converges`, async () => {
        const n = name(c.kind);
        const o = owner(c.kind);
        const { error } = await killDaemonAt(c.impl, c.raw(n, o), { call: c.at }, 500);
        assert.ok(error, "the create failed");
        assertTruthful(error, count(c.list(), n) === 1);
        const r = await create(c.impl, { ...c.raw(n, o), connection: proxied() });
        assert.ok(r.id.startsWith(`${markPrefix(c.kind, o, n)}-`));
        assert.equal(count(c.list(), n), 1);
      });
    }

    it("Volume mid-upload: the upload fails instead of hanging, its partial volume is deleted once the daemon is back, and the next create uploads it whole (c)", async () => {
      const n = name("vol");
      const o = owner("vol");
      const { error } = await killDaemonAt(volume, volRaw(n, o), { streamPackets: 4 }, 500);
      assert.ok(error, "the create failed");
      assert.match(error.message, /filling from .* failed/);
      assertTruthful(error, count(volumes(), n) === 1);
      const r = await create(volume, { ...volRaw(n, o), connection: proxied() });
      const lv = await Libvirt.connect(daemon.uri);
      try {
        assert.equal(
          createHash("sha256")
            .update(await lv.volumes.downloadToBuffer(await lv.volumes.lookupByKey(r.id)))
            .digest("hex"),
          sourceHash,
        );
      } finally {
        await lv.close();
      }
    });

    it("CloudInitDisk mid-upload: the error tells the truth, and the next create writes the seed", async () => {
      const n = `${name("seed")}.iso`;
      const o = owner("seed");
      const { error } = await killDaemonAt(cloudInitDisk, seedRaw(n, o), { streamPackets: 1 }, 500);
      assert.ok(error, "the create failed");
      assertTruthful(error, count(volumes(), n) === 1);
      await create(cloudInitDisk, { ...seedRaw(n, o), connection: proxied() });
      assert.equal(count(volumes(), n), 1);
    });
  });

  it("a libvirtd restart during a delete's graceful-shutdown wait: the delete reconnects and finishes (e)", async () => {
    const n = name("dom");
    const o = owner("dom");
    const r = await create(domain, { ...domRaw(n, o), shutdownTimeout: 6, connection: proxied() });
    assert.equal(daemon.virsh("domstate", n), "running");
    // The guest has no OS: it ignores the ACPI request, so the delete waits its shutdownTimeout, then forces it off.
    const deleting = domain.delete(r.id, { ...r.outs, shutdownTimeout: 6, uri: daemon.uri });
    await new Promise((res) => setTimeout(res, 1000));
    await daemon.restart();
    await deleting;
    assert.equal(count(domains(), n), 0);
  });

  describe("afterwards", () => {
    it("the create journal is empty once every create finished or was resumed", () => {
      assert.deepEqual(journal.files(), []);
    });
  });
});
