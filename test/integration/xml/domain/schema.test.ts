import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyDomainXml, buildDomainXml, deviceXml, DomainModel, parseDomainXml } from "../../../../provider/xml/domain";
import { domainCorpus, efiModel, kvmModel, qemuModel, xenHvmModel, xenPvhModel, xenPvModel, xenPygrubModel } from "../../../unit/xml/domain/samples";

// Every domain document we write — built, applied over the corpus, or a hot-plug snippet embedded in a
// domain — must pass libvirt's RelaxNG schema (virt-xml-validate FILE domain; libvirt-clients + xmllint).

const MiB = 2 ** 20;
/** A model with every device kind the typed model covers, and some extras. */
const everything: DomainModel = {
  ...kvmModel("pvt-s-all"),
  os: { type: "hvm", machine: "q35", firmware: "efi", secureBoot: false, boot: ["network", "hd"] },
  features: { acpi: true, apic: true, smm: true, vmcoreinfo: true, pmu: false },
  cpu: { mode: "host-passthrough", check: "none" },
  onCrash: "coredump-restart",
  devices: {
    disks: [
      {
        source: { type: "volume", pool: "default", volume: "a.qcow2" },
        driver: { name: "qemu", type: "qcow2", cache: "none", discard: "unmap" },
        target: { dev: "vda", bus: "virtio" },
        serial: "a",
      },
      { source: { type: "network", protocol: "nbd", name: "e", hosts: [{ name: "192.0.2.1", port: 10809 }] }, target: { dev: "sda", bus: "scsi" } },
      { device: "floppy", source: { type: "file" }, target: { dev: "fda", bus: "fdc" } },
    ],
    interfaces: [
      { type: "network", network: "default", mac: "52:54:00:00:00:01", model: "virtio", linkState: "down" },
      { type: "bridge", bridge: "br0", model: "e1000e" },
      { type: "direct", dev: "eth0", mode: "bridge" },
    ],
    filesystems: [
      { driver: "virtiofs", sourceDir: "/srv/a", tag: "a" },
      { driver: "9p", sourceDir: "/srv/b", tag: "b", accessMode: "squash", readonly: true },
    ],
    serials: [
      { type: "pty", targetType: "isa-serial", port: 0 },
      { type: "file", path: "/var/log/s1.log", append: false, port: 1 },
    ],
    consoles: [{ type: "pty", targetType: "virtio", port: 1 }],
    channels: [{ type: "unix", targetType: "virtio", targetName: "org.qemu.guest_agent.0", path: "/run/pvt/ga.sock" }],
    tpms: [{ model: "tpm-crb", backend: "emulator", version: "2.0" }],
    graphics: [
      { type: "spice", port: 5930, listen: "127.0.0.1", passwd: "x" },
      { type: "vnc", keymap: "de" },
    ],
    videos: [{ model: "qxl", vram: 64 * MiB, heads: 1 }],
    memballoon: { model: "virtio" },
    rngs: [{ model: "virtio", backend: "builtin" }],
    extraDevices: ["<controller type='scsi' index='0' model='virtio-scsi'/>", "<input type='tablet' bus='usb'/>", "<hub type='usb'/>"],
  },
};
const models: [string, DomainModel][] = [
  ["kvm", kvmModel("pvt-s-kvm")],
  ["qemu (TCG, direct kernel boot, 9p, spice)", qemuModel("pvt-s-qemu", "/srv/share")],
  ["kvm, UEFI + secure boot", efiModel("pvt-s-efi")],
  ["kvm, every device kind", everything],
  ["xen PV, direct kernel boot", xenPvModel("pvt-s-pv")],
  ["xen PV, pygrub", xenPygrubModel("pvt-s-pygrub")],
  ["xen PVH", xenPvhModel("pvt-s-pvh")],
  ["xen HVM", xenHvmModel("pvt-s-hvm")],
];

describe("xml domain documents pass libvirt's RelaxNG schema (virt-xml-validate)", function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    const probe = spawnSync("sh", ["-c", "command -v virt-xml-validate && command -v xmllint"], { encoding: "utf8" });
    assert.equal(probe.status, 0, "virt-xml-validate (libvirt-clients) and xmllint (libxml2-utils) must be installed");
    dir = mkdtempSync(join(tmpdir(), "pvt-xml-domain-schema-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  function validate(xml: string, what: string): void {
    const file = join(dir, `${n++}.xml`);
    writeFileSync(file, xml);
    const r = spawnSync("virt-xml-validate", [file, "domain"], { encoding: "utf8" });
    assert.equal(r.status, 0, `${what}: validation failed:\n${r.stdout}${r.stderr}\n--- document ---\n${xml}`);
  }

  for (const [what, model] of models) it(`build: ${what}`, () => validate(buildDomainXml(model), what));

  it("apply: every corpus file with its own model, and with every sample model applied over it", () => {
    for (const s of domainCorpus()) {
      validate(applyDomainXml(s.xml, parseDomainXml(s.xml)), `${s.file} + own model`);
      for (const [what, model] of models) validate(applyDomainXml(s.xml, model), `${s.file} + ${what}`);
    }
  });

  it("the corpus itself is valid (captured and hand-written alike)", () => {
    for (const s of domainCorpus()) validate(s.xml, s.file);
  });

  it("hot-plug snippets (disk, cdrom, interface, detach forms) are valid inside a domain", () => {
    const live = parseDomainXml(domainCorpus().find((s) => s.file === "kvm-live.xml")!.xml);
    const snippets = [
      deviceXml("disk", {
        source: { type: "file", path: "/var/lib/pvt/b.qcow2" },
        driver: { name: "qemu", type: "qcow2" },
        target: { dev: "vdb", bus: "virtio" },
      }),
      deviceXml("disk", { device: "cdrom", source: { type: "file", path: "/iso/a.iso" }, target: { dev: "hdc", bus: "ide" }, readonly: true }),
      deviceXml("disk", { device: "cdrom", source: { type: "file" }, target: { dev: "hdc", bus: "ide" } }),
      deviceXml("interface", { type: "network", network: "default", mac: "52:54:00:00:00:09", model: "virtio" }),
      deviceXml("interface", { type: "bridge", bridge: "xenbr0", model: "netfront" }),
      deviceXml("disk", live.devices.disks![0], { detach: true }),
      deviceXml("interface", live.devices.interfaces![0], { detach: true }),
      deviceXml("filesystem", { driver: "virtiofs", sourceDir: "/srv/a", tag: "a" }),
      deviceXml("channel", live.devices.channels![0], { detach: true }),
    ];
    for (const s of snippets) {
      validate(`<domain type='kvm'><name>pvt-s-snippet</name><memory>131072</memory><os><type>hvm</type></os><devices>${s}</devices></domain>`, s);
    }
  });

  it("the validator does reject a broken document (the check is real)", () => {
    const file = join(dir, "bad.xml");
    writeFileSync(
      file,
      "<domain type='kvm'><name>x</name><memory>1</memory><os><type>hvm</type></os><devices><disk type='file'><bogus/></disk></devices></domain>",
    );
    assert.throws(() => execFileSync("virt-xml-validate", [file, "domain"], { stdio: "pipe" }));
  });
});
