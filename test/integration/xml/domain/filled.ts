import assert from "node:assert/strict";
import { DomainModel, extraDeviceMatches, sameMachine } from "../../../../provider/xml/domain";
import { declared } from "../../../unit/xml/domain/samples";

/**
 * What a read of a domain defined from `model` must equal: the model, with every field libvirt fills in or
 * normalises (and the model left unset) taken from the read — after checking it has the value libvirt
 * documents. This is the list of fields a no-diff read has to ignore or default, as code.
 */
export function expectedRead(model: DomainModel, read: DomainModel): DomainModel {
  const r = declared(read);
  const m: DomainModel = JSON.parse(JSON.stringify(model)) as DomainModel;
  assert.match(r.uuid ?? "", /^[0-9a-f-]{36}$/, "uuid is generated");
  m.uuid ??= r.uuid;
  m.currentMemory ??= (assert.equal(r.currentMemory, m.memory, "currentMemory defaults to memory"), r.currentMemory);
  if (m.vcpu.placement === undefined && r.vcpu.placement !== undefined) m.vcpu.placement = (assert.equal(r.vcpu.placement, "static"), "static");
  if (m.cpu === undefined && r.cpu !== undefined) m.cpu = r.cpu; // kvm/qemu: custom qemu64 check=none
  if (m.cpu !== undefined && m.cpu.check === undefined && r.cpu?.check !== undefined) m.cpu.check = r.cpu.check;
  m.os.arch ??= r.os.arch;
  if (m.os.machine !== undefined && r.os.machine !== undefined) {
    assert.ok(sameMachine(m.os.machine, r.os.machine), `machine ${m.os.machine} read back as ${r.os.machine}`);
    m.os.machine = r.os.machine;
  } else m.os.machine ??= r.os.machine;
  const deviceBoot = [...(m.devices.disks ?? []), ...(m.devices.interfaces ?? [])].some((x) => x.bootOrder !== undefined);
  // QEMU adds <boot dev='hd'/> to an HVM domain with no boot order at all (the test driver does not).
  if (!deviceBoot && m.os.boot === undefined && r.os.boot !== undefined) m.os.boot = (assert.deepEqual(r.os.boot, ["hd"]), ["hd"]);
  m.os.loader ??= r.os.loader;
  m.os.nvram ??= r.os.nvram;
  m.onPoweroff ??= (assert.equal(r.onPoweroff, "destroy"), "destroy");
  m.onReboot ??= (assert.equal(r.onReboot, "restart"), "restart");
  m.onCrash ??= (assert.equal(r.onCrash, "destroy"), "destroy");

  const d = m.devices;
  const rd = r.devices;
  d.disks?.forEach((x, i) => {
    const y = rd.disks?.[i];
    x.device ??= y?.device;
    if (y?.driver !== undefined) x.driver = { ...y.driver, ...x.driver };
    x.target.bus ??= y?.target.bus;
  });
  d.interfaces?.forEach((x, i) => {
    const y = rd.interfaces?.[i];
    x.model ??= y?.model; // QEMU fills rtl8139 on i440fx; Xen leaves it unset
    if (x.mac === undefined) {
      assert.match(y?.mac ?? "", m.type === "xen" ? /^(00:16:3e|52:54:00)(:[0-9a-f]{2}){3}$/ : /^52:54:00(:[0-9a-f]{2}){3}$/, "MAC is generated");
      x.mac = y?.mac;
    }
  });
  for (const list of [d.serials, d.consoles]) {
    list?.forEach((x, i) => {
      const y = (list === d.serials ? rd.serials : rd.consoles)?.[i];
      x.targetType ??= y?.targetType;
      x.port ??= y?.port;
    });
  }
  d.videos?.forEach((x, i) => {
    const y = rd.videos?.[i];
    x.vram ??= y?.vram;
    x.heads ??= y?.heads;
  });
  d.filesystems?.forEach((x, i) => {
    x.accessMode ??= rd.filesystems?.[i]?.accessMode;
  });
  d.rngs?.forEach((x, i) => {
    x.model ??= rd.rngs?.[i]?.model;
    x.device ??= rd.rngs?.[i]?.device;
  });
  d.memballoon ??= rd.memballoon;
  if (d.videos === undefined && rd.videos !== undefined) d.videos = rd.videos; // added for graphics
  if (d.consoles === undefined && rd.consoles !== undefined) d.consoles = rd.consoles; // libxl: the xen console
  for (const x of d.extraDevices ?? []) {
    assert.ok(
      (rd.extraDevices ?? []).some((y) => extraDeviceMatches(x, y)),
      `extra device ${x} is in the read:\n${(rd.extraDevices ?? []).join("\n")}`,
    );
  }
  if (rd.extraDevices !== undefined) d.extraDevices = rd.extraDevices; // plus controllers, input, audio
  return JSON.parse(JSON.stringify(m)) as DomainModel; // drops the keys set to undefined above
}
