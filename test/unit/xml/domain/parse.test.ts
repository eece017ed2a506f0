import assert from "node:assert/strict";
import { XmlError } from "../../../../provider/xml/document";
import { canonicalDeviceXml, canonicalOsType, extraDeviceMatches, parseDomainXml, sameMachine } from "../../../../provider/xml/domain";

const dom = (inner: string, type = "kvm") => `<domain type='${type}'><name>d</name><memory>131072</memory><os><type>hvm</type></os>${inner}</domain>`;

describe("xml domain parse", () => {
  it("memory in any libvirt unit becomes bytes; no unit means KiB", () => {
    assert.equal(parseDomainXml(dom("")).memory, 128 * 2 ** 20);
    const m = parseDomainXml(
      "<domain type='qemu'><name>d</name><memory unit='GiB'>2</memory><currentMemory unit='M'>1536</currentMemory><os><type>hvm</type></os></domain>",
    );
    assert.equal(m.memory, 2 * 2 ** 30);
    assert.equal(m.currentMemory, 1536 * 2 ** 20);
  });

  it("Xen PV: 'linux' and 'xen' read as 'xen'; a bootloader without <os> is PV", () => {
    assert.equal(parseDomainXml("<domain type='xen'><name>d</name><memory>1024</memory><os><type>linux</type></os></domain>").os.type, "xen");
    const pygrub = parseDomainXml("<domain type='xen'><name>d</name><memory>1024</memory><bootloader>/usr/bin/pygrub</bootloader></domain>");
    assert.deepEqual(pygrub.os, { type: "xen", bootloader: "/usr/bin/pygrub" });
    assert.equal(canonicalOsType("linux"), "xen");
    assert.equal(canonicalOsType("xenpvh"), "xenpvh");
  });

  it("devices the typed lists do not model become extraDevices; serial mirrors are left out", () => {
    const m = parseDomainXml(
      dom(
        "<devices><interface type='user'><mac address='52:54:00:00:00:01'/></interface><disk type='dir' device='disk'><source dir='/x'/><target dev='hda'/></disk>" +
          "<serial type='tcp'><source mode='bind' host='0.0.0.0' service='4555'/><protocol type='raw'/></serial><serial type='pty'/><console type='pty'><target type='serial' port='0'/></console>" +
          "<rng model='virtio'><backend model='egd' type='udp'/></rng><filesystem type='ram'><source usage='1024'/><target dir='/m'/></filesystem></devices>",
      ),
    );
    assert.deepEqual(m.devices.serials, [{ type: "pty" }]);
    assert.equal(m.devices.consoles, undefined);
    assert.deepEqual(
      m.devices.extraDevices?.map((x) => x.slice(0, x.indexOf(">") + 1)),
      ["<interface type='user'>", "<disk type='dir' device='disk'>", "<serial type='tcp'>", "<rng model='virtio'>", "<filesystem type='ram'>"],
    );
  });

  it("graphics: an autoport display reports the port libvirt picked as livePort, a fixed one as port", () => {
    const g = parseDomainXml(
      dom(
        "<devices><graphics type='vnc' port='5907' autoport='yes'/><graphics type='spice' port='5930' autoport='no'/><graphics type='vnc' port='-1'/></devices>",
      ),
    ).devices.graphics;
    assert.deepEqual(g, [{ type: "vnc", livePort: 5907 }, { type: "spice", port: 5930 }, { type: "vnc" }]);
  });

  it("features: presence and on/off forms; xen passthrough", () => {
    const f = parseDomainXml(
      dom(
        "<features><acpi/><hap state='off'/><smm/><pvspinlock state='on'/><xen><e820_host state='off'/><passthrough state='on' mode='share_pt'/></xen></features>",
      ),
    ).features;
    assert.deepEqual(f, { acpi: true, hap: false, smm: true, pvspinlock: true, xen: { e820Host: false, passthrough: true, passthroughMode: "share_pt" } });
  });

  it("rejects what it cannot read, naming the domain", () => {
    assert.throws(() => parseDomainXml("<network/>"), /expected <domain>/);
    assert.throws(
      () => parseDomainXml(dom("", "lxc")),
      (e: unknown) => e instanceof XmlError && /domain 'd': domain type 'lxc'/.test(e.message),
    );
    assert.throws(() => parseDomainXml("<domain type='kvm'><name>d</name><memory>1</memory><os><type>exe</type></os></domain>"), /os type 'exe'/);
    assert.throws(() => parseDomainXml("<domain type='kvm'><name>d</name><os><type>hvm</type></os></domain>"), /no <memory>/);
    assert.throws(() => parseDomainXml(dom("<devices><disk type='file'><source file='/a'/></disk></devices>")), /<disk> without <target dev/);
    assert.throws(() => parseDomainXml(dom("<vcpu>two</vcpu>")), /not an integer/);
  });

  it("machine aliases and extra-device containment", () => {
    assert.ok(sameMachine("pc", "pc-i440fx-7.2"));
    assert.ok(sameMachine("q35", "pc-q35-7.2"));
    assert.ok(sameMachine("virt", "virt-7.2"));
    assert.ok(sameMachine("pc-q35-7.2", "pc-q35-7.2"));
    assert.ok(!sameMachine("pc", "pc-q35-7.2"));
    assert.ok(
      extraDeviceMatches(
        "<watchdog model='i6300esb' action='reset'/>",
        "<watchdog model='i6300esb' action='reset'><alias name='watchdog0'/><address type='pci' slot='0x08'/></watchdog>",
      ),
    );
    assert.ok(!extraDeviceMatches("<watchdog model='i6300esb' action='poweroff'/>", "<watchdog model='i6300esb' action='reset'/>"));
    assert.ok(
      extraDeviceMatches(
        "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/></source></hostdev>",
        "<hostdev mode='subsystem' type='usb' managed='no'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>",
      ),
    );
    assert.equal(canonicalDeviceXml("<input  type=\"tablet\"\n bus='usb'>\n</input>"), "<input type='tablet' bus='usb'/>");
  });
});
