import assert from "node:assert/strict";
import { plan } from "../../../../provider/diff";
import { readBack, toModel } from "../../../../provider/resources/domain/model";
import { planDomainOps } from "../../../../provider/resources/domain/ops";
import { domainSpec } from "../../../../provider/resources/domain/spec";
import { applyDomainXml, buildDomainXml, parseDomainXml } from "../../../../provider/xml";

const MiB = 1024 * 1024;
const base = { name: "web", type: "kvm", memory: 256 * MiB, vcpus: 1, running: true };
const ops = (olds: Record<string, unknown>, news: Record<string, unknown>) => planDomainOps(plan(domainSpec.inputs, olds, news), news);
const UNLIMITED = 9007199254740991;

describe("tuning rows: planned, built, applied and read back from the spec table alone", () => {
  it("plans one typed-parameter call per family for the changed leaves, with no redefinition", () => {
    assert.deepEqual(ops(base, { ...base, memtune: { hardLimit: 1024 * MiB, softLimit: 512 * MiB } }), {
      redefine: false,
      live: [
        {
          kind: "tune",
          family: "memory",
          params: [
            { field: "hard_limit", type: "ullong", value: 1048576 },
            { field: "soft_limit", type: "ullong", value: 524288 },
          ],
          paths: ["memtune.hardLimit", "memtune.softLimit"],
        },
      ],
      pending: [],
    });
    const olds = { ...base, memtune: { hardLimit: 1024 * MiB, softLimit: 512 * MiB } };
    assert.deepEqual(ops(olds, { ...base, memtune: { hardLimit: 2048 * MiB, softLimit: 512 * MiB } }).live, [
      { kind: "tune", family: "memory", params: [{ field: "hard_limit", type: "ullong", value: 2097152 }], paths: ["memtune.hardLimit"] },
    ]);
  });

  it("a removed limit is lifted live (libvirt's unlimited); removing memtune lifts every limit it had", () => {
    const olds = { ...base, memtune: { hardLimit: 1024 * MiB, softLimit: 512 * MiB } };
    assert.deepEqual(ops(olds, { ...base, memtune: { hardLimit: 1024 * MiB } }).live, [
      { kind: "tune", family: "memory", params: [{ field: "soft_limit", type: "ullong", value: UNLIMITED }], paths: ["memtune.softLimit"] },
    ]);
    const gone = ops(olds, base);
    assert.equal(gone.redefine, false);
    assert.deepEqual(
      gone.live.map((o) => (o.kind === "tune" ? o.params.map((p) => [p.field, p.value]) : o.kind)),
      [
        [
          ["hard_limit", UNLIMITED],
          ["soft_limit", UNLIMITED],
        ],
      ],
    );
  });

  it("a tuning change with a config change still tunes live, after the redefinition", () => {
    const r = ops(base, { ...base, memory: 512 * MiB, memtune: { hardLimit: 1024 * MiB } });
    assert.equal(r.redefine, true);
    assert.deepEqual(r.pending, ["memory"]);
    assert.equal(r.live[0]?.kind, "tune");
  });

  it("writes the declared leaves (libvirt's unit), removes undeclared ones of a declared row, keeps an undeclared row", () => {
    const xml = buildDomainXml(toModel({ ...base, memtune: { hardLimit: 1024 * MiB } }, "kvm", {}));
    assert.match(xml, /<memtune>\s*<hard_limit>1048576<\/hard_limit>\s*<\/memtune>/);
    assert.ok(xml.indexOf("<memtune>") < xml.indexOf("<vcpu"), "in libvirt's order: memtune before vcpu");
    const current = xml.replace(
      "<hard_limit>1048576</hard_limit>",
      "<hard_limit unit='KiB'>1048576</hard_limit><soft_limit unit='KiB'>4096</soft_limit><min_guarantee unit='KiB'>1</min_guarantee>",
    );
    const edited = applyDomainXml(current, toModel({ ...base, memtune: { hardLimit: 2048 * MiB } }, "kvm", {}));
    assert.match(edited, /<hard_limit unit=['"]KiB['"]>2097152<\/hard_limit>/, "kept its unit attribute, new value");
    assert.doesNotMatch(edited, /soft_limit/, "a mapped leaf the declared row lacks is removed");
    assert.match(edited, /<min_guarantee unit=['"]KiB['"]>1<\/min_guarantee>/, "an unmapped leaf is kept");
    assert.match(
      applyDomainXml(current, toModel(base, "kvm", {})),
      /<soft_limit unit=['"]KiB['"]>4096<\/soft_limit>/,
      "memtune not declared: left as the host has it",
    );
    const back = readBack(parseDomainXml(current), { ...base, memtune: { hardLimit: 1 } });
    assert.deepEqual(back["memtune"], { hardLimit: 1024 * MiB }, "only declared leaves, in bytes");
    assert.equal(readBack(parseDomainXml(current), base)["memtune"], undefined);
  });
});
