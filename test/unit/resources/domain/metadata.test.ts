import assert from "node:assert/strict";
import { plan, UNKNOWN } from "../../../../provider/diff";
import { planDomainOps } from "../../../../provider/resources/domain/ops";
import { domain } from "../../../../provider/resources/domain";
import { metadataBack } from "../../../../provider/resources/domain/metadata";
import { readBack, toModel } from "../../../../provider/resources/domain/model";
import { domainSpec } from "../../../../provider/resources/domain/spec";
import { buildDomainXml, parseDomainXml } from "../../../../provider/xml";

const MiB = 1024 * 1024;
const APP = "https://example.org/ns/app/1";
const OPS = "urn:example:ops";
const base = { name: "web", type: "kvm", memory: 256 * MiB, vcpus: 1, running: true, autostart: false };
const app = (xml = "<app><owner>ops</owner></app>", prefix = "app") => ({ uri: APP, prefix, xml });
const ops = (xml = "<ops><pager>a</pager></ops>") => ({ uri: OPS, prefix: "ops", xml });
const planOps = (olds: Record<string, unknown>, news: Record<string, unknown>) => planDomainOps(plan(domainSpec.inputs, olds, news), news);
const check = (metadata: unknown) => domain.check({}, { connection: { uri: "test:///default" }, ...base, metadata });

describe("domain metadata: spec rows", () => {
  it("is a live list keyed by namespace URI; uri, prefix and xml are required and live", () => {
    const row = domainSpec.inputs["metadata"]!;
    assert.equal(row.update, "live");
    assert.equal(row.type.kind, "array");
    assert.equal(row.type.kind === "array" && row.type.key, "uri");
    const items = row.type.kind === "array" && row.type.items.kind === "object" ? row.type.items.properties : {};
    assert.deepEqual(Object.keys(items), ["uri", "prefix", "xml"]);
    for (const p of Object.values(items)) {
      assert.equal(p.update, "live");
      assert.equal(p.required, true);
    }
  });
});

describe("domain metadata: check", () => {
  it("accepts well-formed elements in their own namespaces", async () => {
    const r = await check([app(), ops(), { uri: "urn:x", prefix: "x_1.a-b", xml: "<x a='1'><y:z xmlns:y='urn:y'/></x>" }]);
    assert.deepEqual(r.failures, []);
  });

  it("refuses, naming the property and what to do: relative URI, bad prefix, malformed or prefixed XML, duplicates", async () => {
    // As Pulumi shows them: the property, then the reason (which does not repeat it).
    const reasons = async (m: unknown) => (await check(m)).failures.map((f) => `${f.property}: ${f.reason}`);
    assert.match((await reasons([{ ...app(), uri: "app/1" }]))[0]!, /^metadata\[0\]\.uri: "app\/1" is not an absolute URI; use one with a scheme/);
    assert.match((await reasons([app(undefined, "1app")]))[0]!, /^metadata\[0\]\.prefix: "1app" is not an XML name without a colon/);
    assert.match((await reasons([app(undefined, "a:b")]))[0]!, /^metadata\[0\]\.prefix: "a:b" is not an XML name/);
    assert.match((await reasons([app(undefined, "xmlfoo")]))[0]!, /^metadata\[0\]\.prefix: "xmlfoo" is reserved/);
    assert.match((await reasons([app("<a/><b/>")]))[0]!, /^metadata\[0\]\.xml: is not one well-formed XML element .*2 root elements.*give a single element/);
    assert.match((await reasons([app("<app><owner>")]))[0]!, /^metadata\[0\]\.xml: is not one well-formed XML element/);
    assert.match((await reasons([app("just text")]))[0]!, /^metadata\[0\]\.xml: is not one well-formed XML element/);
    assert.match((await reasons([app("<app:app/>")]))[0]!, /^metadata\[0\]\.xml: <app:app>: write the element without a namespace prefix \(<app>\)/);
    assert.match(
      (await reasons([app(`<app xmlns:app="${APP}"/>`)]))[0]!,
      /^metadata\[0\]\.xml: remove xmlns:app=.* from <app>: the namespace comes from uri and prefix/,
    );
    assert.match((await reasons([app("<app><q:x/></app>")]))[0]!, /^metadata\[0\]\.xml: the prefix "q" of q:x is not declared/);
    assert.match(
      (await reasons([app(), { ...ops(), uri: APP }]))[0]!,
      /^metadata\[1\]: uri "https:\/\/example.org\/ns\/app\/1" is already used by metadata\[0\]; each must be unique/,
    );
    assert.match(
      (await reasons([app(), { ...ops(), prefix: "app" }]))[0]!,
      /^metadata\[1\]\.prefix: "app" is already the prefix of metadata\[0\]; give each namespace its own prefix/,
    );
    assert.match((await reasons([{ uri: APP, xml: "<a/>" }]))[0]!, /^metadata\[0\]\.prefix: is required/);
  });

  it("does not judge unknown (preview) values", async () => {
    assert.deepEqual((await check([{ uri: UNKNOWN, prefix: UNKNOWN, xml: UNKNOWN }])).failures, []);
  });
});

describe("domain metadata: plan", () => {
  it("sets only the namespace that changed, with no redefinition", () => {
    const o = planOps({ ...base, metadata: [app(), ops()] }, { ...base, metadata: [app("<app><owner>platform</owner></app>"), ops()] });
    assert.deepEqual(o, { redefine: false, live: [], pending: [], metadata: [{ uri: APP, prefix: "app", xml: "<app><owner>platform</owner></app>" }] });
  });

  it("one op per namespace when both prefix and xml change; adds and removes by URI", () => {
    assert.deepEqual(planOps({ ...base, metadata: [app()] }, { ...base, metadata: [app("<b/>", "a2")] }).metadata, [{ uri: APP, prefix: "a2", xml: "<b/>" }]);
    assert.deepEqual(planOps({ ...base, metadata: [app()] }, { ...base, metadata: [ops()] }).metadata, [{ uri: APP, prefix: "app" }, ops()]);
    assert.deepEqual(planOps({ ...base, metadata: [app()] }, base).metadata, [{ uri: APP, prefix: "app" }]);
    assert.deepEqual(planOps(base, { ...base, metadata: [app()] }).metadata, [app()]);
  });

  it("keys holding brackets (an IPv6 host) survive the plan path", () => {
    const uri = "http://[::1]/ns";
    const o = planOps({ ...base, metadata: [{ uri, prefix: "v6", xml: "<a/>" }] }, { ...base, metadata: [{ uri, prefix: "v6", xml: "<b/>" }] });
    assert.deepEqual(o.metadata, [{ uri, prefix: "v6", xml: "<b/>" }]);
  });

  it("no metadata change, no metadata ops; order of the list is no change", () => {
    assert.equal(planOps({ ...base, metadata: [app(), ops()] }, { ...base, metadata: [ops(), app()] }).metadata, undefined);
    assert.equal(planOps(base, { ...base, currentMemory: 128 * MiB }).metadata, undefined);
  });
});

describe("domain metadata: build, parse, read back", () => {
  it("round trip: what was built reads back as declared, with no diff", () => {
    const declared = { ...base, metadata: [app('<app version="1">\n  <owner>ops</owner>\n</app>'), ops()] };
    const xml = buildDomainXml(toModel(declared, "kvm", {}));
    assert.match(
      xml,
      new RegExp(`<metadata>\\s*<app:app xmlns:app='${APP}' version='1'>\\s*<app:owner>ops</app:owner>\\s*</app:app>\\s*<ops:ops xmlns:ops='${OPS}'>`),
    );
    assert.ok(xml.indexOf("<metadata>") < xml.indexOf("<memory"), "metadata before memory, libvirt's order");
    const back = readBack(parseDomainXml(xml), declared);
    assert.deepEqual(back["metadata"], declared.metadata);
    assert.deepEqual(
      plan(domainSpec.inputs, back, declared).changes.filter((c) => c.path.startsWith("metadata")),
      [],
    );
  });

  it("compares canonically what libvirt rewrites (quoting, whitespace, namespace declarations), and reports real drift", () => {
    // As libvirt 9.0 writes it back after virDomainSetMetadata: double quotes, its own indentation.
    const libvirt = `<domain type='kvm'><name>web</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os><metadata>
    <app:app xmlns:app="${APP}" version="1">
      <app:owner>ops</app:owner>
    </app:app>
    <other:x xmlns:other="https://other-tool.example/ns"><other:y/></other:x>
  </metadata><devices/></domain>`;
    const m = parseDomainXml(libvirt);
    assert.deepEqual(m.metadata, [
      { uri: APP, prefix: "app", xml: "<app version='1'><owner>ops</owner></app>" },
      { uri: "https://other-tool.example/ns", prefix: "other", xml: "<x><y/></x>" },
    ]);
    const declared = [app("<app version='1'><owner>ops</owner></app>")];
    assert.deepEqual(metadataBack(m.metadata!, declared), declared, "other namespaces are not reported");
    assert.deepEqual(metadataBack(m.metadata!, [app("<app version='2'><owner>ops</owner></app>")]), [
      { uri: APP, prefix: "app", xml: "<app version='1'><owner>ops</owner></app>" },
    ]);
    assert.deepEqual(metadataBack(m.metadata!, [ops()]), [], "a declared namespace missing from the domain reads as absent");
    assert.equal(readBack(m, base)["metadata"], undefined, "not declared, not reported");
  });
});
