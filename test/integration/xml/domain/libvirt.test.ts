import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyDomainXml, buildDomainXml, deviceXml, DomainModel, findDevice, parseDomainXml } from "../../../../provider/xml/domain";
import { buildNetworkXml } from "../../../../provider/xml/network";
import { buildPoolXml } from "../../../../provider/xml/pool";
import { buildVolumeXml } from "../../../../provider/xml/volume";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../../tools/support/host";
import { declared, efiModel, kvmModel, qemuModel, xenHvmModel, xenPvhModel, xenPvModel, xenPygrubModel } from "../../../unit/xml/domain/samples";
import { expectedRead } from "./filled";
import { ACCEL } from "../../../../tools/support/accel";

// What we build, libvirt 9.0 accepts; what it returns, we read back as what we declared plus the fields it
// fills in (expectedRead lists them). KVM/TCG domains on qemu:///system (defined; one started, with no guest
// OS, to hot-plug into); Xen domains on the test driver, which accepts type='xen' (there is no Xen host here).
const URI = "qemu:///system";
const run = (...args: string[]) => virsh(URI, ...args);
const MiB = 2 ** 20;

describe("xml domain model against libvirt 9.0", function () {
  this.timeout(120000);
  const files = tempDir("xml-domain-files");
  after(() => files.remove());
  let n = 0;
  const file = (xml: string) => {
    const f = join(files.path, `${n++}.xml`);
    writeFileSync(f, xml);
    return f;
  };
  const readInactive = (name: string) => run("dumpxml", "--inactive", "--security-info", name);

  describe("qemu:///system: define from buildDomainXml, read back", () => {
    const share = tempDir("xml-domain-share");
    const models: [string, DomainModel][] = [
      [`${ACCEL()} (i440fx, custom CPU)`, { ...kvmModel(uniqueName("xml-dom-kvm")), type: ACCEL() }],
      ["qemu (TCG)", qemuModel(uniqueName("xml-dom-tcg"), share.path)],
      [`${ACCEL()} UEFI + secure boot`, { ...efiModel(uniqueName("xml-dom-efi")), type: ACCEL() }],
    ];
    after(() =>
      cleanupAll([
        ...models.map(
          ([, m]) =>
            () =>
              virshMaybe(URI, "undefine", "--nvram", m.name) ?? virshMaybe(URI, "undefine", m.name),
        ),
        () => share.remove(),
      ]),
    );

    for (const [what, model] of models) {
      it(`${what}: reads back as declared, plus what libvirt fills in`, () => {
        run("define", file(buildDomainXml(model)));
        const read = parseDomainXml(readInactive(model.name));
        assert.deepStrictEqual(declared(read), expectedRead(model, read));
      });
    }

    it("redefines from applyDomainXml: uuid, controllers and their PCI addresses kept; a disk added, graphics dropped, memory raised", () => {
      const [, model] = models[0];
      const current = readInactive(model.name);
      const before = parseDomainXml(current);
      const edited: DomainModel = {
        ...model,
        memory: 384 * MiB,
        devices: {
          ...model.devices,
          disks: [
            ...model.devices.disks!,
            { source: { type: "file", path: join(files.path, "data.raw") }, driver: { name: "qemu", type: "raw" }, target: { dev: "vdb", bus: "virtio" } },
          ],
          graphics: [],
        },
      };
      run("define", file(applyDomainXml(current, edited)));
      const after = parseDomainXml(readInactive(model.name));
      assert.equal(after.uuid, before.uuid);
      assert.equal(after.memory, 384 * MiB);
      assert.deepEqual(
        after.devices.disks?.map((d) => d.target.dev),
        ["hdc", "vdb"],
      );
      assert.equal(after.devices.graphics, undefined);
      const controllers = (m: DomainModel) => (m.devices.extraDevices ?? []).filter((x) => x.startsWith("<controller"));
      assert.deepEqual(controllers(after), controllers(before));
      assert.deepEqual(after.devices.channels, before.devices.channels);
    });
  });

  describe("Xen on the test driver (test+unix:///default accepts type='xen')", () => {
    // The test driver forgets everything when its last connection closes: one virsh session does it all.
    const models: [string, DomainModel][] = [
      ["PV, direct kernel boot", xenPvModel(uniqueName("xml-dom-pv"))],
      ["PV, pygrub", xenPygrubModel(uniqueName("xml-dom-pygrub"))],
      ["PVH", xenPvhModel(uniqueName("xml-dom-pvh"))],
      ["HVM", xenHvmModel(uniqueName("xml-dom-hvm"))],
    ];
    let reads: string[] = [];
    before(() => {
      const script = models.map(([, m]) => `define ${file(buildDomainXml(m))}\ndumpxml --inactive ${m.name}\n`).join("");
      const out = execFileSync("virsh", ["-q", "-c", "test+unix:///default"], { input: script, encoding: "utf8" });
      reads = [...out.matchAll(/<domain[\s\S]*?<\/domain>/g)].map((m) => m[0]);
      assert.equal(reads.length, models.length, `one XML per domain:\n${out}`);
    });

    models.forEach(([what, model], i) => {
      it(`${what}: reads back as declared (PV: os type 'xen' comes back as 'linux', parsed as 'xen')`, () => {
        const read = parseDomainXml(reads[i]);
        assert.deepStrictEqual(declared(read), expectedRead(model, read));
        if (model.os.type === "xen") assert.match(reads[i], />linux<\/type>/);
      });
    });
  });

  describe(`hot-plug into a running ${ACCEL()} domain (no guest OS)`, () => {
    const dir = tempDir("xml-domain-pool");
    const pool = uniqueName("xml-dom-pool");
    const net = uniqueName("xml-dom-net");
    const name = uniqueName("xml-dom-live");
    const model: DomainModel = {
      type: ACCEL(),
      name,
      memory: 128 * MiB,
      vcpu: { max: 1 },
      os: { type: "hvm", machine: "pc", boot: ["hd"] },
      features: { acpi: true, apic: true }, // i440fx PCI hot-plug goes through ACPI
      devices: {
        interfaces: [{ type: "network", network: net, mac: "52:54:00:71:00:01", model: "virtio" }],
        serials: [{ type: "pty" }],
        memballoon: { model: "virtio" },
      },
    };
    after(() =>
      cleanupAll([
        () => virshMaybe(URI, "destroy", name),
        () => virshMaybe(URI, "undefine", name),
        () => virshMaybe(URI, "vol-delete", "--pool", pool, "hot.raw"),
        () => virshMaybe(URI, "pool-destroy", pool),
        () => virshMaybe(URI, "pool-undefine", pool),
        () => virshMaybe(URI, "net-destroy", net),
        () => virshMaybe(URI, "net-undefine", net),
        () => dir.remove(),
      ]),
    );

    before(() => {
      chmodSync(dir.path, 0o755); // QEMU runs as its own user and must reach the volume
      run("pool-define", file(buildPoolXml({ type: "dir", name: pool, target: { path: join(dir.path, "images") } })));
      run("pool-build", pool);
      run("pool-start", pool);
      run("vol-create", pool, file(buildVolumeXml({ name: "hot.raw", capacity: 8 * MiB, format: "raw" })));
      run("net-define", file(buildNetworkXml({ name: net, mode: "isolated" })));
      run("net-start", net);
      run("define", file(buildDomainXml(model)));
      run("start", name);
    });

    it("the live XML reads back with aliases, PCI addresses, the tap device and the pty", () => {
      const live = parseDomainXml(run("dumpxml", name));
      assert.ok(live.id !== undefined && live.id > 0);
      const nic = live.devices.interfaces![0];
      assert.equal(nic.alias, "net0");
      assert.equal(nic.address?.type, "pci");
      assert.match(nic.targetDev ?? "", /^vnet\d+$/);
      assert.match(live.devices.serials![0].type === "pty" ? (live.devices.serials![0].ptyPath ?? "") : "", /^\/dev\/pts\/\d+$/);
    });

    it("attaches a disk from deviceXml (virDomainAttachDeviceFlags LIVE); findDevice sees it in the live XML only", () => {
      const disk = deviceXml("disk", {
        source: { type: "volume", pool, volume: "hot.raw" },
        driver: { name: "qemu", type: "raw" },
        target: { dev: "vdb", bus: "virtio" },
        serial: "hot1",
      });
      run("attach-device", name, file(disk), "--live");
      const live = run("dumpxml", name);
      assert.equal(findDevice(live, "disk", "vdb"), true);
      const got = parseDomainXml(live).devices.disks!.find((d) => d.target.dev === "vdb")!;
      assert.equal(got.serial, "hot1");
      assert.equal(got.address?.type, "pci");
      assert.equal(findDevice(live, "disk", got.alias!), true);
      assert.equal(findDevice(readInactive(name), "disk", "vdb"), false);
    });

    it("attaches a NIC from deviceXml; findDevice finds it by MAC and by alias", () => {
      const mac = "52:54:00:71:00:02";
      run("attach-device", name, file(deviceXml("interface", { type: "network", network: net, mac, model: "virtio" })), "--live");
      const live = run("dumpxml", name);
      assert.equal(findDevice(live, "interface", mac.toUpperCase()), true);
      const nic = parseDomainXml(live).devices.interfaces!.find((x) => x.mac === mac)!;
      assert.equal(findDevice(live, "interface", nic.alias!), true);
      assert.equal(findDevice(readInactive(name), "interface", mac), false);
    });
  });
});
