import { domainFixture } from "../../support/domain-fixture";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { domain } from "../../../provider/resources/domain";
import { recordingClock, withClock } from "../../support/clock";
import { uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { ACCEL } from "../../../tools/support/accel";

// UEFI domains (OVMF, installed under /usr/share/OVMF, picked by libvirt's firmware autoselection) and the
// delete path, with domains on the host's accelerator (kvm, else qemu) that have no disk to boot: the firmware runs, no guest OS answers ACPI.
// secureBoot is said to be false: otherwise autoselection takes the first descriptor by priority
// (40-edk2-x86_64-secure-enrolled.json), which needs SMM, and the KVM of our (nested) hosts refuses it
// ("System Management Mode not supported by this hypervisor"); with it false, OVMF_CODE_4M.fd is chosen.
const URI = "qemu:///system";
const nvramOf = (name: string) => `/var/lib/libvirt/qemu/nvram/${name}_VARS.fd`;

describe(`virt:Domain with UEFI firmware, and delete, against qemu:///system (type ${ACCEL()}, no guest OS)`, function () {
  this.timeout(180000);
  const { names, lines } = domainFixture(URI, [
    () => {
      for (const n of names) rmSync(nvramOf(n), { force: true });
    },
  ]);

  async function checked(news: Record<string, unknown>) {
    // vcpus is given: left out, a diff after read shows "vcpus 1 → (none)" (it is always read back and has no default).
    const r = await domain.check({}, { connection: { uri: URI }, type: ACCEL(), memory: "256MiB", vcpus: 1, shutdownTimeout: 2, ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }
  const efi = (name: string, extra: Record<string, unknown> = {}) => checked({ name, os: { firmware: "efi", machine: "q35", secureBoot: false }, ...extra });
  // Started: active, with a QEMU process. On our (nested) hosts OVMF hits a KVM emulation failure within a
  // second of starting and QEMU pauses the domain ("paused (unknown)", "emulation failure" in its log); on bare
  // metal it keeps running. Either way libvirt has created the NVRAM file from the template by then.
  async function created(inputs: Record<string, unknown>) {
    const name = inputs["name"] as string;
    names.push(name);
    const r = await domain.create(inputs);
    assert.match(String(r.outs["state"]), /^(running|paused)$/);
    assert.match(virsh(URI, "domstate", name), /^(running|paused)$/);
    assert.match(virsh(URI, "domid", name), /^\d+$/, "active");
    return r;
  }

  it("starts an EFI domain (its NVRAM created by libvirt) and deletes the NVRAM with it", async () => {
    const name = uniqueName("efi");
    const { id, outs } = await created(await efi(name));
    assert.match(virsh(URI, "dumpxml", "--inactive", name), /<os firmware='efi'>/);
    const xml = virsh(URI, "dumpxml", name); // the live XML: what autoselection picked
    assert.match(xml, /<type arch='x86_64' machine='pc-q35-[\d.]+'>hvm<\/type>/);
    assert.match(xml, /<loader [^>]*>\/usr\/share\/OVMF\/OVMF_CODE[\w.]*\.fd<\/loader>/);
    assert.ok(xml.includes(`${nvramOf(name)}</nvram>`), xml);
    assert.ok(existsSync(nvramOf(name)), "the NVRAM file exists once the domain started");

    // An unchanged EFI domain reads back without a diff (q35 is the alias of the versioned machine type).
    const read = await domain.read(id, outs);
    assert.deepEqual(await domain.diff(id, read.props, await efi(name)), { changes: false, replaces: [], deleteBeforeReplace: false });

    await domain.delete(id, outs);
    assert.equal(virshMaybe(URI, "domstate", name), null, "undefined");
    assert.ok(!existsSync(nvramOf(name)), "the NVRAM file went with the domain");
  });

  it("keeps the NVRAM file on delete with keepNvram true", async () => {
    const name = uniqueName("efi");
    const { id, outs } = await created(await efi(name, { keepNvram: true }));
    assert.equal(outs["keepNvram"], true);
    assert.ok(existsSync(nvramOf(name)));
    await domain.delete(id, outs);
    assert.equal(virshMaybe(URI, "domstate", name), null, "undefined");
    assert.ok(existsSync(nvramOf(name)), "the NVRAM file is kept");
    rmSync(nvramOf(name));
  });

  it("delete of a domain with no guest OS finishes after the shutdown timeout", async () => {
    const name = uniqueName("dom");
    const { id, outs } = await created(await checked({ name, shutdownTimeout: 2 }));
    const c = recordingClock();
    lines.length = 0;
    await withClock(c, () => domain.delete(id, outs));
    // ACPI shutdown is accepted and ignored (no OS): the provider waits its 2 s (on its own clock), then forces it off.
    assert.ok(c.slept() >= 2000, `waited ${c.slept()} ms: it did not wait for a graceful shutdown`);
    assert.ok(c.slept() < 2000 + 200 + 1, `waited ${c.slept()} ms: no longer than the timeout and one poll`);
    assert.ok(lines.includes(`virt:Domain ${name}: did not power off within 2 s: forced off`), lines.join("\n"));
    assert.equal(virshMaybe(URI, "domstate", name), null, "gone");
  });
});
