import assert from "node:assert/strict";
import type { Libvirt } from "../../../../provider/libvirt";
import { resolveType } from "../../../../provider/resources/domain";
import { fillIdentities, validateDomain } from "../../../../provider/resources/domain/inputs";
import { toModel } from "../../../../provider/resources/domain/model";
import { buildDomainXml } from "../../../../provider/xml";

/** A Libvirt stand-in: only host.getType and host.getCapabilities, counting the calls. */
function fakeHost(type: string, capabilities = ""): { lv: Libvirt; calls: string[] } {
  const calls: string[] = [];
  const host = {
    getType: async () => {
      calls.push("getType");
      return type;
    },
    getCapabilities: async () => {
      calls.push("getCapabilities");
      return capabilities;
    },
  };
  return { lv: { host, uri: "qemu:///system" } as unknown as Libvirt, calls };
}

/** Capabilities in libvirt's layout: the host CPU's features, then the guest types it offers. */
function caps(hostFeatures: string[], domainTypes: string[], guestFeatures: string[] = []): string {
  return [
    "<capabilities>",
    "  <host>",
    "    <uuid>00000000-0000-0000-0000-000000000001</uuid>",
    "    <cpu>",
    "      <arch>x86_64</arch>",
    "      <model>Skylake-Client-IBRS</model>",
    "      <vendor>Intel</vendor>",
    ...hostFeatures.map((f) => `      <feature name='${f}'/>`),
    "    </cpu>",
    "  </host>",
    "  <guest>",
    "    <os_type>hvm</os_type>",
    "    <arch name='x86_64'>",
    "      <wordsize>64</wordsize>",
    ...domainTypes.map((t) => `      <domain type='${t}'/>`),
    "    </arch>",
    `    <features>${guestFeatures.map((f) => `<${f}/>`).join("")}</features>`,
    "  </guest>",
    "</capabilities>",
  ].join("\n");
}

describe("virt:Domain type auto (resolveType)", () => {
  it('is xen on a Xen host (libxl\'s getType is "Xen"), without reading the capabilities', async () => {
    const { lv, calls } = fakeHost("Xen");
    assert.equal(await resolveType(lv, "auto"), "xen");
    assert.deepEqual(calls, ["getType"]);
    assert.equal(await resolveType(fakeHost("XEN").lv, "auto"), "xen", "case does not matter");
  });

  it("is kvm where KVM is offered and the host CPU has vmx or svm", async () => {
    assert.equal(await resolveType(fakeHost("QEMU", caps(["vmx", "ssbd"], ["qemu", "kvm"])).lv, "auto"), "kvm");
    assert.equal(await resolveType(fakeHost("QEMU", caps(["svm"], ["qemu", "kvm"])).lv, "auto"), "kvm");
  });

  it("is qemu (TCG) when the host CPU has no vmx/svm, or KVM is not offered", async () => {
    assert.equal(await resolveType(fakeHost("QEMU", caps(["ssbd", "pdpe1gb"], ["qemu", "kvm"])).lv, "auto"), "qemu", "no vmx/svm");
    assert.equal(await resolveType(fakeHost("QEMU", caps(["vmx"], ["qemu"])).lv, "auto"), "qemu", "no kvm domain type");
    // A vmx that is not the host CPU's (e.g. in a guest section) does not count.
    assert.equal(
      await resolveType(fakeHost("QEMU", caps([], ["qemu", "kvm"]).replace("</guest>", "<cpu><feature name='vmx'/></cpu></guest>")).lv, "auto"),
      "qemu",
    );
    assert.equal(await resolveType(fakeHost("TEST", caps([], ["test"])).lv, "auto"), "qemu", "the test driver");
  });

  it("leaves an explicit xen or qemu alone and asks the host nothing", async () => {
    for (const t of ["xen", "qemu"]) {
      const { lv, calls } = fakeHost("Xen");
      assert.equal(await resolveType(lv, t), t);
      assert.deepEqual(calls, []);
    }
  });

  it("takes an explicit kvm where the host has KVM", async () => {
    assert.equal(await resolveType(fakeHost("QEMU", caps(["vmx"], ["qemu", "kvm"])).lv, "kvm"), "kvm");
  });

  it("refuses an explicit kvm on a QEMU host without KVM, naming the domain, the host and type auto", async () => {
    await assert.rejects(resolveType(fakeHost("QEMU", caps(["ssbd"], ["qemu"])).lv, "kvm", "virt:Domain web"), (e: Error) => {
      assert.equal(e.name, "ResourceInputError");
      assert.match(e.message, /^virt:Domain web: type: "kvm" — this host \(qemu:\/\/\/system\) cannot run KVM guests: libvirt offers no kvm domain type/);
      assert.match(e.message, /Set type: "auto"/);
      return true;
    });
    // /dev/kvm present but no hardware virtualisation in the host CPU: guests would start and never run.
    await assert.rejects(resolveType(fakeHost("QEMU", caps(["ssbd"], ["qemu", "kvm"])).lv, "kvm", "virt:Domain web"), /host CPU has no vmx\/svm/);
  });

  it("leaves an explicit kvm alone on drivers other than QEMU (the test driver accepts any type)", async () => {
    const { lv, calls } = fakeHost("TEST", caps([], ["test"]));
    assert.equal(await resolveType(lv, "kvm"), "kvm");
    assert.deepEqual(calls, ["getType"]);
  });
});

describe("virt:Domain Xen rules (inputs → model → XML)", () => {
  const MiB = 2 ** 20;
  function model(os: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const p: Record<string, unknown> = {
      name: "pvt-x",
      memory: 256 * MiB,
      vcpus: 1,
      os,
      disks: [{ file: "/var/lib/xen/images/a.img" }, { file: "/var/lib/xen/images/b.qcow2", format: "qcow2" }],
      networkInterfaces: [{ bridge: "xenbr0" }],
      ...extra,
    };
    fillIdentities(p, undefined, "xen");
    assert.deepEqual(validateDomain(p, "xen"), []);
    return toModel(p, "xen", {});
  }

  it("PV: xvd* targets on the xen bus, phy for raw and qdisk for other formats, netfront, xen console and balloon", () => {
    const m = model({ type: "xen", kernel: "/boot/vmlinuz", initrd: "/boot/initrd.img", cmdline: "console=hvc0" });
    assert.equal(m.type, "xen");
    assert.deepEqual(m.os, { type: "xen", kernel: "/boot/vmlinuz", initrd: "/boot/initrd.img", cmdline: "console=hvc0" });
    assert.deepEqual(m.features, {}, "no HVM features on PV");
    assert.deepEqual(
      m.devices.disks!.map((d) => [d.target.dev, d.target.bus, d.driver?.name, d.driver?.type]),
      [
        ["xvda", "xen", "phy", undefined],
        ["xvdb", "xen", "qemu", "qcow2"],
      ],
    );
    assert.deepEqual(
      m.devices.interfaces!.map((n) => [n.type, n.model]),
      [["bridge", "netfront"]],
    );
    assert.deepEqual(m.devices.consoles, [{ type: "pty", targetType: "xen", port: 0 }]);
    assert.deepEqual(m.devices.memballoon, { model: "xen" });
    const xml = buildDomainXml(m);
    assert.match(xml, /<domain type='xen'>/);
    assert.match(xml, /<os>\s*<type>xen<\/type>\s*<kernel>\/boot\/vmlinuz<\/kernel>/);
    assert.match(xml, /<console type='pty'>\s*<target type='xen' port='0'\/>\s*<\/console>/);
  });

  it("PV with a bootloader: <bootloader> beside <os>, no kernel", () => {
    const xml = buildDomainXml(model({ type: "xen", bootloader: "/usr/lib/xen-4.17/bin/pygrub" }));
    assert.match(xml, /<bootloader>\/usr\/lib\/xen-4\.17\/bin\/pygrub<\/bootloader>\s*<os>\s*<type>xen<\/type>\s*<\/os>/);
    assert.doesNotMatch(xml, /<kernel>/);
  });

  it("PVH: os type xenpvh, the xen console", () => {
    const m = model({ type: "xenpvh", kernel: "/boot/vmlinuz" });
    assert.equal(m.os.type, "xenpvh");
    assert.deepEqual(m.devices.consoles, [{ type: "pty", targetType: "xen", port: 0 }]);
  });

  it("HVM: acpi, apic and pae by default, no xen console (libxl adds none), still the xen bus and netfront", () => {
    const m = model({ type: "hvm" });
    assert.deepEqual(m.features, { acpi: true, apic: true, pae: true });
    assert.equal(m.devices.consoles, undefined);
    assert.equal(m.devices.disks![0]!.target.bus, "xen");
    assert.equal(m.devices.interfaces![0]!.model, "netfront");
  });

  it("an explicit NIC model and memballoon are kept", () => {
    const m = model({ type: "hvm" }, { networkInterfaces: [{ bridge: "xenbr0", model: "e1000" }], memballoon: "none" });
    assert.equal(m.devices.interfaces![0]!.model, "e1000");
    assert.deepEqual(m.devices.memballoon, { model: "none" });
  });

  it("refuses KVM/QEMU buses on Xen and Xen options on KVM", () => {
    const xen = validateDomain({ name: "x", memory: 128 * MiB, disks: [{ file: "/a.img", bus: "virtio", target: "vda" }] }, "xen").map((f) => f.reason);
    assert.deepEqual(xen, ["disks[0].bus: a Xen domain uses the xen bus (or ide/scsi for HVM), not virtio"]);
    const kvm = validateDomain({ name: "x", memory: 128 * MiB, os: { type: "xen" }, networkInterfaces: [{ network: "n", model: "netfront" }] }, "kvm").map(
      (f) => f.reason,
    );
    assert.ok(
      kvm.some((r) => r.startsWith('os.type: "xen" is for Xen guests')),
      kvm.join("\n"),
    );
    assert.ok(
      kvm.some((r) => r.startsWith("networkInterfaces[0].model: netfront is the Xen PV NIC")),
      kvm.join("\n"),
    );
  });
});
