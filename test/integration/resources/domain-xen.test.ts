import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// Xen guests through the provider contract (check → create → read → diff → update → delete) on the daemon's test
// driver, which accepts type='xen' and the PV, PVH and HVM os types (there is no Xen host here; what libxl fills
// in is listed in provider/xml/domain/README.md). The test driver forgets its state when its last connection
// closes: the anchor below is held for the whole file (the resource's own cached connection counts too).
const URI = "test+unix:///default";
const run = (...args: string[]) => virsh(URI, ...args);

interface Variant {
  what: string;
  os: Record<string, unknown>;
  /** What libvirt writes in <os><type> (Xen PV comes back as "linux"). */
  osType: string;
  /** PV and PVH guests have the xen console; HVM has none unless declared. */
  xenConsole: boolean;
  /** Further things the XML must contain. */
  xml: RegExp[];
}

const variants: Variant[] = [
  {
    what: "PV, direct kernel boot",
    os: { type: "xen", kernel: "/boot/vmlinuz-xen", initrd: "/boot/initrd-xen.img", cmdline: "root=/dev/xvda console=hvc0" },
    osType: "linux",
    xenConsole: true,
    xml: [/<kernel>\/boot\/vmlinuz-xen<\/kernel>/, /<initrd>\/boot\/initrd-xen\.img<\/initrd>/, /<cmdline>root=\/dev\/xvda console=hvc0<\/cmdline>/],
  },
  {
    what: "PV, host-side bootloader",
    os: { type: "xen", bootloader: "/usr/lib/xen-4.17/bin/pygrub" },
    osType: "linux",
    xenConsole: true,
    xml: [/<bootloader>\/usr\/lib\/xen-4\.17\/bin\/pygrub<\/bootloader>/],
  },
  {
    what: "PVH, direct kernel boot",
    os: { type: "xenpvh", kernel: "/boot/vmlinuz-xen", cmdline: "console=hvc0" },
    osType: "xenpvh",
    xenConsole: true,
    xml: [/<kernel>\/boot\/vmlinuz-xen<\/kernel>/],
  },
  {
    what: "HVM",
    os: { type: "hvm" },
    osType: "hvm",
    xenConsole: false,
    xml: [/<features>\s*<acpi\/>\s*<apic\/>\s*<pae\/>\s*<\/features>/],
  },
];

describe("virt:Domain type xen against the test driver (PV, PVH, HVM)", function () {
  this.timeout(180000);
  const lines: string[] = [];
  const dir = tempDir("dom-xen");
  const names: string[] = [];
  let anchor: Libvirt;
  let n = 0;

  /** virt-xml-validate FILE domain on what libvirt holds as the persistent config. */
  function validate(name: string): void {
    const file = join(dir.path, `${n++}.xml`);
    const xml = run("dumpxml", "--inactive", name);
    writeFileSync(file, xml);
    const r = spawnSync("virt-xml-validate", [file, "domain"], { encoding: "utf8" });
    assert.equal(r.status, 0, `${name}: libvirt's schema refuses it:\n${r.stdout}${r.stderr}\n--- document ---\n${xml}`);
  }

  before(async () => {
    const probe = spawnSync("sh", ["-c", "command -v virt-xml-validate && command -v xmllint"], { encoding: "utf8" });
    assert.equal(probe.status, 0, "virt-xml-validate (libvirt-clients) and xmllint (libxml2-utils) must be installed");
    setReporter((l) => lines.push(l));
    anchor = await Libvirt.connect(URI);
  });
  after(async () => {
    await cleanupAll([
      () => {
        // While the anchor is still open: after it the test driver forgets everything anyway.
        for (const name of names) {
          virshMaybe(URI, "destroy", name);
          virshMaybe(URI, "undefine", name);
        }
      },
      () => closeAll(),
      () => anchor?.close(),
      () => dir.remove(),
    ]);
  });

  async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
    const r = await domain.check(olds, { connection: { uri: URI }, type: "xen", ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }

  for (const v of variants) {
    it(`${v.what}: xen disk bus, netfront, ${v.xenConsole ? "xen console, " : ""}live memory and vCPUs, pending max memory, delete`, async () => {
      const name = uniqueName("xen");
      names.push(name);
      const base = {
        name,
        memory: "256MiB",
        currentMemory: "192MiB",
        vcpus: 1,
        maxVcpus: 2,
        os: v.os,
        // bus and model left out: xen and netfront on a Xen domain, target xvda assigned
        disks: [{ file: join(dir.path, `${name}.img`) }],
        networkInterfaces: [{ network: "default" }],
        running: true,
        shutdownTimeout: 1,
      };
      const inputs = await checked(base);
      assert.equal((inputs["disks"] as { target: string }[])[0]!.target, "xvda", "target assigned from the xen bus at check");

      const { id, outs } = await domain.create(inputs);
      assert.equal(outs["state"], "running");
      assert.equal(outs["resolvedType"], "xen");
      assert.ok((outs["domainId"] as number) > 0);
      const domId = run("domid", name);

      // What libvirt holds: the running domain and its persistent config.
      for (const xml of [run("dumpxml", name), run("dumpxml", "--inactive", name)]) {
        assert.match(xml, /^<domain type='xen'/);
        assert.match(xml, new RegExp(`<os>\\s*<type arch='[^']+'>${v.osType}</type>`));
        assert.match(
          xml,
          new RegExp(
            `<disk type='file' device='disk'>\\s*<driver name='phy'/>\\s*<source file='${join(dir.path, name)}\\.img'/>\\s*<target dev='xvda' bus='xen'/>`,
          ),
        );
        assert.match(
          xml,
          new RegExp(
            `<interface type='network'>\\s*<mac address='${(outs["macs"] as string[])[0]}'/>\\s*<source network='default'/>[\\s\\S]*?<model type='netfront'/>`,
          ),
        );
        assert.match(xml, /<memballoon model='xen'\/>/);
        const console = /<console type='pty'>\s*<target type='xen' port='0'\/>\s*<\/console>/;
        if (v.xenConsole) assert.match(xml, console);
        else assert.doesNotMatch(xml, /<console/);
        for (const re of v.xml) assert.match(xml, re);
      }
      validate(name);

      // Read back: no diff.
      const read = await domain.read(id, outs);
      assert.deepEqual(await domain.diff(id, read.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });

      // The balloon target and the vCPUs: live, on the same running domain.
      const live = await checked({ ...base, currentMemory: "128MiB", vcpus: 2 }, outs);
      const d1 = await domain.diff(id, read.props, live);
      assert.deepEqual(d1, { changes: true, replaces: [], deleteBeforeReplace: false });
      assert.ok(lines.includes(`virt:Domain ${name}: currentMemory 192MiB → 128MiB (ballooned live)`), lines.join("\n"));
      const u1 = await domain.update(id, read.props, live);
      assert.deepEqual(u1.outs["pendingRestart"], []);
      assert.equal(u1.outs["actualMemory"], 128 * 2 ** 20);
      assert.equal(run("domid", name), domId, "the same running domain");
      assert.match(run("dominfo", name), /Used memory:\s+131072 KiB/);
      assert.equal(run("vcpucount", name, "--live", "--active"), "2");
      assert.equal(run("vcpucount", name, "--config", "--active"), "2");
      assert.match(run("dumpxml", "--inactive", name), /<currentMemory unit='KiB'>131072</);
      assert.deepEqual((await domain.diff(id, (await domain.read(id, u1.outs)).props, live)).changes, false);

      // The maximum memory: saved in the config, waits for a restart; the running domain is untouched.
      const bigger = await checked({ ...base, currentMemory: "128MiB", vcpus: 2, memory: "320MiB" }, u1.outs);
      const u2 = await domain.update(id, u1.outs, bigger);
      assert.deepEqual(u2.outs["pendingRestart"], ["memory"]);
      assert.ok(lines.includes(`virt:Domain ${name}: saved, takes effect at the next start: memory`), lines.join("\n"));
      assert.equal(run("domid", name), domId);
      assert.match(run("dominfo", name), /Max memory:\s+262144 KiB/);
      const config = run("dumpxml", "--inactive", name);
      assert.match(config, /<memory unit='KiB'>327680</);
      // The redefinition kept what it does not change: disk, NIC, os, the xen console.
      assert.match(config, /<target dev='xvda' bus='xen'\/>/);
      assert.match(config, /<model type='netfront'\/>/);
      assert.match(config, new RegExp(`<type arch='[^']+'>${v.osType}</type>`));
      if (v.xenConsole) assert.match(config, /<target type='xen' port='0'\/>/);
      validate(name);
      const reread = await domain.read(id, u2.outs);
      assert.deepEqual(reread.props["pendingRestart"], ["memory"]);
      assert.equal((await domain.diff(id, reread.props, bigger)).changes, false);

      // Delete: shut down, then undefined (the test driver refuses the NVRAM and checkpoint undefine flags).
      await domain.delete(id, u2.outs);
      assert.equal(virshMaybe(URI, "domstate", name), null);
      assert.equal((await domain.read(id, u2.outs)).id, "", "read reports it gone");
    });
  }

  it("defines a stopped PV guest (running false) and starts it by an update", async () => {
    const name = uniqueName("xen");
    names.push(name);
    const base = {
      name,
      memory: "128MiB",
      vcpus: 1,
      os: { type: "xen", kernel: "/boot/vmlinuz-xen" },
      disks: [{ file: join(dir.path, `${name}.img`) }],
      shutdownTimeout: 1,
    };
    const stopped = await checked({ ...base, running: false });
    const { id, outs } = await domain.create(stopped);
    assert.equal(outs["state"], "shutoff");
    assert.equal(outs["domainId"], -1);
    assert.match(run("domstate", name), /shut off/);
    const started = await domain.update(id, outs, await checked({ ...base, running: true }, outs));
    assert.equal(started.outs["state"], "running");
    assert.match(run("domstate", name), /running/);
    await domain.delete(id, started.outs);
    assert.equal(virshMaybe(URI, "domstate", name), null);
  });

  it("refuses non-Xen devices on a Xen domain before touching the host", async () => {
    const r = await domain.check(
      {},
      {
        connection: { uri: URI },
        name: "x",
        type: "xen",
        memory: "128MiB",
        os: { type: "xen", kernel: "/boot/vmlinuz-xen" },
        disks: [
          { file: "/a.img", bus: "virtio" },
          { file: "/b.img", bus: "sata" },
        ],
      },
    );
    const text = r.failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
    assert.match(text, /disks\[0\]\.bus: a Xen domain uses the xen bus \(or ide\/scsi for HVM\), not virtio/);
    assert.match(text, /disks\[1\]\.bus: a Xen domain uses the xen bus \(or ide\/scsi for HVM\), not sata/);
  });
});
