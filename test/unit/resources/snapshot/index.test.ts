import assert from "node:assert/strict";
import { describePlan, plan } from "../../../../provider/diff";
import { planDomainOps } from "../../../../provider/resources/domain/ops";
import { domainSpec } from "../../../../provider/resources/domain/spec";
import { hostProblems } from "../../../../provider/resources/snapshot";
import { buildSnapshotXml, DomainDisk, parseSnapshotXml } from "../../../../provider/xml";

const disk = (dev: string, type: string, extra: Partial<DomainDisk> = {}): DomainDisk =>
  ({ target: { dev }, source: { type: "file", file: `/i/${dev}` }, driver: { type }, ...extra }) as DomainDisk;
const MiB = 1024 * 1024;
const base = { name: "web", type: "qemu", memory: 256 * MiB, vcpus: 1, running: true, powerState: "running" };

describe("virt:DomainSnapshot (pure)", () => {
  it("builds the snapshot XML libvirt takes: internal by default, external disk-only with overlays and skipped disks", () => {
    const flat = (x: string) => x.replace(/>\s+</g, "><").trim();
    assert.equal(flat(buildSnapshotXml({ name: "s1", description: "d" })), "<domainsnapshot><name>s1</name><description>d</description></domainsnapshot>");
    assert.equal(
      flat(
        buildSnapshotXml({
          name: "s2",
          memory: { snapshot: "no" },
          disks: [
            { name: "vda", snapshot: "external", file: "/o/a.qcow2" },
            { name: "sda", snapshot: "no" },
          ],
        }),
      ),
      "<domainsnapshot><name>s2</name><memory snapshot='no'/><disks><disk name='vda' snapshot='external'><source file='/o/a.qcow2'/></disk><disk name='sda' snapshot='no'/></disks></domainsnapshot>",
    );
  });

  it("reads libvirt's snapshot XML: creation time, state, parent, memory, disks and their overlay files", () => {
    const s = parseSnapshotXml(
      "<domainsnapshot><name>s3</name><description>x</description><state>disk-snapshot</state><parent><name>s2</name></parent><creationTime>1764900000</creationTime>" +
        "<memory snapshot='no'/><disks><disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file='/o/v.s3'/></disk><disk name='sda' snapshot='no'/></disks>" +
        "<domain type='qemu'><name>web</name></domain></domainsnapshot>",
    );
    assert.deepEqual(s, {
      name: "s3",
      description: "x",
      state: "disk-snapshot",
      parent: "s2",
      creationTime: 1764900000,
      memory: { snapshot: "no" },
      disks: [
        { name: "vda", snapshot: "external", file: "/o/v.s3" },
        { name: "sda", snapshot: "no" },
      ],
    });
  });

  it("refuses what the host would refuse, before anything is taken", () => {
    const p = { domain: "web", name: "s", kind: "internal" };
    assert.deepEqual(hostProblems(p, [disk("vda", "qcow2"), disk("sda", "raw", { device: "cdrom", readonly: true })], true), [], "a CD-ROM is not captured");
    const raw = hostProblems(p, [disk("vda", "raw")], true);
    assert.equal(raw.length, 1);
    assert.match(
      raw[0]!.reason,
      /^virt:DomainSnapshot web\/s: kind "internal" needs every writable disk in qcow2 .* vda is raw \(a memory snapshot included\): use kind "external"/,
    );
    assert.match(
      hostProblems({ ...p, memory: false }, [disk("vda", "qcow2")], true)[0]!.reason,
      /memory false: an internal snapshot of a running domain always holds its memory state/,
    );
    assert.deepEqual(hostProblems({ ...p, memory: false }, [disk("vda", "qcow2")], false), [], "a shut-off domain: disk-only internal");
    assert.match(
      hostProblems({ ...p, kind: "external", memory: true }, [disk("vda", "raw")], true)[0]!.reason,
      /only disk-only external snapshots are supported/,
    );
    assert.match(
      hostProblems({ ...p, kind: "external", overlays: [{ target: "vdz", file: "/o" }] }, [disk("vda", "raw")], true)[0]!.reason,
      /the domain has no disk vdz \(it has vda\)/,
    );
  });
});

describe("virt:Domain revert (pure)", () => {
  const ops = (olds: Record<string, unknown>, news: Record<string, unknown>) => planDomainOps(plan(domainSpec.inputs, olds, news), news);
  it("reverts when the trigger is new, never otherwise, and never redefines for it", () => {
    const r1 = { ...base, revert: { snapshot: "s1", trigger: "1" } };
    assert.equal(ops(base, r1).revert, "s1", "the first trigger");
    assert.equal(ops(r1, r1).revert, undefined, "same trigger");
    assert.equal(ops(r1, { ...base, revert: { snapshot: "s2", trigger: "1" } }).revert, undefined, "another snapshot alone is only recorded");
    assert.equal(ops(r1, { ...base, revert: { snapshot: "s2", trigger: "2" } }).revert, "s2");
    assert.equal(ops(r1, base).revert, undefined, "removing it reverts nothing");
    assert.equal(ops(base, r1).redefine, false);
  });

  it("the plan says in words that the current state is discarded", () => {
    const lines = describePlan(
      "virt:Domain",
      "web",
      domainSpec.inputs,
      plan(domainSpec.inputs, { ...base, revert: { snapshot: "s1", trigger: "1" } }, { ...base, revert: { snapshot: "s1", trigger: "2" } }),
    );
    assert.deepEqual(lines, [
      "virt:Domain web: revert.trigger 1 → 2 (REVERTED to the snapshot: the domain's current disks (and memory) since it was taken are DISCARDED)",
    ]);
  });
});
