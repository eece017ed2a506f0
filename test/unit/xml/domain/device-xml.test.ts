import assert from "node:assert/strict";
import { XmlError } from "../../../../provider/xml/document";
import { deviceXml, findDevice, parseDomainXml } from "../../../../provider/xml/domain";
import { domainFixture } from "./samples";

describe("xml domain device snippets and findDevice", () => {
  const live = domainFixture("kvm-live.xml");

  it("a disk for attach: type, device, driver, source, target", () => {
    assert.equal(
      deviceXml("disk", {
        source: { type: "volume", pool: "p", volume: "data.qcow2" },
        driver: { name: "qemu", type: "qcow2" },
        target: { dev: "vdb", bus: "virtio" },
        serial: "d1",
      }),
      `<disk type='volume'>
  <driver name='qemu' type='qcow2'/>
  <source pool='p' volume='data.qcow2'/>
  <target dev='vdb' bus='virtio'/>
  <serial>d1</serial>
</disk>
`,
    );
  });

  it("a CD-ROM for update (media change) and an empty one (eject)", () => {
    assert.equal(
      deviceXml("disk", { device: "cdrom", source: { type: "file", path: "/iso/a.iso" }, target: { dev: "hdc", bus: "ide" }, readonly: true }),
      `<disk type='file' device='cdrom'>\n  <source file='/iso/a.iso'/>\n  <target dev='hdc' bus='ide'/>\n  <readonly/>\n</disk>\n`,
    );
    assert.equal(
      deviceXml("disk", { device: "cdrom", source: { type: "file" }, target: { dev: "hdc", bus: "ide" } }),
      `<disk type='file' device='cdrom'>\n  <target dev='hdc' bus='ide'/>\n</disk>\n`,
    );
  });

  it("an interface, and a Xen netfront NIC", () => {
    assert.equal(
      deviceXml("interface", { type: "network", network: "n1", mac: "52:54:00:70:00:05", model: "virtio" }),
      `<interface type='network'>\n  <mac address='52:54:00:70:00:05'/>\n  <source network='n1'/>\n  <model type='virtio'/>\n</interface>\n`,
    );
    assert.match(
      deviceXml("interface", { type: "bridge", bridge: "xenbr0", mac: "00:16:3e:00:00:01", model: "netfront" }),
      /<source bridge='xenbr0'\/>\n  <model type='netfront'\/>/,
    );
  });

  it("for detach: the device as read back, with its alias; addresses and live-only fields left out", () => {
    const m = parseDomainXml(live);
    assert.equal(
      deviceXml("disk", m.devices.disks![0], { detach: true }),
      `<disk type='volume' device='disk'>
  <driver name='qemu' type='qcow2' cache='none' discard='unmap'/>
  <source pool='pvt-xml-dom-pool' volume='root.qcow2'/>
  <target dev='vda' bus='virtio'/>
  <serial>pvt-root</serial>
  <alias name='virtio-disk0'/>
</disk>
`,
    );
    const nic = deviceXml("interface", m.devices.interfaces![0], { detach: true });
    assert.match(nic, /<mac address='52:54:00:70:00:01'\/>[\s\S]*<alias name='net0'\/>/);
    assert.doesNotMatch(nic, /vnet1|<address/);
    assert.doesNotMatch(deviceXml("disk", m.devices.disks![0]), /alias/);
  });

  it("detaching a NIC needs its MAC", () => {
    assert.throws(
      () => deviceXml("interface", { type: "network", network: "n" }, { detach: true }),
      (e: unknown) => e instanceof XmlError && /MAC/.test(e.message),
    );
  });

  it("other kinds: filesystem, channel, rng, tpm, graphics, serial", () => {
    assert.equal(
      deviceXml("filesystem", { driver: "virtiofs", sourceDir: "/srv/s", tag: "s" }),
      `<filesystem type='mount'>\n  <driver type='virtiofs'/>\n  <source dir='/srv/s'/>\n  <target dir='s'/>\n</filesystem>\n`,
    );
    assert.equal(
      deviceXml("channel", { type: "unix", targetType: "virtio", targetName: "org.qemu.guest_agent.0" }),
      `<channel type='unix'>\n  <target type='virtio' name='org.qemu.guest_agent.0'/>\n</channel>\n`,
    );
    assert.equal(deviceXml("rng", { backend: "builtin" }), `<rng model='virtio'>\n  <backend model='builtin'/>\n</rng>\n`);
    assert.equal(
      deviceXml("tpm", { model: "tpm-crb", backend: "emulator", version: "2.0" }),
      `<tpm model='tpm-crb'>\n  <backend type='emulator' version='2.0'/>\n</tpm>\n`,
    );
    assert.equal(
      deviceXml("serial", { type: "file", path: "/var/log/s.log", append: true, port: 1 }),
      `<serial type='file'>\n  <source path='/var/log/s.log' append='on'/>\n  <target port='1'/>\n</serial>\n`,
    );
  });

  it("findDevice: by target dev, by MAC in any case, by alias; false when absent", () => {
    assert.equal(findDevice(live, "disk", "vda"), true);
    assert.equal(findDevice(live, "disk", "ide0-1-0"), true);
    assert.equal(findDevice(live, "disk", "vdb"), false);
    assert.equal(findDevice(live, "interface", "52:54:00:70:00:01"), true);
    assert.equal(findDevice(live, "interface", "52:54:00:70:00:01".toUpperCase()), true);
    assert.equal(findDevice(live, "interface", "net0"), true);
    assert.equal(findDevice(live, "interface", "vda"), false);
    assert.equal(findDevice(live, "channel", "org.qemu.guest_agent.0"), true);
    assert.equal(findDevice(live, "rng", "rng0"), true);
    assert.equal(findDevice(live, "graphics", "vnc"), true);
    assert.equal(findDevice(domainFixture("tcg-defined.xml"), "filesystem", "share9p"), true);
    assert.equal(findDevice("<domain type='kvm'><name>x</name></domain>", "disk", "vda"), false);
    assert.throws(() => findDevice("<pool/>", "disk", "vda"), /expected <domain>/);
  });
});
