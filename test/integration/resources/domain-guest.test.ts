import assert from "node:assert/strict";
import { join } from "node:path";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { setReporter } from "../../../provider/resources/provider";
import { waitForSerial } from "../../../tools/guest/guest";
import { guestDomain, guestFiles } from "../../support/guest-domain";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// The booted test guest (type qemu: TCG) lets hot-unplug and ACPI shutdown finish, which a domain with no OS never does.
const URI = "qemu:///system";

describe("virt:Domain with a booted guest (type qemu, q35)", function () {
  this.timeout(600000);
  const dir = tempDir("dom-guest");
  const pool = uniqueName("pool");
  const net = uniqueName("net");
  const name = uniqueName("vm");
  const serial = join(dir.path, "serial.log");
  let lv: Libvirt;
  const said: string[] = [];

  before(async () => {
    setReporter((l) => said.push(l));
    guestFiles(dir.path);
    virsh(URI, "pool-define-as", pool, "dir", "--target", `${dir.path}/images`);
    virsh(URI, "pool-build", pool);
    virsh(URI, "pool-start", pool);
    virsh(URI, "vol-create-as", pool, "data.raw", "8M", "--format", "raw");
    lv = await Libvirt.connect(URI);
    await lv.networks.create(await lv.networks.defineXML(`<network><name>${net}</name></network>`));
  });
  after(async () => {
    await cleanupAll([
      () => {
        virshMaybe(URI, "destroy", name);
        virshMaybe(URI, "undefine", name, "--nvram");
      },
      () => {
        virshMaybe(URI, "vol-delete", "--pool", pool, "data.raw");
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-undefine", pool);
        virshMaybe(URI, "net-destroy", net);
        virshMaybe(URI, "net-undefine", net);
      },
      () => lv.close(),
      () => closeAll(),
      () => dir.remove(),
    ]);
  });

  const spec = (extra: Record<string, unknown> = {}) =>
    guestDomain(URI, name, dir.path, serial, "", {
      maxVcpus: 2,
      networkInterfaces: [{ network: net, mac: "52:54:00:5e:00:01" }],
      // q35 hot-plugs into free PCIe root ports: leave a few.
      extraDevices: [20, 21, 22].map((i) => `<controller type='pci' index='${i}' model='pcie-root-port'/>`),
      shutdownTimeout: 60,
      hotplugTimeout: 60,
      ...extra,
    });

  async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
    const r = await domain.check(olds, news);
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }

  it("hot-plugs a volume disk and a NIC, removes them again live, and shuts down gracefully on delete", async () => {
    const inputs = await checked(spec());
    const { id, outs } = await domain.create(inputs);
    await waitForSerial(serial, /GUEST: ready /, 240000);
    const idBefore = virsh(URI, "domid", name);

    const plugged = await checked(
      spec({
        disks: [{ volume: { pool, volume: "data.raw" } }],
        networkInterfaces: [
          { network: net, mac: "52:54:00:5e:00:01" },
          { network: net, mac: "52:54:00:5e:00:02" },
        ],
      }),
      outs,
    );
    const u1 = await domain.update(id, outs, plugged);
    assert.match(virsh(URI, "domblklist", name), /vda\s+data\.raw/);
    assert.match(virsh(URI, "domiflist", name), /52:54:00:5e:00:02/);
    await waitForSerial(serial, /GUEST: disks \S+/, 60000);

    const removed = await checked(spec(), u1.outs);
    const u2 = await domain.update(id, u1.outs, removed);
    assert.doesNotMatch(virsh(URI, "domblklist", name), /data\.raw/, "the guest released the disk");
    assert.doesNotMatch(virsh(URI, "domiflist", name), /52:54:00:5e:00:02/, "and the NIC");
    assert.equal(virsh(URI, "domid", name), idBefore, "the same running domain throughout");

    said.length = 0;
    await domain.delete(id, u2.outs);
    assert.ok(!said.some((l) => /forced off/.test(l)), `the guest answered the ACPI shutdown before the timeout: ${said.join(" | ")}`);
    assert.equal(virshMaybe(URI, "domstate", name), null);
  });
});
