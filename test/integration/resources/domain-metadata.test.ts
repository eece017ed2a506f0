import assert from "node:assert/strict";
import { domainFixture } from "../../support/domain-fixture";
import { Libvirt } from "../../../provider/libvirt";
import { domain } from "../../../provider/resources/domain";
import { uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { ACCEL } from "../../../tools/support/accel";

// Custom metadata (virDomainSetMetadata type ELEMENT), live and per namespace: on qemu:///system with a running
// domain on the host's accelerator, kvm else qemu (no guest OS needed), and on the daemon's test driver, which forgets its state when its last
// connection closes (the anchor is held for the whole file). Checked with virsh, not only with our client.
const APP = "https://example.org/ns/app/1";
const OPS = "urn:example:ops";
const FOREIGN = "https://other-tool.example/ns/1";

const targets = [
  { uri: "qemu:///system", type: ACCEL() },
  { uri: "test+unix:///default", type: ACCEL() }, // the test driver takes any type
];

for (const t of targets) {
  describe(`virt:Domain metadata on ${t.uri}`, function () {
    this.timeout(180000);
    let anchor: Libvirt;
    const run = (...args: string[]) => virsh(t.uri, ...args);
    /** `virsh metadata` for one namespace, --live or --config; null when libvirt has none. */
    const meta = (name: string, uri: string, where: "--live" | "--config") => virshMaybe(t.uri, "metadata", name, uri, where);

    before(async () => {
      anchor = await Libvirt.connect(t.uri);
    });
    // The anchor closes after the domains are gone (the test driver forgets them when its last connection closes).
    const { lines, names } = domainFixture(t.uri, [() => anchor?.close()]);

    async function checked(news: Record<string, unknown>, olds: Record<string, unknown> = {}) {
      const r = await domain.check(olds, { connection: { uri: t.uri }, type: t.type, ...news });
      assert.deepEqual(r.failures, []);
      return r.inputs;
    }
    const base = (name: string) => ({ name, memory: "128MiB", vcpus: 1, shutdownTimeout: 1 });
    // Written the way a user would (double quotes, indentation): compared canonically, so no diff after libvirt rewrites it.
    const app1 = `<app version="1">\n  <owner>ops</owner>\n  <tier>web</tier>\n</app>`;
    const app2 = `<app version="2"><owner>platform</owner></app>`;
    const ops1 = `<ops><pager>team-a</pager></ops>`;

    it("creates with metadata, changes one namespace live, removes one; other tools' namespaces untouched", async () => {
      const name = uniqueName("meta");
      names.push(name);
      const inputs = await checked({
        ...base(name),
        metadata: [
          { uri: APP, prefix: "app", xml: app1 },
          { uri: OPS, prefix: "ops", xml: ops1 },
        ],
      });
      const { id, outs } = await domain.create(inputs);
      assert.equal(outs["state"], "running");
      for (const where of ["--live", "--config"] as const) {
        assert.match(meta(name, APP, where) ?? "", /<app version="1">\s*<owner>ops<\/owner>\s*<tier>web<\/tier>\s*<\/app>/, where);
        assert.match(meta(name, OPS, where) ?? "", /<ops>\s*<pager>team-a<\/pager>\s*<\/ops>/, where);
      }
      assert.match(run("dumpxml", "--inactive", name), new RegExp(`<app:app xmlns:app="${APP}" version="1">`));

      // Another tool's element, in a namespace we do not manage.
      run("metadata", name, FOREIGN, "--key", "other", "--set", "<other><keep>me</keep></other>", "--live", "--config");

      const read = await domain.read(id, outs);
      assert.ok(read !== null);
      assert.deepEqual(read.props["metadata"], inputs["metadata"], "read back in the declared form; the foreign namespace is not reported");
      assert.deepEqual(await domain.diff(id, read.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });

      // One namespace changed: live and in the config, the domain keeps running as the same id.
      const idBefore = run("domid", name);
      const changed = await checked(
        {
          ...base(name),
          metadata: [
            { uri: APP, prefix: "app", xml: app2 },
            { uri: OPS, prefix: "ops", xml: ops1 },
          ],
        },
        read.props,
      );
      const d = await domain.diff(id, read.props, changed);
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, []);
      assert.ok(
        lines.some((l) => l.includes(`metadata[${APP}].xml`) && l.includes("set live")),
        lines.join("\n"),
      );
      const u1 = await domain.update(id, read.props, changed);
      for (const where of ["--live", "--config"] as const) {
        assert.match(meta(name, APP, where) ?? "", /<app version="2">\s*<owner>platform<\/owner>\s*<\/app>/, where);
        assert.match(meta(name, OPS, where) ?? "", /<pager>team-a<\/pager>/, where);
        assert.match(meta(name, FOREIGN, where) ?? "", /<keep>me<\/keep>/, `${where}: the other tool's element is kept`);
      }
      assert.equal(run("domid", name), idBefore, "the same running domain");
      assert.deepEqual(u1.outs["pendingRestart"], []);

      // One namespace removed: gone live and from the config; the rest stays.
      const fewer = await checked({ ...base(name), metadata: [{ uri: APP, prefix: "app", xml: app2 }] }, u1.outs);
      const u2 = await domain.update(id, u1.outs, fewer);
      for (const where of ["--live", "--config"] as const) {
        assert.equal(meta(name, OPS, where), null, `${where}: ops removed`);
        assert.match(meta(name, APP, where) ?? "", /<owner>platform<\/owner>/, where);
        assert.match(meta(name, FOREIGN, where) ?? "", /<keep>me<\/keep>/, where);
      }
      assert.equal(run("domid", name), idBefore);
      const again = await domain.read(id, u2.outs);
      assert.ok(again !== null);
      assert.deepEqual(await domain.diff(id, again.props, fewer), { changes: false, replaces: [], deleteBeforeReplace: false });

      // Drift in a managed namespace is reported; in a foreign one it is not.
      run("metadata", name, APP, "--key", "app", "--set", "<app version='3'/>", "--config");
      run("metadata", name, FOREIGN, "--key", "other", "--set", "<other><keep>changed</keep></other>", "--config");
      const drifted = await domain.read(id, u2.outs);
      assert.deepEqual(drifted?.props["metadata"], [{ uri: APP, prefix: "app", xml: "<app version='3'/>" }]);
      assert.equal((await domain.diff(id, drifted!.props, fewer)).changes, true);

      await domain.delete(id, u2.outs);
      assert.equal(virshMaybe(t.uri, "domstate", name), null);
    });

    it("on a stopped domain, changes the config only", async () => {
      const name = uniqueName("meta");
      names.push(name);
      const inputs = await checked({ ...base(name), running: false, metadata: [{ uri: OPS, prefix: "ops", xml: ops1 }] });
      const { id, outs } = await domain.create(inputs);
      assert.equal(outs["state"], "shutoff");
      const changed = await checked({ ...base(name), running: false, metadata: [{ uri: OPS, prefix: "o", xml: "<ops><pager>team-b</pager></ops>" }] }, outs);
      const u = await domain.update(id, outs, changed);
      assert.match(meta(name, OPS, "--config") ?? "", /<pager>team-b<\/pager>/);
      assert.match(run("dumpxml", "--inactive", name), new RegExp(`<o:ops xmlns:o="${OPS}">`), "the prefix change is applied too");
      assert.equal(run("domstate", name), "shut off");
      assert.deepEqual((u.outs["metadata"] as unknown[]).length, 1);
      await domain.delete(id, u.outs);
    });
  });
}
