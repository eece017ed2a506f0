import assert from "node:assert/strict";
import { XmlElement, XmlError, parseXml, serializeXml } from "../../../../provider/xml/document";
import { applyDomainXml, DomainModel, parseDomainXml } from "../../../../provider/xml/domain";
import { changedPaths } from "../corpus";
import { domainFixture } from "./samples";

const MiB = 2 ** 20;
const live = domainFixture("kvm-live.xml");
const clone = (m: DomainModel): DomainModel => JSON.parse(JSON.stringify(m)) as DomainModel;
const diff = (before: string, after: string) => changedPaths(parseXml(before), parseXml(after));
const devicesOf = (xml: string) => parseXml(xml).children.find((c): c is XmlElement => c.kind === "element" && c.name === "devices")!;
/** The domain XML with the device elements `drop` selects removed (to compare the rest node for node). */
function without(xml: string, drop: (el: XmlElement) => boolean): XmlElement {
  const root = parseXml(xml);
  const devices = root.children.find((c): c is XmlElement => c.kind === "element" && c.name === "devices")!;
  devices.children = devices.children.filter((c) => !(c.kind === "element" && drop(c)));
  return root;
}
const targetDev = (el: XmlElement) =>
  el.children.find((c): c is XmlElement => c.kind === "element" && c.name === "target")?.attrs.find(([k]) => k === "dev")?.[1];

describe("xml domain apply", () => {
  describe("over a running KVM domain's live XML", () => {
    const base = parseDomainXml(live);

    it("editing one disk changes only that disk's <driver>: PCI addresses and aliases stay byte for byte", () => {
      const m = clone(base);
      m.devices.disks![0].driver!.cache = "writeback";
      const out = applyDomainXml(live, m);
      assert.deepEqual(diff(live, out), ["/domain/devices/disk/driver"]);
      assert.ok(out.includes("<alias name='virtio-disk0'/>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>"));
    });

    it("adds a disk at a new target after the existing disks; every other node is unchanged", () => {
      const m = clone(base);
      m.devices.disks!.push({
        source: { type: "file", path: "/var/lib/pvt/data.qcow2" },
        driver: { name: "qemu", type: "qcow2" },
        target: { dev: "vdb", bus: "virtio" },
      });
      const out = applyDomainXml(live, m);
      const names = devicesOf(out)
        .children.filter((c): c is XmlElement => c.kind === "element")
        .map((c) => `${c.name}${c.name === "disk" ? `:${targetDev(c)}` : ""}`);
      assert.deepEqual(names.slice(0, 5), ["emulator", "disk:vda", "disk:hdc", "disk:vdb", "controller"]);
      assert.deepEqual(
        changedPaths(
          parseXml(live),
          without(out, (el) => el.name === "disk" && targetDev(el) === "vdb"),
        ),
        [],
      );
      assert.match(
        out,
        /<disk type='file'>\n      <driver name='qemu' type='qcow2'\/>\n      <source file='\/var\/lib\/pvt\/data.qcow2'\/>\n      <target dev='vdb' bus='virtio'\/>\n    <\/disk>/,
      );
    });

    it("removes an interface by MAC and nothing else", () => {
      const m = clone(base);
      m.devices.interfaces = [];
      const out = applyDomainXml(live, m);
      assert.doesNotMatch(out, /<interface/);
      assert.deepEqual(
        changedPaths(
          without(live, (el) => el.name === "interface"),
          parseXml(out),
        ),
        [],
      );
    });

    it("matches NICs by MAC in any case; a NIC with a new MAC replaces the old one", () => {
      const m = clone(base);
      m.devices.interfaces![0].mac = "52:54:00:70:00:01".toUpperCase();
      assert.deepEqual(diff(live, applyDomainXml(live, m)), []);
      m.devices.interfaces![0].mac = "52:54:00:70:00:99";
      const out = applyDomainXml(live, m);
      assert.match(
        out,
        /<interface type='network'>\n      <mac address='52:54:00:70:00:99'\/>\n      <source network='pvt-xml-dom-net'\/>\n      <model type='virtio'\/>\n      <link state='up'\/>\n    <\/interface>/,
      );
      assert.doesNotMatch(out, /net0|vnet1/);
    });

    it("a NIC declared without a MAC takes over the current NIC on the same network (address kept)", () => {
      const m = clone(base);
      delete m.devices.interfaces![0].mac;
      assert.deepEqual(diff(live, applyDomainXml(live, m)), []);
      m.devices.interfaces = [{ type: "network", network: "other" }];
      assert.match(applyDomainXml(live, m), /<interface type='network'>\n      <source network='other'\/>\n    <\/interface>/);
    });

    it("a new interface source starts <source> afresh (the live portid/bridge go), other children stay", () => {
      const m = clone(base);
      m.devices.interfaces = [{ type: "bridge", bridge: "br0", mac: "52:54:00:70:00:01", model: "virtio", linkState: "up" }];
      const out = applyDomainXml(live, m);
      assert.match(out, /<interface type='bridge'>\n      <mac address='52:54:00:70:00:01'\/>\n      <source bridge='br0'\/>\n      <target dev='vnet1'\/>/);
      assert.doesNotMatch(out, /portid/);
    });

    it("a new disk image drops the live source index and the old backing chain", () => {
      const m = clone(base);
      m.devices.disks![0].source = { type: "file", path: "/var/lib/pvt/new.qcow2" };
      const out = applyDomainXml(live, m);
      assert.match(
        out,
        /<disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2' cache='none' discard='unmap'\/>\n      <source file='\/var\/lib\/pvt\/new.qcow2'\/>\n      <target dev='vda' bus='virtio'\/>/,
      );
    });

    it("keeps the port libvirt picked while autoport stays; a fixed port turns autoport off", () => {
      const m = clone(base);
      assert.match(applyDomainXml(live, m), /<graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1' passwd='s3cret'>/);
      m.devices.graphics = [{ type: "vnc", port: 5905, listen: "0.0.0.0" }];
      assert.match(
        applyDomainXml(live, m),
        /<graphics type='vnc' port='5905' autoport='no' listen='0.0.0.0'>\n      <listen type='address' address='0.0.0.0'\/>\n    <\/graphics>/,
      );
    });

    it("removing the serial port removes libvirt's console mirror of it; a changed serial takes its mirror along", () => {
      const m = clone(base);
      m.devices.serials = [];
      const out = applyDomainXml(live, m);
      assert.doesNotMatch(out, /<serial type|<console/);
      m.devices.serials = [{ type: "file", path: "/var/log/pvt.log" }];
      const file = applyDomainXml(live, m);
      assert.match(
        file,
        /<serial type='file'>\n      <source path='\/var\/log\/pvt.log'\/>\n      <target type='isa-serial' port='0'>\n        <model name='isa-serial'\/>/,
      );
      assert.match(
        file,
        /<console type='file'>\n      <source path='\/var\/log\/pvt.log'\/>\n      <target type='serial' port='0'\/>\n      <alias name='serial0'\/>/,
      );
    });

    it("unset videos and memballoon keep libvirt's; unset lists remove (graphics, rng, channels)", () => {
      const m = clone(base);
      delete m.devices.videos;
      delete m.devices.memballoon;
      delete m.devices.graphics;
      delete m.devices.rngs;
      delete m.devices.channels;
      const out = applyDomainXml(live, m);
      assert.match(out, /<video>/);
      assert.match(out, /<memballoon model='virtio'>/);
      assert.doesNotMatch(out, /<graphics|<rng|<channel/);
    });
  });

  describe("extra devices", () => {
    const unknown = domainFixture("unknown-nodes.xml");
    const base = parseDomainXml(unknown);
    const watchdog = base.devices.extraDevices!.find((x) => x.startsWith("<watchdog"))!;

    it("devices the model does not cover are kept even when extraDevices is empty", () => {
      const out = applyDomainXml(unknown, { ...base, devices: { ...base.devices, extraDevices: [] } });
      assert.deepEqual(diff(unknown, out), []);
    });

    it("a device only the previous model declared is removed; the rest stay", () => {
      const extras = base.devices.extraDevices!.filter((x) => x !== watchdog);
      const out = applyDomainXml(
        unknown,
        { ...base, devices: { ...base.devices, extraDevices: extras } },
        { previousExtraDevices: ["<watchdog model='i6300esb' action='reset'/>"] },
      );
      assert.doesNotMatch(out, /<watchdog/);
      assert.deepEqual(
        changedPaths(
          without(unknown, (el) => el.name === "watchdog"),
          parseXml(out),
        ),
        [],
      );
    });

    it("a missing snippet is added once, in libvirt's device order; a present one (plus alias/address) is matched", () => {
      const tablet = "<input type='tablet' bus='usb'/>";
      const m = parseDomainXml(live);
      m.devices.extraDevices = [tablet, "<controller type='usb' index='0' model='piix3-uhci'/>"];
      const once = applyDomainXml(live, m);
      assert.match(
        once,
        /<input type='keyboard' bus='ps2'>\n      <alias name='input1'\/>\n    <\/input>\n    <input type='tablet' bus='usb'\/>\n    <graphics/,
      );
      assert.equal(applyDomainXml(once, m), once);
      assert.equal((once.match(/piix3-uhci/g) ?? []).length, 1);
    });
  });

  describe("domain-level settings", () => {
    const defined = domainFixture("kvm-defined.xml");
    const base = parseDomainXml(defined);

    it("memory and vcpus: KiB values; the same size in another unit is left alone", () => {
      const out = applyDomainXml(defined, { ...base, memory: 512 * MiB, currentMemory: undefined, vcpu: { max: 4, current: 4 } });
      assert.match(out, /<memory unit='KiB'>524288<\/memory>\n  <vcpu placement='static'>4<\/vcpu>/);
      const mib = defined.replace("<memory unit='KiB'>262144</memory>", "<memory unit='MiB'>256</memory>");
      assert.match(applyDomainXml(mib, parseDomainXml(mib)), /<memory unit='MiB'>256<\/memory>/);
      assert.throws(() => applyDomainXml(defined, { ...base, memory: 1023 }), XmlError);
    });

    it("a machine alias matches the versioned machine libvirt expanded it to", () => {
      assert.deepEqual(diff(defined, applyDomainXml(defined, { ...base, os: { ...base.os, machine: "pc" } })), []);
      assert.match(applyDomainXml(defined, { ...base, os: { ...base.os, machine: "q35" } }), /machine='q35'/);
    });

    it("per-device boot order removes <os><boot>; unset boot keeps it otherwise", () => {
      const { boot: _b, ...os } = base.os;
      assert.deepEqual(diff(defined, applyDomainXml(defined, { ...base, os })), []);
      const m = clone(base);
      m.os = os;
      m.devices.disks![0].bootOrder = 1;
      const out = applyDomainXml(defined, m);
      assert.doesNotMatch(out, /<boot dev/);
      assert.match(out, /<serial>pvt-root<\/serial>\n      <boot order='1'\/>\n      <address/);
    });

    it("features: modelled ones set as declared, others kept; cpu: a new mode drops model and features", () => {
      const unknown = domainFixture("unknown-nodes.xml");
      const m = parseDomainXml(unknown);
      const out = applyDomainXml(unknown, { ...m, features: { acpi: true, pae: true, smm: false }, cpu: { mode: "host-passthrough" } });
      assert.match(
        out,
        /<features>\n    <acpi\/>\n    <pae\/>\n    <hyperv mode='custom'>\n      <relaxed state='on'\/>\n    <\/hyperv>\n    <kvm>\n      <hidden state='on'\/>\n    <\/kvm>\n    <smm state='off'\/>\n    <ioapic driver='kvm'\/>\n  <\/features>/,
      );
      assert.match(out, /<cpu mode='host-passthrough' check='partial'>\n    <topology sockets='1' dies='1' cores='2' threads='1'\/>\n  <\/cpu>/);
    });

    it("UEFI: secure boot features edited in place; libvirt's loader and nvram kept when unset", () => {
      const tpm = domainFixture("tpm-emulator.xml");
      const m = parseDomainXml(tpm);
      const { loader: _l, nvram: _n, ...os } = m.os;
      const out = applyDomainXml(tpm, { ...m, os: { ...os, enrolledKeys: true, secureBoot: undefined } });
      assert.deepEqual(diff(tpm, out), ["/domain/os/firmware"]);
      assert.match(out, /<firmware>\n      <feature enabled='yes' name='enrolled-keys'\/>\n    <\/firmware>\n    <loader/);
    });

    it("Xen: os type 'xen' is the 'linux' libvirt writes (unchanged); lifecycle unset is removed for libvirt's default", () => {
      const pv = domainFixture("xen-pv-test.xml");
      const m = parseDomainXml(pv);
      assert.equal(m.os.type, "xen");
      assert.deepEqual(diff(pv, applyDomainXml(pv, m)), []);
      const { onCrash: _c, ...rest } = m;
      assert.doesNotMatch(applyDomainXml(pv, rest), /on_crash/);
      assert.match(applyDomainXml(pv, { ...m, os: { ...m.os, type: "hvm" } }), /<type arch='x86_64' machine='xenpv'>hvm<\/type>/);
    });

    it("rejects what is not a domain", () => {
      assert.throws(() => applyDomainXml("<network/>", base), /expected <domain>/);
    });
  });

  it("serializes the same way as the adapter (sanity)", () => {
    assert.equal(applyDomainXml(live, parseDomainXml(live)), serializeXml(parseXml(live)));
  });
});
