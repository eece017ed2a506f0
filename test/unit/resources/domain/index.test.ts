import assert from "node:assert/strict";
import { plan, UNKNOWN } from "../../../../provider/diff";
import { planDomainOps } from "../../../../provider/resources/domain/ops";
import { domainSpec } from "../../../../provider/resources/domain/spec";
import { fillIdentities } from "../../../../provider/resources/domain/inputs";
import { readBack, toModel } from "../../../../provider/resources/domain/model";
import { buildDomainXml, parseDomainXml } from "../../../../provider/xml";
import { checkInputs } from "../../../../provider/resources/check";

const MiB = 1024 * 1024;
const base = { name: "web", type: "kvm", memory: 256 * MiB, currentMemory: 128 * MiB, vcpus: 1, maxVcpus: 2, running: true, autostart: false };
const ops = (olds: Record<string, unknown>, news: Record<string, unknown>) => planDomainOps(plan(domainSpec.inputs, olds, news), news);

describe("domain planning (pure)", () => {
  it("applies a change of currentMemory, vcpus, title or description with its own live+config call, no redefinition", () => {
    assert.deepEqual(ops(base, { ...base, currentMemory: 96 * MiB }), { redefine: false, live: [{ kind: "setMemory", bytes: 96 * MiB }], pending: [] });
    assert.deepEqual(ops(base, { ...base, vcpus: 2 }), { redefine: false, live: [{ kind: "setVcpus", count: 2 }], pending: [] });
    assert.deepEqual(ops(base, { ...base, title: "Web", description: "d" }), {
      redefine: false,
      live: [
        { kind: "setMetadata", field: "title", value: "Web" },
        { kind: "setMetadata", field: "description", value: "d" },
      ],
      pending: [],
    });
  });

  it("redefines first when a live change comes with a config one, or when the vCPU maximum follows vcpus", () => {
    assert.deepEqual(ops(base, { ...base, currentMemory: 96 * MiB, memory: 512 * MiB }), {
      redefine: true,
      live: [{ kind: "setMemory", bytes: 96 * MiB }],
      pending: ["memory"],
    });
    const { maxVcpus: _, ...noMax } = base;
    assert.deepEqual(ops(noMax, { ...noMax, vcpus: 2 }), { redefine: true, live: [{ kind: "setVcpus", count: 2 }], pending: [] });
  });

  it("leaves config-class changes pending, and never redefines for power state or autostart", () => {
    assert.deepEqual(ops(base, { ...base, memory: 512 * MiB }), { redefine: true, live: [], pending: ["memory"] });
    assert.deepEqual(ops(base, { ...base, os: { machine: "q35" } }).pending, ["os"]);
    assert.deepEqual(ops(base, { ...base, running: false, autostart: true }), { redefine: false, live: [], pending: [], autostart: true, running: false });
  });

  it("hot-plugs added disks and NICs and unplugs removed ones (removals first), matched by target and MAC", () => {
    const olds = { ...base, disks: [{ target: "vda", file: "/a.img" }], networkInterfaces: [{ mac: "52:54:00:00:00:01", network: "n" }] };
    const news = {
      ...base,
      disks: [{ target: "vdb", file: "/b.img" }],
      networkInterfaces: [
        { mac: "52:54:00:00:00:01", network: "n" },
        { mac: "52:54:00:00:00:02", network: "n" },
      ],
    };
    assert.deepEqual(ops(olds, news).live, [
      { kind: "detach", device: "disk", key: "vda" },
      { kind: "attach", device: "disk", key: "vdb" },
      { kind: "attach", device: "interface", key: "52:54:00:00:00:02" },
    ]);
  });

  it("changes CD-ROM media, link state and the graphics password live; other device changes wait", () => {
    const olds = {
      ...base,
      disks: [
        { target: "sda", device: "cdrom", file: "/a.iso" },
        { target: "vda", file: "/d.img", cache: "none" },
      ],
      networkInterfaces: [{ mac: "52:54:00:00:00:01", network: "n", linkState: "up" }],
      graphics: { type: "vnc", password: "a" },
    };
    const news = {
      ...base,
      disks: [
        { target: "sda", device: "cdrom", file: "/b.iso" },
        { target: "vda", file: "/d.img", cache: "writeback" },
      ],
      networkInterfaces: [{ mac: "52:54:00:00:00:01", network: "n", linkState: "down" }],
      graphics: { type: "vnc", password: "b" },
    };
    const o = ops(olds, news);
    assert.deepEqual(o.live, [
      { kind: "updateDevice", device: "disk", key: "sda" },
      { kind: "updateDevice", device: "interface", key: "52:54:00:00:00:01" },
      { kind: "updateDevice", device: "graphics", key: "0" },
    ]);
    assert.deepEqual(o.pending, ["disks[vda].cache"]);
  });

  it("replaces only for type, arch, firmware and name, and plans unknown (preview) values by their class", () => {
    assert.deepEqual(plan(domainSpec.inputs, base, { ...base, type: "qemu" }).replaceKeys, ["type"]);
    assert.deepEqual(plan(domainSpec.inputs, base, { ...base, os: { firmware: "efi" } }).replaceKeys, ["os"]);
    const p = plan(domainSpec.inputs, base, { ...base, currentMemory: UNKNOWN });
    assert.equal(p.changes[0]!.unknown, true);
    assert.deepEqual(p.replaceKeys, []);
  });
});

describe("domain identities and read-back", () => {
  it("assigns targets by bus and MACs once, and keeps them when the inputs come back", () => {
    const first: Record<string, unknown> = {
      disks: [{ file: "/a.img" }, { device: "cdrom" }, { file: "/b.img", target: "vda" }],
      networkInterfaces: [{ network: "n" }],
    };
    fillIdentities(first, undefined, "kvm");
    const disks = first["disks"] as { target: string }[];
    assert.deepEqual(
      disks.map((d) => d.target),
      ["vdb", "sda", "vda"],
    );
    const mac = (first["networkInterfaces"] as { mac: string }[])[0]!.mac;
    assert.match(mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
    const again: Record<string, unknown> = {
      disks: [{ file: "/b.img", target: "vda" }, { file: "/a.img" }, { device: "cdrom" }],
      networkInterfaces: [{ network: "n" }],
    };
    fillIdentities(again, first, "kvm");
    assert.deepEqual(
      (again["disks"] as { target: string }[]).map((d) => d.target),
      ["vda", "vdb", "sda"],
    );
    assert.equal((again["networkInterfaces"] as { mac: string }[])[0]!.mac, mac);
    const xen: Record<string, unknown> = { disks: [{ file: "/x.img" }] };
    fillIdentities(xen, undefined, "xen");
    assert.equal((xen["disks"] as { target: string }[])[0]!.target, "xvda");
  });

  it("reads back what it built with no diff", () => {
    const { inputs } = checkInputs(domainSpec.inputs, {
      ...base,
      memory: "256MiB",
      currentMemory: "128MiB",
      disks: [
        { target: "vda", file: "/var/lib/libvirt/images/a.qcow2", format: "qcow2" },
        { target: "sda", device: "cdrom" },
      ],
      networkInterfaces: [{ mac: "52:54:00:aa:bb:cc", network: "default" }],
      graphics: { type: "vnc", password: "s3cret" },
      serialConsole: { type: "pty" },
      guestAgent: true,
      cpu: { mode: "host-model" },
      os: { machine: "q35", boot: ["hd", "cdrom"] },
    });
    const model = parseDomainXml(buildDomainXml(toModel(inputs, "kvm", {})));
    const back = readBack(model, inputs);
    const p = plan(domainSpec.inputs, { ...back, running: true, autostart: false }, inputs);
    assert.deepEqual(p.changes, []);
  });
});

describe("CD-ROM media under the same path", () => {
  it("swaps live when the disk's revision changes (a replaced cloud-init seed)", () => {
    const olds = { ...base, disks: [{ target: "sda", device: "cdrom", volume: { pool: "p", volume: "seed.iso" }, revision: "iid-1" }] };
    const news = { ...base, disks: [{ target: "sda", device: "cdrom", volume: { pool: "p", volume: "seed.iso" }, revision: "iid-2" }] };
    const o = ops(olds, news);
    assert.deepEqual(o.live, [{ kind: "updateDevice", device: "disk", key: "sda" }]);
    assert.deepEqual(o.pending, []);
  });
});
