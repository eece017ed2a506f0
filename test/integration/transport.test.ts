import assert from "node:assert/strict";
import { Libvirt } from "../../provider/libvirt/client";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { DaemonUnavailableError, isNotFound, TransportError, UriError } from "../../provider/libvirt/errors";
import { dial, parseUri, type Transport } from "../../provider/libvirt/transport";

/**
 * Transports against real endpoints: the local libvirtd (root, /run/libvirt/libvirt-sock), the real
 * virt-ssh-helper and nc behind the ssh transport, a real sshd on 127.0.0.1, and Node TLS/TCP servers.
 * The RPC check is one raw AUTH_LIST call, so these tests depend on nothing above the transport.
 */

const SYSTEM_SOCKET = "/run/libvirt/libvirt-sock";

/**
 * AUTH_LIST (procedure 66) as a raw CALL:
 * length 28 | program 0x20008086 (REMOTE) | version 1 | procedure 66 | type 0 (CALL) | serial 1 | status 0 (OK)
 */
function authListCall(): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(28, 0);
  b.writeUInt32BE(0x20008086, 4);
  b.writeUInt32BE(1, 8);
  b.writeInt32BE(66, 12);
  b.writeInt32BE(0, 16);
  b.writeUInt32BE(1, 20);
  b.writeInt32BE(0, 24);
  return b;
}

/** Reads bytes until `n` have arrived (or one whole packet, when `n` is "packet"), then pauses the stream. */
function readBytes(stream: Duplex, n: number | "packet", timeoutMs = 15000): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      stream.removeListener("data", onData);
      stream.removeListener("error", onError);
      stream.removeListener("end", onEnd);
      stream.pause();
    };
    const want = (): number => (n === "packet" ? (buf.length >= 4 ? buf.readUInt32BE(0) : Infinity) : n);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= want()) {
        done();
        resolve(buf);
      }
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onEnd = (): void => {
      done();
      reject(new Error(`EOF after ${buf.length} bytes`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${buf.length} bytes`));
    }, timeoutMs);
    stream.on("data", onData);
    stream.once("error", onError);
    stream.once("end", onEnd);
    // A previous read paused the stream; a new 'data' listener alone does not restart a paused stream.
    stream.resume();
  });
}

/** Sends AUTH_LIST and checks the daemon's REPLY: serial 1, status OK, a list of at least one auth type. */
async function assertAuthListAnswered(stream: Duplex): Promise<number[]> {
  stream.write(authListCall());
  const reply = await readBytes(stream, "packet");
  assert.ok(reply.length >= 32, `reply of ${reply.length} bytes`);
  assert.equal(reply.readUInt32BE(0), reply.length);
  assert.equal(reply.readUInt32BE(4), 0x20008086, "program");
  assert.equal(reply.readUInt32BE(8), 1, "version");
  assert.equal(reply.readInt32BE(12), 66, "procedure");
  assert.equal(reply.readInt32BE(16), 1, "type REPLY");
  assert.equal(reply.readUInt32BE(20), 1, "serial");
  assert.equal(reply.readInt32BE(24), 0, "status OK");
  const count = reply.readUInt32BE(28);
  assert.ok(count >= 1 && count <= 20);
  return Array.from({ length: count }, (_, i) => reply.readInt32BE(32 + 4 * i));
}

/** Ends our side and waits for the stream to close cleanly (the helper exits 0 on EOF); fails on 'error'. */
async function closeCleanly(t: Transport): Promise<void> {
  const errors: Error[] = [];
  t.stream.on("error", (e: Error) => errors.push(e));
  t.stream.resume();
  t.stream.end();
  await once(t.stream, "close");
  assert.deepEqual(errors, []);
}

function writeScript(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function freePort(): Promise<number> {
  const srv = createNetServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address() as AddressInfo;
  srv.close();
  await once(srv, "close");
  return port;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe("transport (integration)", function () {
  this.timeout(30000);
  let dir = "";
  const open: Transport[] = [];
  /** Dials and remembers the transport, so after() closes it even when a test fails half way. */
  const track = async (p: Promise<Transport>): Promise<Transport> => {
    const t = await p;
    open.push(t);
    return t;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pv-transport-"));
  });
  afterEach(() => {
    for (const t of open.splice(0)) t.stream.destroy();
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  describe("unix", () => {
    it("dials qemu:///system on the system socket and gets a Duplex the daemon answers on", async () => {
      const target = parseUri("qemu:///system");
      assert.equal(target.transport, "unix");
      assert.equal(target.transport === "unix" && target.socketPath, SYSTEM_SOCKET);
      const t = await track(dial(target));
      assert.ok(t.stream instanceof Duplex);
      assert.equal(t.description, `unix socket ${SYSTEM_SOCKET}`);
      assert.deepEqual(await assertAuthListAnswered(t.stream), [0]);
      assert.equal(t.diagnostics(), "");
    });

    it("dials test:///default on the same socket (the daemon's test driver)", async () => {
      const t = await track(dial(parseUri("test:///default")));
      await assertAuthListAnswered(t.stream);
    });

    it("reports a missing socket as DaemonUnavailableError naming the path, the URI and how to start libvirtd", async () => {
      const path = join(dir, "no-such.sock");
      const uri = `qemu:///system?socket=${path}`;
      await assert.rejects(dial(parseUri(uri)), (err: unknown) => {
        assert.ok(err instanceof DaemonUnavailableError, String(err));
        assert.equal(err.code, "VIRT_ERR_DAEMON_UNAVAILABLE");
        assert.match(err.message, new RegExp(`no libvirt daemon listens on ${path} \\(${uri.replace(/[?]/g, "\\?")}\\)`));
        assert.match(err.message, /libvirtd -d/);
        assert.match(err.message, /socket=/);
        return true;
      });
    });

    it("reports a path nobody listens on (ECONNREFUSED) as DaemonUnavailableError", async () => {
      const path = join(dir, "not-a-socket");
      writeFileSync(path, "");
      await assert.rejects(dial(parseUri(`qemu:///system?socket=${path}`)), DaemonUnavailableError);
    });
  });

  describe("tcp", () => {
    let server: Server | undefined;
    after(() => server?.close());

    it("connects with Nagle off and carries bytes both ways", async () => {
      server = createNetServer((s) => s.pipe(s));
      const port = await listen(server);
      const t = await track(dial(parseUri(`qemu+tcp://127.0.0.1:${port}/system`)));
      assert.equal(t.description, `tcp 127.0.0.1:${port}`);
      t.stream.write("ping");
      assert.equal((await readBytes(t.stream, 4)).toString(), "ping");
    });

    it("reports a refused connection as DaemonUnavailableError", async () => {
      const port = await freePort();
      await assert.rejects(dial(parseUri(`qemu+tcp://127.0.0.1:${port}/system`)), (err: unknown) => {
        assert.ok(err instanceof DaemonUnavailableError);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        return true;
      });
    });
  });

  describe("tls (Node TLS server, CA made with openssl)", () => {
    let pki = "";
    let wrongPki = "";
    const servers: Server[] = [];
    const sockets = new Set<Socket>();
    let serverKey: Buffer;
    let serverCert: Buffer;
    let ca: Buffer;

    const openssl = (...args: string[]): void => {
      const r = spawnSync("openssl", args, { cwd: pki, encoding: "utf8" });
      assert.equal(r.status, 0, `openssl ${args.join(" ")}: ${r.stderr}`);
    };
    /** A key and a certificate for `cn` signed by the CA in `caDir`. */
    const issue = (caDir: string, name: string, cn: string, ext: string): void => {
      openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        `/CN=${cn}`,
      );
      writeFileSync(join(pki, `${name}.ext`), ext);
      openssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        join(caDir, "cacert.pem"),
        "-CAkey",
        join(caDir, "ca.key"),
        "-CAcreateserial",
        "-out",
        `${name}.pem`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
      );
    };
    const makeCa = (caDir: string, cn: string): void => {
      openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(caDir, "ca.key"),
        "-out",
        join(caDir, "cacert.pem"),
        "-days",
        "2",
        "-subj",
        `/CN=${cn}`,
      );
    };

    /** A TLS server that demands a client certificate from our CA, sends `greeting`, then echoes. */
    async function tlsServer(greeting: Buffer | null): Promise<number> {
      const server = createTlsServer({ key: serverKey, cert: serverCert, ca, requestCert: true, rejectUnauthorized: true }, (s: TLSSocket) => {
        sockets.add(s);
        s.on("error", () => undefined);
        if (greeting === null) {
          s.end();
          return;
        }
        s.write(greeting);
        s.pipe(s);
      });
      server.on("tlsClientError", () => undefined);
      servers.push(server);
      return listen(server);
    }

    before(function () {
      this.timeout(30000);
      pki = join(dir, "pki");
      wrongPki = join(dir, "wrong-pki");
      mkdirSync(pki);
      mkdirSync(wrongPki);
      makeCa(pki, "pulumi-virt test CA");
      issue(pki, "server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
      issue(pki, "client", "client", "extendedKeyUsage=clientAuth\n");
      // libvirt's file names, so pkipath= finds them.
      copyFileSync(join(pki, "client.pem"), join(pki, "clientcert.pem"));
      copyFileSync(join(pki, "client.key"), join(pki, "clientkey.pem"));
      // A second CA that did not sign the server; same client credentials.
      makeCa(wrongPki, "some other CA");
      copyFileSync(join(pki, "client.pem"), join(wrongPki, "clientcert.pem"));
      copyFileSync(join(pki, "client.key"), join(wrongPki, "clientkey.pem"));
      serverKey = readFileSync(join(pki, "server.key"));
      serverCert = readFileSync(join(pki, "server.pem"));
      ca = readFileSync(join(pki, "cacert.pem"));
    });
    after(() => {
      for (const s of sockets) s.destroy();
      for (const s of servers) s.close();
    });

    it("consumes the 0x01 confirmation byte and loses none of the bytes after it", async () => {
      const port = await tlsServer(Buffer.concat([Buffer.from([1]), Buffer.from("hello")]));
      const t = await track(dial(parseUri(`qemu+tls://127.0.0.1:${port}/system?pkipath=${pki}`)));
      assert.equal(t.description, `tls 127.0.0.1:${port}`);
      assert.equal((await readBytes(t.stream, 5)).toString(), "hello");
      t.stream.write("ping");
      assert.equal((await readBytes(t.stream, 4)).toString(), "ping");
    });

    it("refuses a server that answers 0x00 (it rejected our certificate or address)", async () => {
      const port = await tlsServer(Buffer.from([0]));
      await assert.rejects(dial(parseUri(`qemu+tls://127.0.0.1:${port}/system?pkipath=${pki}`)), (err: unknown) => {
        assert.ok(err instanceof TransportError);
        assert.match(err.message, /server rejected our certificate or address/);
        assert.match(err.message, /0x00/);
        return true;
      });
    });

    it("refuses a server that closes instead of confirming", async () => {
      const port = await tlsServer(null);
      await assert.rejects(dial(parseUri(`qemu+tls://127.0.0.1:${port}/system?pkipath=${pki}`)), /rejected our certificate or address/);
    });

    it("names a missing credential file and the pkipath= option", async () => {
      const empty = join(dir, "empty-pki");
      mkdirSync(empty);
      const port = await tlsServer(Buffer.from([1]));
      await assert.rejects(dial(parseUri(`qemu+tls://127.0.0.1:${port}/system?pkipath=${empty}`)), (err: unknown) => {
        assert.ok(err instanceof TransportError);
        assert.match(err.message, new RegExp(`${join(empty, "clientcert.pem")} is missing`));
        assert.match(err.message, /pkipath=/);
        return true;
      });
    });

    it("fails verification against the wrong CA, and passes it with no_verify=1", async () => {
      const port = await tlsServer(Buffer.concat([Buffer.from([1]), Buffer.from("ok")]));
      await assert.rejects(dial(parseUri(`qemu+tls://127.0.0.1:${port}/system?pkipath=${wrongPki}`)), (err: unknown) => {
        assert.ok(err instanceof TransportError);
        assert.match(err.message, /did not verify/);
        assert.match(err.message, /no_verify=1/);
        return true;
      });
      const t = await track(dial(parseUri(`qemu+tls://127.0.0.1:${port}/system?pkipath=${wrongPki}&no_verify=1`)));
      assert.equal((await readBytes(t.stream, 2)).toString(), "ok");
    });

    it("times out on a server that never completes the handshake", async () => {
      const silent = createNetServer((s) => {
        sockets.add(s);
        s.on("error", () => undefined);
      });
      servers.push(silent);
      const port = await listen(silent);
      // The error says the dial's own 300 ms timer fired (a hang would fail on mocha's timeout instead).
      await assert.rejects(dial(parseUri(`qemu+tls://127.0.0.1:${port}/system?pkipath=${pki}`), { timeoutMs: 300 }), (err: unknown) => {
        assert.ok(err instanceof TransportError);
        assert.match(err.message, /timed out after 300 ms/);
        return true;
      });
    });
  });

  describe("ssh and ext through command= (the remote half runs locally)", () => {
    let fakeSsh = "";
    let argvLog = "";
    before(() => {
      argvLog = join(dir, "ssh-argv");
      // Stands in for ssh: logs its argv (one per line), ignores the options and runs the remote command the
      // way sshd would, with a shell.
      fakeSsh = writeScript(join(dir, "fake-ssh"), `for a in "$@"; do printf '%s\\n' "$a"; done > '${argvLog}'\nfor last; do :; done\nexec sh -c "$last"`);
    });

    for (const proxy of ["native", "netcat", "auto"]) {
      it(`proxy=${proxy}: the daemon answers AUTH_LIST through the remote command, and the channel closes cleanly`, async () => {
        if (proxy !== "netcat") assert.ok(existsSync("/usr/bin/virt-ssh-helper"), "virt-ssh-helper is installed");
        const target = parseUri(`qemu+ssh://root@fakehost:2222/system?proxy=${proxy}&no_tty=1&command=${fakeSsh}`);
        assert.equal(target.transport, "ssh");
        const t = await track(dial(target));
        assert.equal(t.description, `ssh to fakehost (${fakeSsh})`);
        assert.deepEqual(await assertAuthListAnswered(t.stream), [0]);
        if (target.transport === "ssh") assert.deepEqual(readFileSync(argvLog, "utf8").split("\n").slice(0, -1), target.args);
        await closeCleanly(t);
      });
    }

    it("read-only through virt-ssh-helper -r", async () => {
      const t = await track(dial(parseUri(`qemu+ssh://h/system?proxy=native&command=${fakeSsh}`, { readOnly: true })));
      await assertAuthListAnswered(t.stream);
      await closeCleanly(t);
    });

    it("socket= sends nc to that socket", async () => {
      const t = await track(dial(parseUri(`test+ssh://h/default?socket=${SYSTEM_SOCKET}&command=${fakeSsh}`)));
      await assertAuthListAnswered(t.stream);
      await closeCleanly(t);
    });

    it("a failing ssh destroys the stream with a TransportError carrying its stderr", async () => {
      const failing = writeScript(join(dir, "failing-ssh"), `echo "ssh: connect to host fakehost port 22: Connection refused" >&2\nexit 255`);
      const t = await track(dial(parseUri(`qemu+ssh://fakehost/system?command=${failing}`)));
      const errored = once(t.stream, "error");
      t.stream.write(authListCall());
      const [err] = (await errored) as [TransportError];
      assert.ok(err instanceof TransportError);
      assert.match(err.message, /exited with status 255/);
      assert.match(err.message, /Connection refused/);
      assert.match(err.stderr ?? "", /Connection refused/);
      assert.match(t.diagnostics(), /Connection refused/);
    });

    it("keeps only the last 4 KiB of stderr", async () => {
      const noisy = writeScript(
        join(dir, "noisy-ssh"),
        `i=0\nwhile [ $i -lt 200 ]; do echo "line $i of noise padding padding padding" >&2; i=$((i+1)); done\nexit 1`,
      );
      const t = await track(dial(parseUri(`qemu+ssh://h/system?command=${noisy}`)));
      t.stream.resume();
      const [err] = (await once(t.stream, "error")) as [TransportError];
      assert.ok(err instanceof TransportError);
      const tail = t.diagnostics();
      assert.ok(tail.length <= 4096 && tail.length > 3000, `tail of ${tail.length}`);
      assert.match(tail, /line 199 of noise/);
      assert.doesNotMatch(tail, /line 0 of noise/);
    });

    it("a missing program is a TransportError saying it was not found", async () => {
      await assert.rejects(dial(parseUri(`qemu+ssh://h/system?command=${join(dir, "no-such-ssh")}`)), (err: unknown) => {
        assert.ok(err instanceof TransportError);
        assert.match(err.message, /was not found \(ENOENT\)/);
        return true;
      });
    });

    it("destroying the stream kills the program", async () => {
      const pidFile = join(dir, "sleeper.pid");
      const sleeper = writeScript(join(dir, "sleeper"), `echo $$ > '${pidFile}'\nexec sleep 60`);
      const t = await track(dial(parseUri(`qemu+ssh://h/system?command=${sleeper}`)));
      let pid = 0;
      for (let i = 0; i < 100 && pid === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, "utf8").trim()) || 0;
      }
      assert.ok(pid > 0, "the sleeper started");
      t.stream.destroy();
      for (let i = 0; i < 100 && !isGone(pid); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(isGone(pid), `process ${pid} still runs`);
    });

    it("ext runs command= with no arguments and speaks RPC on its stdio", async () => {
      const tunnel = writeScript(join(dir, "ext-tunnel"), `[ $# -eq 0 ] || exit 9\nexec nc -q0 -U ${SYSTEM_SOCKET}`);
      const target = parseUri(`qemu+ext:///system?command=${tunnel}`);
      assert.deepEqual(target.transport === "ext" && target.args, []);
      const t = await track(dial(target));
      assert.equal(t.description, `command ${tunnel}`);
      await assertAuthListAnswered(t.stream);
      await closeCleanly(t);
    });

    it("refuses libssh before dialling", () => {
      assert.throws(() => parseUri("qemu+libssh://h/system"), UriError);
    });
  });

  const SSHD = "/usr/sbin/sshd";
  describe(`ssh through a real sshd on 127.0.0.1 (skipped only when ${SSHD} is missing)`, () => {
    let sshDir = "";
    let sshd: ChildProcess | undefined;
    let sshdLog = "";
    let port = 0;
    let createdPrivsepDir = false;
    let wrapper = "";
    let clientKey = "";

    before(async function () {
      if (!existsSync(SSHD)) {
        console.log(`      skipping: ${SSHD} is not installed (apt-get install openssh-server)`);
        this.skip();
      }
      this.timeout(30000);
      sshDir = join(dir, "sshd");
      mkdirSync(sshDir);
      const keygen = (file: string): void => {
        const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(sshDir, file)], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
      };
      keygen("host_key");
      keygen("client_key");
      clientKey = join(sshDir, "client_key");
      copyFileSync(`${clientKey}.pub`, join(sshDir, "authorized_keys"));
      const config = join(sshDir, "sshd_config");
      writeFileSync(
        config,
        [
          "ListenAddress 127.0.0.1",
          `HostKey ${join(sshDir, "host_key")}`,
          "PidFile none",
          `AuthorizedKeysFile ${join(sshDir, "authorized_keys")}`,
          "PermitRootLogin prohibit-password",
          "StrictModes no",
          "UsePAM no",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PubkeyAuthentication yes",
          "LogLevel ERROR",
          "",
        ].join("\n"),
      );
      // sshd insists on its privilege separation directory; create it only if missing and remove it after.
      if (!existsSync("/run/sshd")) {
        mkdirSync("/run/sshd", { mode: 0o755 });
        createdPrivsepDir = true;
      }
      port = await freePort();
      sshd = spawn(SSHD, ["-D", "-e", "-f", config, "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
      sshd.stderr!.on("data", (c: Buffer) => (sshdLog += c.toString()));
      const deadline = Date.now() + 10000;
      for (;;) {
        if (sshd.exitCode !== null) throw new Error(`sshd exited ${sshd.exitCode}: ${sshdLog}`);
        const up = await new Promise<boolean>((resolve) => {
          const s = netConnect({ host: "127.0.0.1", port }, () => {
            s.destroy();
            resolve(true);
          });
          s.on("error", () => resolve(false));
        });
        if (up) break;
        if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${sshdLog}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The real ssh, with libvirt's argv after ours. The extra options only keep this test from touching
      // root's ~/.ssh (no_verify=1 would otherwise record the throwaway host key in known_hosts) and from
      // reading its ~/.ssh/config; ssh uses the first value it sees for an option, so libvirt's are unchanged.
      wrapper = writeScript(
        join(sshDir, "ssh"),
        'exec ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR "$@"',
      );
    });

    after(async () => {
      if (sshd !== undefined && sshd.exitCode === null && sshd.signalCode === null) {
        sshd.kill("SIGTERM");
        await once(sshd, "exit");
      }
      if (createdPrivsepDir) rmdirSync("/run/sshd");
    });

    const uri = (extra = ""): string =>
      `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${encodeURIComponent(clientKey)}&no_verify=1&no_tty=1&command=${encodeURIComponent(wrapper)}${extra}`;

    it("logs in with the key and reaches the daemon through virt-ssh-helper (proxy=auto)", async () => {
      const t = await track(dial(parseUri(uri())));
      assert.deepEqual(await assertAuthListAnswered(t.stream), [0]);
      await closeCleanly(t);
    });

    it("reaches the daemon through nc -U (proxy=netcat)", async () => {
      const t = await track(dial(parseUri(uri("&proxy=netcat"))));
      assert.deepEqual(await assertAuthListAnswered(t.stream), [0]);
      await closeCleanly(t);
    });

    it("carries the whole client: handshake, pipelined calls, typed errors and close over ssh", async () => {
      const lv = await Libvirt.connect(uri());
      try {
        assert.equal(await lv.host.getType(), "QEMU");
        assert.equal(lv.connection.description.includes("ssh"), true, lv.connection.description);
        const versions = await Promise.all(Array.from({ length: 50 }, () => lv.host.getLibVersion()));
        assert.ok(versions.every((v) => v === versions[0] && v >= 9000000));
        const err = await lv.domains.lookupByName("pvt-no-such-domain").catch((e) => e);
        assert.ok(isNotFound(err), String(err));
      } finally {
        await lv.close();
      }
    });

    it("a refused login reaches the client as a TransportError with ssh's words", async () => {
      const bad = uri().replace(encodeURIComponent(clientKey), encodeURIComponent(join(sshDir, "host_key")));
      const err = await Libvirt.connect(bad).catch((e) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.match(err.message, /Permission denied/);
    });

    it("explains a refused login with ssh's own words", async () => {
      const t = await track(dial(parseUri(uri().replace(encodeURIComponent(clientKey), encodeURIComponent(join(sshDir, "host_key"))))));
      t.stream.resume();
      const [err] = (await once(t.stream, "error")) as [TransportError];
      assert.ok(err instanceof TransportError);
      assert.match(err.message, /exited with status 255/);
      assert.match(err.message, /Permission denied/);
    });
  });
});
