import assert from "node:assert/strict";
import { domain } from "../../../../provider/resources/domain";
import { migrationPlan, migrationRefusals } from "../../../../provider/resources/domain/migrate";
import { setReporter } from "../../../../provider/resources/provider";

// When a host change is a migration, what the plan says, and what is refused before any host is asked.
const MiB = 1024 * 1024;
const A = "qemu+tcp://127.0.0.1:1/system"; // nothing listens: a destination check fails at once
const B = "qemu+tcp://127.0.0.1:2/system";
const olds = {
  name: "web",
  type: "qemu",
  memory: 128 * MiB,
  vcpus: 1,
  running: true,
  uri: A,
  disks: [{ target: "vda", volume: { pool: "p", volume: "web.raw" } }],
};

describe("domain migration planning", () => {
  const lines: string[] = [];
  before(() => setReporter((l) => lines.push(l)));
  after(() => setReporter((l) => process.stderr.write(`${l}\n`)));
  beforeEach(() => (lines.length = 0));

  it("is no migration without the opt-in, or when the host stays", () => {
    assert.equal(migrationPlan(olds, { ...olds, connection: { uri: B } }, B, true), undefined);
    assert.equal(migrationPlan(olds, { ...olds, migration: {} }, A, true), undefined);
  });

  it("says a running domain migrates live with its disks' data, a stopped one moves offline, and shared storage is not copied", () => {
    const news = { ...olds, connection: { uri: B }, migration: { timeoutSec: 30 } };
    assert.match(
      migrationPlan(olds, news, B, true)!.line,
      new RegExp(
        `^migrated live from ${A.replace(/[+.]/g, "\\$&")} to ${B.replace(/[+.]/g, "\\$&")} .*disk data copied to the destination \\(vda\\): the data moves.*30 s at most`,
      ),
    );
    assert.match(migrationPlan(olds, news, B, false)!.line, /^moved \(stopped\) from .* defined on the destination \(same UUID\), disk data copied/);
    assert.match(migrationPlan(olds, { ...news, migration: { mode: "offline" } }, B, true)!.line, /^moved offline from .*shut down gracefully.*started again/);
    assert.match(migrationPlan(olds, { ...news, migration: { copyStorage: false } }, B, true)!.line, /storage not copied \(it must be shared\)/);
  });

  it("refuses host-local devices without asking any host", async () => {
    const news = {
      ...olds,
      filesystems: [{ type: "9p", source: "/srv/share", target: "share" }],
      disks: [{ target: "vdb", block: "/dev/sdz" }],
      extraDevices: ["<hostdev mode='subsystem' type='pci'/>"],
    };
    const r = await migrationRefusals(news, undefined);
    assert.equal(r.length, 3, r.join("\n"));
    assert.match(r[0]!, /filesystems \(\/srv\/share\) are host directories/);
    assert.match(r[1]!, /disk vdb: \/dev\/sdz is a block device of this host/);
    assert.match(r[2]!, /<hostdev> passes a device of this host through/);
  });

  it("the Domain's diff: an opted-in host change is an update with the migration line, without opt-in a replacement", async () => {
    const news = { ...olds, connection: { uri: B }, migration: {} };
    const d = await domain.diff("0f0f0f0f-0000-4000-8000-000000000001", olds, news);
    assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.ok(
      lines.some((l) => l.startsWith("virt:Domain web: migrated live from")),
      lines.join("\n"),
    );
    lines.length = 0;
    const { migration: _m, ...plain } = news;
    const r = await domain.diff("0f0f0f0f-0000-4000-8000-000000000001", olds, plain);
    assert.deepEqual(r.replaces, ["connection"]);
    assert.ok(!lines.some((l) => l.includes("migrated")), lines.join("\n"));
  });

  it("a change that replaces the domain anyway wins over the migration", async () => {
    const news = { ...olds, name: "web2", connection: { uri: B }, migration: {} };
    const d = await domain.diff("0f0f0f0f-0000-4000-8000-000000000001", olds, news);
    assert.ok(d.replaces.includes("name") && d.replaces.includes("connection"), JSON.stringify(d));
    assert.ok(
      lines.some((l) => /not migrated: name changed, which replaces the domain anyway/.test(l)),
      lines.join("\n"),
    );
  });
});
