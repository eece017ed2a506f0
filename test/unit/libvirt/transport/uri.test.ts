import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UriError } from "../../../../provider/libvirt/errors";
import { parseUri, type ParseOptions } from "../../../../provider/libvirt/transport";
import type { SshTarget, Target } from "../../../../provider/libvirt/transport/types";

/** Root on a host with nothing but the legacy sockets. */
const ROOT: ParseOptions = { uid: 0, home: "/root", xdgRuntimeDir: "/run/user/0", exists: () => false };
/** An ordinary user with a runtime dir. */
const USER: ParseOptions = { uid: 1000, home: "/home/u", xdgRuntimeDir: "/run/user/1000", exists: () => false };
/** An ordinary user without XDG_RUNTIME_DIR. */
const USER_NO_XDG: ParseOptions = { uid: 1000, home: "/home/u", xdgRuntimeDir: "", exists: () => false };
/** Files that exist, for mode=auto and per-user PKI. */
const existing =
  (...paths: string[]) =>
  (p: string): boolean =>
    paths.includes(p);

const SYS_PKI = {
  caFile: "/etc/pki/CA/cacert.pem",
  certFile: "/etc/pki/libvirt/clientcert.pem",
  keyFile: "/etc/pki/libvirt/private/clientkey.pem",
  crlFile: "/etc/pki/CA/cacrl.pem",
};

/** The remote command libvirt 9.0 runs for qemu:///system with proxy=auto (captured from virsh). */
const AUTO_QEMU_SYSTEM =
  `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper 'qemu:///system'; else    ` +
  `if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'`;

interface Case {
  uri: string;
  opts: ParseOptions;
  want: Target;
}

const cases: Case[] = [
  // Local unix socket: no transport, no host.
  {
    uri: "qemu:///system",
    opts: ROOT,
    want: { uri: "qemu:///system", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/libvirt-sock" },
  },
  {
    uri: "qemu:///session",
    opts: ROOT,
    want: { uri: "qemu:///session", openUri: "qemu:///session", readOnly: false, transport: "unix", socketPath: "/run/libvirt/libvirt-sock" },
  },
  {
    uri: "qemu:///session",
    opts: USER,
    want: { uri: "qemu:///session", openUri: "qemu:///session", readOnly: false, transport: "unix", socketPath: "/run/user/1000/libvirt/libvirt-sock" },
  },
  {
    uri: "qemu:///session",
    opts: USER_NO_XDG,
    want: { uri: "qemu:///session", openUri: "qemu:///session", readOnly: false, transport: "unix", socketPath: "/home/u/.cache/libvirt/libvirt-sock" },
  },
  {
    uri: "qemu:///session",
    opts: { ...USER, exists: existing("/run/user/1000/libvirt/virtqemud-sock") },
    want: { uri: "qemu:///session", openUri: "qemu:///session", readOnly: false, transport: "unix", socketPath: "/run/user/1000/libvirt/virtqemud-sock" },
  },
  {
    // A non-root user's qemu:///system still goes to the system daemon.
    uri: "qemu:///system",
    opts: USER,
    want: { uri: "qemu:///system", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/libvirt-sock" },
  },
  {
    uri: "test:///default",
    opts: ROOT,
    want: { uri: "test:///default", openUri: "test:///default", readOnly: false, transport: "unix", socketPath: "/run/libvirt/libvirt-sock" },
  },
  {
    uri: "test:///default",
    opts: USER,
    want: { uri: "test:///default", openUri: "test:///default", readOnly: false, transport: "unix", socketPath: "/run/user/1000/libvirt/libvirt-sock" },
  },
  {
    uri: "test+unix:///default",
    opts: ROOT,
    want: { uri: "test+unix:///default", openUri: "test:///default", readOnly: false, transport: "unix", socketPath: "/run/libvirt/libvirt-sock" },
  },
  {
    uri: "test+unix:///default",
    opts: USER_NO_XDG,
    want: { uri: "test+unix:///default", openUri: "test:///default", readOnly: false, transport: "unix", socketPath: "/home/u/.cache/libvirt/libvirt-sock" },
  },
  {
    uri: "qemu+unix:///system?socket=/x",
    opts: ROOT,
    want: { uri: "qemu+unix:///system?socket=/x", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/x" },
  },
  {
    uri: "qemu:///system?socket=/tmp/my%20sock",
    opts: USER,
    want: { uri: "qemu:///system?socket=/tmp/my%20sock", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/tmp/my sock" },
  },
  // Socket modes.
  {
    uri: "qemu:///system",
    opts: { ...ROOT, exists: existing("/run/libvirt/virtqemud-sock") },
    want: { uri: "qemu:///system", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/virtqemud-sock" },
  },
  {
    uri: "qemu:///system?mode=auto",
    opts: { ...ROOT, exists: existing("/run/libvirt/virtqemud-sock") },
    want: { uri: "qemu:///system?mode=auto", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/virtqemud-sock" },
  },
  {
    uri: "qemu:///system?mode=legacy",
    opts: { ...ROOT, exists: existing("/run/libvirt/virtqemud-sock") },
    want: { uri: "qemu:///system?mode=legacy", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/libvirt-sock" },
  },
  {
    uri: "qemu:///system?mode=direct",
    opts: ROOT,
    want: { uri: "qemu:///system?mode=direct", openUri: "qemu:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/virtqemud-sock" },
  },
  {
    uri: "xen:///system?mode=direct",
    opts: ROOT,
    want: { uri: "xen:///system?mode=direct", openUri: "xen:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/virtxend-sock" },
  },
  {
    uri: "network:///system",
    opts: { ...ROOT, exists: existing("/run/libvirt/virtnetworkd-sock", "/run/libvirt/virtqemud-sock") },
    want: { uri: "network:///system", openUri: "network:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/virtnetworkd-sock" },
  },
  {
    // Only the named driver's daemon counts: virtqemud's socket does not serve xen.
    uri: "xen:///system",
    opts: { ...ROOT, exists: existing("/run/libvirt/virtqemud-sock") },
    want: { uri: "xen:///system", openUri: "xen:///system", readOnly: false, transport: "unix", socketPath: "/run/libvirt/libvirt-sock" },
  },
  // Read-only sockets.
  {
    uri: "qemu:///system",
    opts: { ...ROOT, readOnly: true },
    want: { uri: "qemu:///system", openUri: "qemu:///system", readOnly: true, transport: "unix", socketPath: "/run/libvirt/libvirt-sock-ro" },
  },
  {
    uri: "qemu:///system",
    opts: { ...ROOT, readOnly: true, exists: existing("/run/libvirt/virtqemud-sock-ro") },
    want: { uri: "qemu:///system", openUri: "qemu:///system", readOnly: true, transport: "unix", socketPath: "/run/libvirt/virtqemud-sock-ro" },
  },
  {
    uri: "qemu:///system?mode=direct",
    opts: { ...USER, readOnly: true },
    want: { uri: "qemu:///system?mode=direct", openUri: "qemu:///system", readOnly: true, transport: "unix", socketPath: "/run/libvirt/virtqemud-sock-ro" },
  },
  {
    // Per-user daemons have no read-only socket.
    uri: "qemu:///session",
    opts: { ...USER, readOnly: true },
    want: { uri: "qemu:///session", openUri: "qemu:///session", readOnly: true, transport: "unix", socketPath: "/run/user/1000/libvirt/libvirt-sock" },
  },
  // name= overrides the URI sent in CONNECT_OPEN; other parameters are kept in it, as libvirt does.
  {
    uri: "qemu:///system?name=qemu:///embed%3Froot%3D/tmp/x",
    opts: ROOT,
    want: {
      uri: "qemu:///system?name=qemu:///embed%3Froot%3D/tmp/x",
      openUri: "qemu:///embed?root=/tmp/x",
      readOnly: false,
      transport: "unix",
      socketPath: "/run/libvirt/libvirt-sock",
    },
  },
  {
    uri: "test:///default?foo=a%20b&NO_VERIFY=1&bar",
    opts: ROOT,
    want: {
      uri: "test:///default?foo=a%20b&NO_VERIFY=1&bar",
      openUri: "test:///default?foo=a%20b&bar=",
      readOnly: false,
      transport: "unix",
      socketPath: "/run/libvirt/libvirt-sock",
    },
  },
  // tcp
  {
    uri: "qemu+tcp://h:1234/system",
    opts: ROOT,
    want: { uri: "qemu+tcp://h:1234/system", openUri: "qemu:///system", readOnly: false, transport: "tcp", host: "h", port: 1234 },
  },
  {
    uri: "xen+tcp://127.0.0.1:5000/system",
    opts: ROOT,
    want: { uri: "xen+tcp://127.0.0.1:5000/system", openUri: "xen:///system", readOnly: false, transport: "tcp", host: "127.0.0.1", port: 5000 },
  },
  {
    uri: "qemu+tcp://h/system",
    opts: ROOT,
    want: { uri: "qemu+tcp://h/system", openUri: "qemu:///system", readOnly: false, transport: "tcp", host: "h", port: 16509 },
  },
  {
    uri: "qemu+tcp:///system",
    opts: ROOT,
    want: { uri: "qemu+tcp:///system", openUri: "qemu:///system", readOnly: false, transport: "tcp", host: "localhost", port: 16509 },
  },
  {
    uri: "qemu+tcp://[::1]:1234/system",
    opts: ROOT,
    want: { uri: "qemu+tcp://[::1]:1234/system", openUri: "qemu:///system", readOnly: false, transport: "tcp", host: "::1", port: 1234 },
  },
  // tls
  {
    uri: "qemu+tls://h/system",
    opts: ROOT,
    want: { uri: "qemu+tls://h/system", openUri: "qemu:///system", readOnly: false, transport: "tls", host: "h", port: 16514, verify: true, ...SYS_PKI },
  },
  {
    // A host without a transport means TLS.
    uri: "qemu://h/system",
    opts: ROOT,
    want: { uri: "qemu://h/system", openUri: "qemu:///system", readOnly: false, transport: "tls", host: "h", port: 16514, verify: true, ...SYS_PKI },
  },
  {
    uri: "qemu+tls://h/system",
    opts: USER,
    want: { uri: "qemu+tls://h/system", openUri: "qemu:///system", readOnly: false, transport: "tls", host: "h", port: 16514, verify: true, ...SYS_PKI },
  },
  {
    // Non-root: each ~/.pki/libvirt file that exists wins, the others fall back to the system paths.
    uri: "qemu+tls://h/system",
    opts: {
      ...USER,
      exists: existing("/home/u/.pki/libvirt/cacert.pem", "/home/u/.pki/libvirt/clientcert.pem", "/home/u/.pki/libvirt/clientkey.pem"),
    },
    want: {
      uri: "qemu+tls://h/system",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "tls",
      host: "h",
      port: 16514,
      verify: true,
      caFile: "/home/u/.pki/libvirt/cacert.pem",
      certFile: "/home/u/.pki/libvirt/clientcert.pem",
      keyFile: "/home/u/.pki/libvirt/clientkey.pem",
      crlFile: "/etc/pki/CA/cacrl.pem",
    },
  },
  {
    // Root never looks in its home.
    uri: "qemu+tls://h/system",
    opts: { ...ROOT, exists: existing("/root/.pki/libvirt/cacert.pem") },
    want: { uri: "qemu+tls://h/system", openUri: "qemu:///system", readOnly: false, transport: "tls", host: "h", port: 16514, verify: true, ...SYS_PKI },
  },
  {
    uri: "qemu+tls://h:9999/system?pkipath=/etc/my%20pki/&no_verify=1",
    opts: ROOT,
    want: {
      uri: "qemu+tls://h:9999/system?pkipath=/etc/my%20pki/&no_verify=1",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "tls",
      host: "h",
      port: 9999,
      verify: false,
      caFile: "/etc/my pki/cacert.pem",
      certFile: "/etc/my pki/clientcert.pem",
      keyFile: "/etc/my pki/clientkey.pem",
      crlFile: "/etc/my pki/cacrl.pem",
    },
  },
  {
    uri: "qemu+tls://h/system?no_verify=0&tls_priority=NORMAL",
    opts: ROOT,
    want: {
      uri: "qemu+tls://h/system?no_verify=0&tls_priority=NORMAL",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "tls",
      host: "h",
      port: 16514,
      verify: true,
      ...SYS_PKI,
    },
  },
  {
    uri: "qemu+tls://[fe80::1]/system",
    opts: ROOT,
    want: {
      uri: "qemu+tls://[fe80::1]/system",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "tls",
      host: "fe80::1",
      port: 16514,
      verify: true,
      ...SYS_PKI,
    },
  },
  // ssh
  {
    uri: "qemu+ssh://h/system",
    opts: ROOT,
    want: {
      uri: "qemu+ssh://h/system",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "ssh",
      host: "h",
      command: "ssh",
      args: ["-T", "-e", "none", "-o", "ConnectTimeout=30", "--", "h", AUTO_QEMU_SYSTEM],
    },
  },
  {
    uri: "qemu+ssh://root@h:2222/system?keyfile=~/.ssh/k&no_verify=1&no_tty=1",
    opts: USER,
    want: {
      uri: "qemu+ssh://root@h:2222/system?keyfile=~/.ssh/k&no_verify=1&no_tty=1",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "ssh",
      host: "h",
      command: "ssh",
      args: [
        "-p",
        "2222",
        "-l",
        "root",
        "-i",
        "~/.ssh/k",
        "-T",
        "-e",
        "none",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "ConnectTimeout=30",
        "--",
        "h",
        AUTO_QEMU_SYSTEM,
      ],
    },
  },
  {
    // libssh-only parameters are accepted and ignored by +ssh; no host means localhost.
    uri: "qemu+ssh:///system?known_hosts=/k&known_hosts_verify=ignore&sshauth=agent",
    opts: ROOT,
    want: {
      uri: "qemu+ssh:///system?known_hosts=/k&known_hosts_verify=ignore&sshauth=agent",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "ssh",
      host: "localhost",
      command: "ssh",
      args: ["-T", "-e", "none", "-o", "ConnectTimeout=30", "--", "localhost", AUTO_QEMU_SYSTEM],
    },
  },
  {
    uri: "qemu+ssh://u%40corp@[::1]:22/system?command=/usr/local/bin/my%20ssh",
    opts: ROOT,
    want: {
      uri: "qemu+ssh://u%40corp@[::1]:22/system?command=/usr/local/bin/my%20ssh",
      openUri: "qemu:///system",
      readOnly: false,
      transport: "ssh",
      host: "::1",
      command: "/usr/local/bin/my ssh",
      args: ["-p", "22", "-l", "u@corp", "-T", "-e", "none", "-o", "ConnectTimeout=30", "--", "::1", AUTO_QEMU_SYSTEM],
    },
  },
  // ext
  {
    uri: "qemu+ext:///system?command=/opt/tunnel",
    opts: ROOT,
    want: { uri: "qemu+ext:///system?command=/opt/tunnel", openUri: "qemu:///system", readOnly: false, transport: "ext", command: "/opt/tunnel", args: [] },
  },
];

describe("transport/uri parseUri", () => {
  for (const c of cases) {
    const who = c.opts.uid === 0 ? "root" : c.opts.xdgRuntimeDir ? "user" : "user without XDG_RUNTIME_DIR";
    it(`${c.uri} (${who}${c.opts.readOnly ? ", read-only" : ""})`, () => {
      assert.deepEqual(parseUri(c.uri, c.opts), c.want);
    });
  }

  describe("ssh remote command selection", () => {
    const remote = (uri: string, opts: ParseOptions = ROOT): string => (parseUri(uri, opts) as SshTarget).args.at(-1)!;

    it("proxy=native runs only virt-ssh-helper, with -r when read-only", () => {
      assert.equal(remote("qemu+ssh://h/system?proxy=native"), `sh -c 'virt-ssh-helper 'qemu:///system''`);
      assert.equal(remote("qemu+ssh://h/system?proxy=native", { ...ROOT, readOnly: true }), `sh -c 'virt-ssh-helper -r 'qemu:///system''`);
    });

    it("proxy=netcat runs only nc, on the -ro socket when read-only", () => {
      const nc = `if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U`;
      assert.equal(remote("qemu+ssh://h/system?proxy=netcat"), `sh -c '${nc} /var/run/libvirt/libvirt-sock'`);
      assert.equal(remote("qemu+ssh://h/system?proxy=netcat", { ...ROOT, readOnly: true }), `sh -c '${nc} /var/run/libvirt/libvirt-sock-ro'`);
    });

    it("socket= switches proxy=auto to nc on that socket; proxy=native ignores it", () => {
      assert.equal(
        remote("test+ssh://h/default?socket=/run/libvirt/libvirt-sock"),
        `sh -c 'if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U /run/libvirt/libvirt-sock'`,
      );
      assert.equal(remote("qemu+ssh://h/system?socket=/s&proxy=native"), `sh -c 'virt-ssh-helper 'qemu:///system''`);
    });

    it("netcat= names the remote nc, quoted twice as libvirt does", () => {
      assert.equal(
        remote("qemu+ssh://h/system?netcat=/opt/my%20nc&proxy=netcat"),
        `sh -c 'if '''\\''/opt/my nc'\\'''' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'''\\''/opt/my nc'\\'''' $ARG -U /var/run/libvirt/libvirt-sock'`,
      );
    });

    it("the helper gets name= and the kept parameters (quoted)", () => {
      assert.equal(remote("qemu+ssh://h/system?name=qemu:///system%3Ffoo%3Dbar&proxy=native"), `sh -c 'virt-ssh-helper '''\\''qemu:///system?foo=bar'\\'''''`);
      assert.equal(remote("test+ssh://h/default?proxy=native&a=1;b=2"), `sh -c 'virt-ssh-helper '''\\''test:///default?a=1&b=2'\\'''''`);
      // libvirt's quirk, checked with virsh: ";" separates only when no "&" follows.
      assert.equal(parseUri("qemu+ssh://h/system?a=1;b=2&proxy=native", ROOT).openUri, "qemu:///system?a=1%3Bb%3D2");
    });

    it("the driver URI keeps the path as written (test://, xen:///)", () => {
      assert.equal(parseUri("test+ssh://h", ROOT).openUri, "test://");
      assert.equal(parseUri("xen+ssh://h/", ROOT).openUri, "xen:///");
      assert.equal(parseUri("qemu+ssh://h/sys%20tem?x=%2F:%3F%40", ROOT).openUri, "qemu:///sys%20tem?x=%2F%3A%3F%40");
    });
  });

  describe("errors", () => {
    const rejects: Array<[string, RegExp]> = [
      ["qemu+unix://h/system", /takes no host/],
      ["qemu+libssh://h/system", /libssh.*not supported.*\+ssh/],
      ["qemu+libssh2://h/system", /libssh2.*not supported.*\+ssh/],
      ["qemu+ext:///system", /command=/],
      ["qemu+carrier-pigeon://h/system", /unknown transport/],
      ["qemu+tcp://h:0/system", /port/],
      ["qemu+tcp://h:65536/system", /port/],
      ["qemu+tcp://h:http/system", /port/],
      ["qemu+ssh://h/system?mode=direct", /mode=direct/],
      ["qemu:///system?mode=fast", /mode=fast/],
      ["qemu+ssh://h/system?proxy=socks", /proxy=socks/],
      ["qemu+ssh://h/system?no_verify=yes", /no_verify=yes/],
      ["qemu:///system?name=", /name= is empty/],
      ["qemu+ssh://h/system?netcat=", /netcat= is empty/],
      ["qemu:///system?socket=", /socket= is empty/],
      ["qemu+ssh://h/system?command=", /command= is empty/],
      ["qemu+ssh://h/sys%zztem", /malformed/],
      ["qemu+ssh://[::1/system", /IPv6/],
      ["not a uri", /not a libvirt URI/],
      ["/system", /not a libvirt URI/],
      // Hostile values: anything that could be read as an option is refused.
      ["qemu+ssh://-oProxyCommand=touch%20x/system", /host "-oProxyCommand=touch x" starts with "-"/],
      ["qemu+ssh://-oProxyCommand=x@h/system", /user "-oProxyCommand=x" starts with "-"/],
      ["qemu+ssh://h/system?socket=-oFoo", /socket= "-oFoo" starts with "-"/],
      ["qemu+ssh://h/system?name=-r", /name= "-r" starts with "-"/],
      ["qemu+ssh://h%20-oX/system", /whitespace/],
      ["qemu+ssh://h/system?socket=/a%0Arm", /control characters/],
      ["qemu+ssh://h/system?socket=/a%00b", /control characters/],
    ];
    for (const [uri, message] of rejects) {
      it(`refuses ${uri}`, () => {
        assert.throws(
          () => parseUri(uri, ROOT),
          (err: unknown) => err instanceof UriError && err.code === "VIRT_ERR_URI" && message.test(err.message),
        );
      });
    }

    it("keeps a hostile keyfile as its own argv element", () => {
      const t = parseUri("qemu+ssh://h/system?keyfile=-oProxyCommand=x", ROOT) as SshTarget;
      assert.deepEqual(t.args.slice(0, 2), ["-i", "-oProxyCommand=x"]);
    });
  });

  describe("hostile values reach the remote programs literally (remote command run through sh and bash)", function () {
    this.timeout(20000);
    let dir = "";
    let bin = "";

    // A recorder that logs its name and argv (NUL-separated, count first). Standing in for nc it also prints
    // the "requires an argument" complaint, so the script takes its ARG=-q0 branch.
    const RECORDER = [
      "#!/bin/sh",
      `{ printf '%s\\0' "\${0##*/}" "$#"; for a in "$@"; do printf '%s\\0' "$a"; done; } >> "$REC_LOG"`,
      `if [ "$#" = 1 ] && [ "$1" = -q ]; then echo "nc: option requires an argument -- q" >&2; fi`,
      "exit 0",
      "",
    ].join("\n");
    const HOSTILE_NC = "nc'; reboot; '";

    before(() => {
      dir = mkdtempSync(join(tmpdir(), "pv-uri-"));
      bin = join(dir, "bin");
      mkdirSync(bin);
      writeFileSync(join(dir, "rec"), RECORDER);
      chmodSync(join(dir, "rec"), 0o755);
      // The PATH holds only these: the tools the remote script needs, and recorders for everything an injection
      // would run (rm, reboot, touch), so a quoting bug shows up in the log instead of doing anything.
      for (const [name, target] of [
        ["sh", "/bin/sh"],
        ["which", "/usr/bin/which"],
        ["grep", "/usr/bin/grep"],
      ]) {
        symlinkSync(target!, join(bin, name!));
      }
      for (const name of ["nc", "virt-ssh-helper", "rm", "reboot", "touch", "id", HOSTILE_NC]) {
        symlinkSync(join(dir, "rec"), join(bin, name));
      }
    });
    after(() => {
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    /** Runs `remote` the way sshd does (`$SHELL -c remote`) and returns the recorded calls. */
    function runRemote(shell: string, remote: string): Array<{ name: string; args: string[] }> {
      const log = join(dir, `log-${Math.random().toString(36).slice(2)}`);
      writeFileSync(log, "");
      const r = spawnSync(shell, ["-c", remote], { env: { PATH: bin, REC_LOG: log }, encoding: "utf8", cwd: dir });
      assert.equal(r.status, 0, `${shell} failed: ${r.stderr}`);
      const fields = readFileSync(log, "utf8").split("\0");
      rmSync(log);
      const calls: Array<{ name: string; args: string[] }> = [];
      let i = 0;
      while (i < fields.length - 1) {
        const name = fields[i++]!;
        const n = Number(fields[i++]);
        calls.push({ name, args: fields.slice(i, i + n) });
        i += n;
      }
      return calls;
    }

    const hostile = ["'; rm -rf /; '", "/tmp/$(reboot)", "/tmp/`reboot`", `/a b/"c"\\d'e$HOME;id&touch x|y>z<w*?[!]{}~`, "'", "''", "\\'"];
    const shells = ["/bin/sh", "/bin/bash"];

    for (const shell of shells) {
      for (const value of hostile) {
        it(`${shell}: socket=${JSON.stringify(value)} reaches nc as one literal argument`, () => {
          const t = parseUri(`qemu+ssh://h/system?socket=${encodeURIComponent(value)}`, ROOT) as SshTarget;
          const calls = runRemote(shell, t.args.at(-1)!);
          assert.deepEqual(calls, [
            { name: "nc", args: ["-q"] },
            { name: "nc", args: ["-q0", "-U", value] },
          ]);
        });

        it(`${shell}: name=${JSON.stringify(value)} reaches virt-ssh-helper as one literal argument (auto and native, read-only)`, () => {
          const name = `test:///default?x=${value}`;
          for (const proxy of ["auto", "native"]) {
            const t = parseUri(`test+ssh://h/default?proxy=${proxy}&name=${encodeURIComponent(name)}`, { ...ROOT, readOnly: true }) as SshTarget;
            assert.equal(t.openUri, name);
            const calls = runRemote(shell, t.args.at(-1)!);
            assert.deepEqual(calls, [{ name: "virt-ssh-helper", args: ["-r", name] }]);
          }
        });

        it(`${shell}: a parameter ${JSON.stringify(value)} kept in the driver URI reaches virt-ssh-helper encoded`, () => {
          const t = parseUri(`qemu+ssh://h/system?x=${encodeURIComponent(value)}`, ROOT) as SshTarget;
          const calls = runRemote(shell, t.args.at(-1)!);
          assert.deepEqual(calls, [{ name: "virt-ssh-helper", args: [t.openUri] }]);
        });
      }

      it(`${shell}: netcat=${JSON.stringify(HOSTILE_NC)} runs the program of that literal name`, () => {
        const t = parseUri(
          `qemu+ssh://h/system?proxy=netcat&netcat=${encodeURIComponent(HOSTILE_NC)}&socket=${encodeURIComponent("/s'$(id)")}`,
          ROOT,
        ) as SshTarget;
        const calls = runRemote(shell, t.args.at(-1)!);
        assert.deepEqual(calls, [
          { name: HOSTILE_NC, args: ["-q"] },
          { name: HOSTILE_NC, args: ["-q0", "-U", "/s'$(id)"] },
        ]);
      });

      it(`${shell}: without virt-ssh-helper, proxy=auto falls back to nc on the default socket`, () => {
        rmSync(join(bin, "virt-ssh-helper"));
        try {
          const t = parseUri("qemu+ssh://h/system", ROOT) as SshTarget;
          assert.deepEqual(runRemote(shell, t.args.at(-1)!), [
            { name: "nc", args: ["-q"] },
            { name: "nc", args: ["-q0", "-U", "/var/run/libvirt/libvirt-sock"] },
          ]);
        } finally {
          symlinkSync(join(dir, "rec"), join(bin, "virt-ssh-helper"));
        }
      });
    }

    it("left no stray files (an injected `touch x` would have made one)", () => {
      assert.deepEqual(readdirSync(dir).sort(), ["bin", "rec"]);
    });
  });
});
