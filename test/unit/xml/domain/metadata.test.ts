import assert from "node:assert/strict";
import { parseXml } from "../../../../provider/xml/document";
import { applyDomainXml, parseDomainXml } from "../../../../provider/xml/domain";
import { buildMetadataElement, canonicalMetadataXml, parseMetadata, sameMetadataXml } from "../../../../provider/xml/domain/metadata";
import { serializeXml } from "../../../../provider/xml/document";

const APP = "https://example.org/ns/app/1";
const domainWith = (metadata: string) =>
  `<domain type='kvm'>\n  <name>web</name>\n  <uuid>5b1f7d0e-7a53-4c51-9a8e-2f0d3c1a0041</uuid>\n${metadata}  <memory unit='KiB'>262144</memory>\n  <vcpu placement='static'>1</vcpu>\n  <os>\n    <type arch='x86_64'>hvm</type>\n  </os>\n  <devices/>\n</domain>\n`;

describe("xml domain metadata", () => {
  it("builds the element as libvirt stores it: prefix on every unnamespaced element, other namespaces kept", () => {
    const el = buildMetadataElement({
      uri: APP,
      prefix: "app",
      xml: `<app a="1"><owner>ops</owner><x:y xmlns:x="urn:x"><z/></x:y><d xmlns="urn:d"><e/></d></app>`,
    });
    // What libvirt 9.0 stores for the same snippet (virsh metadata --set on the test driver).
    assert.equal(
      serializeXml(el, { compact: true }),
      `<app:app xmlns:app='${APP}' a='1'><app:owner>ops</app:owner><x:y xmlns:x='urn:x'><app:z/></x:y><d xmlns='urn:d'><e/></d></app:app>`,
    );
  });

  it("parses back to the user's form, whatever the quoting, whitespace or where the prefix is declared", () => {
    const root = parseXml(
      `<domain><metadata xmlns:m="urn:m">\n  <app:app xmlns:app="${APP}">\n    <app:owner> ops </app:owner>\n  </app:app>\n  <m:x/>\n  <nons/>\n</metadata></domain>`,
    );
    assert.deepEqual(parseMetadata(root), [
      { uri: APP, prefix: "app", xml: "<app><owner> ops </owner></app>" },
      { uri: "urn:m", prefix: "m", xml: "<x/>" },
    ]);
    assert.ok(sameMetadataXml(`<app>\n  <owner> ops </owner>\n</app>`, "<app><owner> ops </owner></app>"));
    assert.ok(!sameMetadataXml(`<app><owner>ops</owner></app>`, "<app><owner> ops </owner></app>"), "text inside an element counts");
    assert.equal(canonicalMetadataXml(`<a  b="&amp;"  c='x'/>`), "<a b='&amp;' c='x'/>");
  });

  it("apply replaces the declared namespace in place and keeps other tools' elements and comments", () => {
    const current = domainWith(
      `  <metadata>\n    <other:x xmlns:other="urn:other"><other:keep/></other:x>\n    <!-- note -->\n    <app:app xmlns:app="${APP}"><app:v>1</app:v></app:app>\n  </metadata>\n`,
    );
    const m = parseDomainXml(current);
    m.metadata = [{ uri: APP, prefix: "app", xml: "<app><v>2</v></app>" }];
    const out = applyDomainXml(current, m);
    assert.match(
      out,
      new RegExp(
        `<metadata>\\s*<other:x xmlns:other="urn:other">\\s*<other:keep/>\\s*</other:x>\\s*<!-- note -->\\s*<app:app xmlns:app='${APP}'>\\s*<app:v>2</app:v>`.replace(
          /"/g,
          "'",
        ),
      ),
    );
    assert.deepEqual(parseDomainXml(out).metadata, [
      { uri: "urn:other", prefix: "other", xml: "<x><keep/></x>" },
      { uri: APP, prefix: "app", xml: "<app><v>2</v></app>" },
    ]);
  });

  it("apply adds <metadata> where libvirt puts it, and leaves the document alone when nothing is declared", () => {
    const current = domainWith("");
    const m = parseDomainXml(current);
    assert.equal(applyDomainXml(current, m), applyDomainXml(current, { ...m, metadata: [] }));
    const out = applyDomainXml(current, { ...m, metadata: [{ uri: APP, prefix: "app", xml: "<app/>" }] });
    assert.match(out, new RegExp(`</uuid>\\s*<metadata>\\s*<app:app xmlns:app='${APP}'/>\\s*</metadata>\\s*<memory`));
  });
});
