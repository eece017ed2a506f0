import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { closeAll } from "../../../provider/resources/connections";
import { network } from "../../../provider/resources/network";
import { Props, setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { freeSubnet } from "../../../tools/support/subnet";

const URI = "qemu:///system";

describe("virt:Network adopted while running, against qemu:///system", function () {
  this.timeout(120000);
  const lines: string[] = [];
  const tmp = tempDir("saf-net");
  const nets: string[] = [];

  before(() => setReporter((l) => lines.push(l)));
  after(async () => {
    await cleanupAll([
      () => {
        for (const n of nets) {
          virshMaybe(URI, "net-destroy", n);
          virshMaybe(URI, "net-undefine", n);
        }
      },
      () => closeAll(),
      () => tmp.remove(),
    ]);
  });

  async function checked(news: Props): Promise<Props> {
    const r = await network.check({}, { connection: { uri: URI }, ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }

  it("g: applies the DHCP and DNS hosts live, as an update would, and names what waits for a restart", async () => {
    const name = uniqueName("saf-net");
    nets.push(name);
    const sub = `10.213.${freeSubnet()}`;
    writeFileSync(
      `${tmp.path}/${name}.xml`,
      `<network><name>${name}</name><ip address='${sub}.1' prefix='24'><dhcp><range start='${sub}.100' end='${sub}.199'/>` +
        `<host mac='52:54:00:d6:00:01' ip='${sub}.11'/></dhcp></ip></network>`,
    );
    virsh(URI, "net-define", `${tmp.path}/${name}.xml`);
    virsh(URI, "net-start", name);
    const pid = readFileSync(`/run/libvirt/network/${name}.pid`, "utf8").trim();

    const inputs = await checked({
      name,
      mode: "isolated",
      adopt: true,
      mtu: 1400,
      ips: [
        {
          address: `${sub}.1`,
          prefix: 24,
          dhcp: { ranges: [{ start: `${sub}.100`, end: `${sub}.199` }], hosts: [{ mac: "52:54:00:d6:00:02", ip: `${sub}.12` }] },
        },
      ],
      dnsHosts: [{ ip: `${sub}.12`, hostnames: ["web"] }],
    });
    lines.length = 0;
    await network.create(inputs);
    const live = virsh(URI, "net-dumpxml", name);
    assert.match(live, new RegExp(`<host mac='52:54:00:d6:00:02' ip='${sub}\\.12'/>`), live);
    assert.doesNotMatch(live, /52:54:00:d6:00:01/, "the old DHCP host is gone from the running network");
    assert.match(live, /<hostname>web<\/hostname>/);
    assert.match(readFileSync(`/var/lib/libvirt/dnsmasq/${name}.hostsfile`, "utf8"), new RegExp(`52:54:00:d6:00:02,${sub}\\.12`));
    assert.equal(readFileSync(`/run/libvirt/network/${name}.pid`, "utf8").trim(), pid, "not restarted");
    // The MTU is in the definition only: said by name.
    assert.match(virsh(URI, "net-dumpxml", "--inactive", name), /<mtu size='1400'\/>/);
    assert.ok(
      lines.some((l) => l.startsWith(`virt:Network ${name}: adopted while running:`) && l.includes("keeps its old mtu until it is restarted")),
      lines.join("\n"),
    );
  });
});
