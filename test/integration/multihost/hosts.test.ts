import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Libvirt } from "../../../provider/libvirt";
import { ensureHosts, hostsScript, TestHost } from "../../../tools/support/hosts";
import { virsh } from "../../../tools/support/host";

// The multi-host test bed (scripts/hosts.sh): real libvirtds with their own host name, host UUID and state,
// reached from the main namespace over tcp, tls and ssh by our client; virsh over each host's unix socket judges.
const hostUuid = (caps: string) => /<host>\s*<uuid>([0-9a-f-]+)<\/uuid>/.exec(caps)?.[1];
const pidOf = (h: TestHost) => readFileSync(join(h.dir, "libvirtd.pid"), "utf8").trim();

describe("multi-host test bed (scripts/hosts.sh)", function () {
  this.timeout(240000);
  let hosts: TestHost[] = [];

  before(() => {
    hosts = ensureHosts();
  });

  it("gives 3 hosts, each its own host name and host UUID, none the system daemon's", () => {
    assert.equal(hosts.length, 3);
    const system = hostUuid(virsh("qemu:///system", "capabilities"));
    const uuids = hosts.map((h) => hostUuid(virsh(h.sock, "capabilities")));
    assert.equal(new Set([...uuids, system]).size, 4, JSON.stringify({ uuids, system }));
    for (const [i, h] of hosts.entries()) {
      assert.equal(virsh(h.sock, "hostname"), h.name);
      assert.equal(uuids[i], readFileSync(join(h.dir, "host_uuid"), "utf8").trim(), "the host_uuid of its libvirtd.conf");
    }
    assert.notEqual(virsh("qemu:///system", "hostname"), hosts[0]!.name);
  });

  for (const transport of ["tcp", "tls", "ssh"] as const) {
    it(`our client reaches every host over qemu+${transport}: the same daemon as its unix socket`, async () => {
      for (const h of hosts) {
        const lv = await Libvirt.connect(h[transport]);
        try {
          assert.equal(await lv.host.getHostname(), h.name);
          assert.equal(hostUuid(await lv.host.getCapabilities()), hostUuid(virsh(h.sock, "capabilities")));
        } finally {
          await lv.close();
        }
      }
    });
  }

  it("keeps its state separate: a pool defined on one host exists on no other and not on the system daemon", () => {
    const name = `pvt-mh-bed-${process.pid}`;
    try {
      virsh(hosts[0]!.sock, "pool-define-as", name, "dir", "--target", `/var/lib/libvirt/${name}`);
      assert.match(readFileSync(join(hosts[0]!.dir, "etc", "storage", `${name}.xml`), "utf8"), new RegExp(`<name>${name}</name>`));
      for (const uri of [hosts[1]!.sock, hosts[2]!.sock, "qemu:///system"]) {
        assert.ok(!virsh(uri, "pool-list", "--all", "--name").split("\n").includes(name), uri);
      }
    } finally {
      virsh(hosts[0]!.sock, "pool-undefine", name);
    }
  });

  it("up again leaves running hosts alone; status says every host is up", () => {
    const before = hosts.map(pidOf);
    const out = hostsScript("up", "3");
    assert.equal((out.match(/already up/g) ?? []).length, 3, out);
    assert.deepEqual(hosts.map(pidOf), before);
    const status = hostsScript("status");
    for (const h of hosts) assert.match(status, new RegExp(`^${h.name}: up .*hostname=${h.name} `, "m"));
  });
});
