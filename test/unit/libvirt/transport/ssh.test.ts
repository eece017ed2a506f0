import assert from "node:assert/strict";
import { buildSshCommand, remoteCommand, shellQuote, type SshCommandInput } from "../../../../provider/libvirt/transport";

/**
 * Golden command lines: what libvirt 9.0's virsh ran, captured by pointing `?command=` at a script that logs its
 * argv (doc libvirt-protocol.md §8.3; the extra cases were captured the same way on this host).
 */
const NC_PROBE = `if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;`;
const GOLDEN = {
  auto:
    `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper 'qemu:///system'; else    ` +
    `${NC_PROBE}'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'`,
  autoReadOnly:
    `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper -r 'qemu:///system'; else    ` +
    `${NC_PROBE}'nc' $ARG -U /var/run/libvirt/libvirt-sock-ro; fi'`,
  native: `sh -c 'virt-ssh-helper 'qemu:///system''`,
  nativeReadOnly: `sh -c 'virt-ssh-helper -r 'qemu:///system''`,
  netcat: `sh -c '${NC_PROBE}'nc' $ARG -U /var/run/libvirt/libvirt-sock'`,
  netcatReadOnly: `sh -c '${NC_PROBE}'nc' $ARG -U /var/run/libvirt/libvirt-sock-ro'`,
  // test+ssh://h/default?socket=/run/libvirt/libvirt-sock
  socket: `sh -c '${NC_PROBE}'nc' $ARG -U /run/libvirt/libvirt-sock'`,
  // netcat=/opt/my%20nc&proxy=netcat
  netcatSpaced:
    `sh -c 'if '''\\''/opt/my nc'\\'''' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` +
    `'''\\''/opt/my nc'\\'''' $ARG -U /var/run/libvirt/libvirt-sock'`,
  // name=qemu:///system%3Ffoo%3Dbar (proxy=auto)
  nameWithQuery:
    `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper '''\\''qemu:///system?foo=bar'\\''''; else    ` +
    `${NC_PROBE}'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'`,
  // netcat=x%27y (libvirt quotes the program correctly; we match it byte for byte)
  netcatQuote:
    `sh -c 'if '''\\''x'\\''\\'\\'''\\''y'\\'''' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` +
    `'''\\''x'\\''\\'\\'''\\''y'\\'''' $ARG -U /var/run/libvirt/libvirt-sock'`,
};

const base: SshCommandInput = {
  host: "fakehost",
  noTty: false,
  noVerify: false,
  proxy: "auto",
  readOnly: false,
  driverUri: "qemu:///system",
};

describe("transport/ssh command line", () => {
  it("matches libvirt 9.0 for qemu+ssh://root@fakehost:2222/system?keyfile=~/.ssh/id_fake&no_verify=1&no_tty=1", () => {
    const { command, args } = buildSshCommand({ ...base, port: 2222, user: "root", keyfile: "~/.ssh/id_fake", noTty: true, noVerify: true });
    assert.equal(command, "ssh");
    assert.deepEqual(args, [
      "-p",
      "2222",
      "-l",
      "root",
      "-i",
      "~/.ssh/id_fake",
      "-T",
      "-e",
      "none",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "--",
      "fakehost",
      GOLDEN.auto,
    ]);
  });

  it("passes no -p, -l, -i or -o when the URI has none (port 22 is ssh's own default)", () => {
    assert.deepEqual(buildSshCommand(base).args, ["-T", "-e", "none", "--", "fakehost", GOLDEN.auto]);
  });

  it("passes an explicit port 22 as libvirt does", () => {
    assert.deepEqual(buildSshCommand({ ...base, port: 22 }).args.slice(0, 2), ["-p", "22"]);
  });

  it("orders BatchMode before StrictHostKeyChecking, each only when asked", () => {
    assert.deepEqual(buildSshCommand({ ...base, noTty: true }).args.slice(0, 5), ["-T", "-e", "none", "-o", "BatchMode=yes"]);
    assert.deepEqual(buildSshCommand({ ...base, noVerify: true }).args.slice(0, 5), ["-T", "-e", "none", "-o", "StrictHostKeyChecking=no"]);
  });

  it("runs command= instead of ssh, with the same arguments", () => {
    const { command, args } = buildSshCommand({ ...base, command: "/opt/bin/my ssh" });
    assert.equal(command, "/opt/bin/my ssh");
    assert.deepEqual(args, ["-T", "-e", "none", "--", "fakehost", GOLDEN.auto]);
  });

  const remotes: Array<[string, Partial<SshCommandInput>, string]> = [
    ["proxy=auto", {}, GOLDEN.auto],
    ["proxy=auto, read-only", { readOnly: true }, GOLDEN.autoReadOnly],
    ["proxy=native", { proxy: "native" }, GOLDEN.native],
    ["proxy=native, read-only", { proxy: "native", readOnly: true }, GOLDEN.nativeReadOnly],
    ["proxy=netcat", { proxy: "netcat" }, GOLDEN.netcat],
    ["proxy=netcat, read-only", { proxy: "netcat", readOnly: true }, GOLDEN.netcatReadOnly],
    ["socket= (auto becomes netcat)", { socket: "/run/libvirt/libvirt-sock", driverUri: "test:///default" }, GOLDEN.socket],
    ["socket= with proxy=native (socket unused)", { proxy: "native", socket: "/s" }, GOLDEN.native],
    ["netcat= with a space", { proxy: "netcat", netcat: "/opt/my nc" }, GOLDEN.netcatSpaced],
    ["netcat= with a quote", { proxy: "netcat", netcat: "x'y" }, GOLDEN.netcatQuote],
    ["a driver URI with a query", { driverUri: "qemu:///system?foo=bar" }, GOLDEN.nameWithQuery],
  ];
  for (const [name, input, golden] of remotes) {
    it(`remote command, ${name}, is libvirt's`, () => {
      assert.equal(remoteCommand({ ...base, ...input }), golden);
    });
  }

  it("quotes a socket path with a quote in it (libvirt 9.0 inserts it raw, which breaks)", () => {
    // libvirt: ...'nc' $ARG -U /x'y'   — an unbalanced quote. Ours reads back as /x'y (see uri.test.ts, run in sh).
    assert.equal(remoteCommand({ ...base, socket: "/x'y" }), `sh -c '${NC_PROBE}'nc' $ARG -U '\\''/x'\\''\\'\\'''\\''y'\\'''`);
  });

  describe("shellQuote", () => {
    const quotes: Array<[string, string]> = [
      ["nc", "nc"],
      ["qemu:///system", "qemu:///system"],
      ["/var/run/libvirt/libvirt-sock", "/var/run/libvirt/libvirt-sock"],
      ["", "''"],
      ["a b", "'a b'"],
      ["x'y", `'x'\\''y'`],
      ["$(reboot)", "'$(reboot)'"],
      ["`reboot`", "'`reboot`'"],
      ["a=b", "'a=b'"],
      ["~/x", "'~/x'"],
      ["q?x", "'q?x'"],
    ];
    for (const [input, want] of quotes) {
      it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(shellQuote(input), want));
    }
  });
});
