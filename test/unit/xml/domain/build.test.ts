import assert from "node:assert/strict";
import { XmlError } from "../../../../provider/xml/document";
import { buildDomainXml, DomainModel, parseDomainXml } from "../../../../provider/xml/domain";
import { efiModel, kvmModel, qemuModel, xenHvmModel, xenPvhModel, xenPvModel, xenPygrubModel } from "./samples";

const MiB = 2 ** 20;
const minimal: DomainModel = { type: "kvm", name: "m", memory: 128 * MiB, vcpu: { max: 1 }, os: { type: "hvm" }, devices: {} };

describe("xml domain build", () => {
  it("writes a minimal domain in libvirt's form (memory in KiB)", () => {
    assert.equal(
      buildDomainXml(minimal),
      `<domain type='kvm'>
  <name>m</name>
  <memory unit='KiB'>131072</memory>
  <vcpu>1</vcpu>
  <os>
    <type>hvm</type>
  </os>
  <devices/>
</domain>
`,
    );
  });

  it("writes a Xen PV domain: os type xen, direct kernel boot, phy disk on xvda, netfront, xen console and balloon", () => {
    assert.equal(
      buildDomainXml(xenPvModel("pv")),
      `<domain type='xen'>
  <name>pv</name>
  <memory unit='KiB'>262144</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>xen</type>
    <kernel>/var/lib/xen/images/vmlinuz</kernel>
    <initrd>/var/lib/xen/images/tiny-initrd.gz</initrd>
    <cmdline>root=/dev/xvda console=hvc0</cmdline>
  </os>
  <devices>
    <disk type='file'>
      <driver name='phy'/>
      <source file='/var/lib/xen/images/pv.img'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <interface type='bridge'>
      <mac address='00:16:3e:70:01:01'/>
      <source bridge='xenbr0'/>
      <model type='netfront'/>
    </interface>
    <console type='pty'>
      <target type='xen' port='0'/>
    </console>
    <memballoon model='xen'/>
  </devices>
</domain>
`,
    );
  });

  it("puts Xen's bootloader before <os>, and writes PVH and HVM os types", () => {
    assert.match(
      buildDomainXml(xenPygrubModel("g")),
      /<vcpu>1<\/vcpu>\n  <bootloader>\/usr\/lib\/xen-4.17\/bin\/pygrub<\/bootloader>\n  <bootloader_args>--entry=1<\/bootloader_args>\n  <os>\n    <type>xen<\/type>\n  <\/os>/,
    );
    assert.match(buildDomainXml(xenPvhModel("h")), /<type arch='x86_64'>xenpvh<\/type>/);
    const hvm = buildDomainXml(xenHvmModel("v"));
    assert.match(
      hvm,
      /<type arch='x86_64'>hvm<\/type>\n    <loader type='rom'>\/usr\/lib\/xen-4.17\/boot\/hvmloader<\/loader>\n    <boot dev='cdrom'\/>\n    <boot dev='hd'\/>/,
    );
    assert.match(
      hvm,
      /<features>\n    <acpi\/>\n    <apic\/>\n    <pae\/>\n    <hap\/>\n    <viridian\/>\n    <xen>\n      <passthrough state='on' mode='sync_pt'\/>\n    <\/xen>\n  <\/features>/,
    );
    assert.match(hvm, /<model type='cirrus' vram='8192'\/>/);
  });

  it("UEFI: firmware='efi' with secure-boot and enrolled-keys features (sorted as libvirt writes them)", () => {
    assert.match(
      buildDomainXml(efiModel("e")),
      /<os firmware='efi'>\n    <type arch='x86_64' machine='q35'>hvm<\/type>\n    <firmware>\n      <feature enabled='yes' name='enrolled-keys'\/>\n      <feature enabled='yes' name='secure-boot'\/>\n    <\/firmware>\n    <boot dev='hd'\/>\n  <\/os>/,
    );
    assert.match(buildDomainXml(efiModel("e")), /<smm\/>/);
  });

  it("on/off features write state='off' for false; presence-only features are left out", () => {
    const xml = buildDomainXml({ ...minimal, features: { acpi: false, pae: true, smm: false, vmport: false, hap: true } });
    assert.match(xml, /<features>\n    <pae\/>\n    <hap\/>\n    <vmport state='off'\/>\n    <smm state='off'\/>\n  <\/features>/);
  });

  it("graphics: autoport unless a port is fixed; listen both as attribute and <listen>", () => {
    const xml = buildDomainXml({ ...minimal, devices: { graphics: [{ type: "vnc" }, { type: "spice", port: 5930, listen: "::1" }] } });
    assert.match(xml, /<graphics type='vnc' port='-1' autoport='yes'\/>/);
    assert.match(xml, /<graphics type='spice' port='5930' autoport='no' listen='::1'>\n      <listen type='address' address='::1'\/>/);
  });

  it("vcpu current is written only when below max; currentMemory only when set", () => {
    assert.match(buildDomainXml({ ...minimal, vcpu: { max: 4, current: 4 } }), /<vcpu>4<\/vcpu>/);
    assert.match(buildDomainXml({ ...minimal, vcpu: { max: 4, current: 2, placement: "static" } }), /<vcpu placement='static' current='2'>4<\/vcpu>/);
    assert.doesNotMatch(buildDomainXml(minimal), /currentMemory/);
  });

  it("sorts extra devices into libvirt's device order, after the typed ones of the same kind", () => {
    const xml = buildDomainXml({
      ...minimal,
      devices: {
        memballoon: { model: "virtio" },
        disks: [{ source: { type: "file", path: "/a.raw" }, target: { dev: "vda" } }],
        extraDevices: [
          "<watchdog model='i6300esb' action='reset'/>",
          "<controller type='scsi' model='virtio-scsi'/>",
          "<input type='tablet' bus='usb'/>",
          "<disk type='nvme' device='disk'><source type='pci'><address domain='0' bus='1' slot='0' function='0'/></source><target dev='vdz'/></disk>",
        ],
      },
    });
    const order = [...xml.slice(xml.indexOf("<devices>")).matchAll(/^    <(\w+)/gm)].map((m) => m[1]);
    assert.deepEqual(order, ["disk", "disk", "controller", "input", "watchdog", "memballoon"]);
  });

  it("refuses extras a typed list covers, malformed extras, and sizes libvirt would round", () => {
    assert.throws(
      () => buildDomainXml({ ...minimal, devices: { extraDevices: ["<disk type='file' device='disk'><target dev='vdb'/></disk>"] } }),
      (e: unknown) => e instanceof XmlError && /devices\.disks/.test(e.message),
    );
    assert.throws(
      () => buildDomainXml({ ...minimal, devices: { extraDevices: ["<watchdog"] } }),
      (e: unknown) => e instanceof XmlError && /extraDevices\[0\]/.test(e.message),
    );
    assert.throws(() => buildDomainXml({ ...minimal, devices: { extraDevices: ["<devices/>"] } }), /one device element/);
    assert.throws(() => buildDomainXml({ ...minimal, memory: 1000 }), /not a whole number of KiB/);
    assert.throws(() => buildDomainXml({ ...minimal, devices: { videos: [{ model: "vga", vram: 100 }] } }), /not a whole number of KiB/);
  });

  for (const [what, model] of [
    ["kvm", kvmModel("k")],
    ["qemu", qemuModel("q", "/srv/share")],
    ["efi", efiModel("e")],
    ["xen pv", xenPvModel("p")],
    ["xen pygrub", xenPygrubModel("g")],
    ["xen pvh", xenPvhModel("h")],
    ["xen hvm", xenHvmModel("v")],
  ] as [string, DomainModel][]) {
    it(`build → parse gives the model back: ${what}`, () => {
      assert.deepStrictEqual(parseDomainXml(buildDomainXml(model)), model);
    });
  }
});
