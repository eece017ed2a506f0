import assert from "node:assert/strict";
import { parseXml, serializeXml } from "../../../../provider/xml/document";
import { applyDomainXml, buildDomainXml, parseDomainXml } from "../../../../provider/xml/domain";
import { declared, domainCorpus } from "./samples";

// Every domain in the corpus (captured from libvirt 9.0 by test/fixtures/xml/domain/capture.sh, plus the
// hand-written samples listed in its README) must parse to the model beside it, survive apply with its own
// model unchanged, and give its declared part back through build → parse.
describe("xml domain model over the corpus", () => {
  const samples = domainCorpus();
  it("has the captured and hand-written samples", () => {
    assert.ok(samples.length >= 14, `${samples.length} samples`);
  });
  for (const s of samples) {
    describe(s.file, () => {
      it("parses to the expected model beside it", () => {
        assert.deepStrictEqual(JSON.parse(JSON.stringify(parseDomainXml(s.xml))), s.expected);
      });
      it("applying its own model changes nothing (byte for byte, as serialized)", () => {
        assert.equal(applyDomainXml(s.xml, parseDomainXml(s.xml)), serializeXml(parseXml(s.xml)));
      });
      it("building the declared part and parsing it back gives the declared part", () => {
        const d = declared(parseDomainXml(s.xml));
        assert.deepStrictEqual(declared(parseDomainXml(buildDomainXml(d))), d);
      });
    });
  }
});
