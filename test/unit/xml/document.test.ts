import assert from "node:assert/strict";
import { XmlElement, XmlError, parseXml, serializeXml } from "../../../provider/xml/document";
import { corpus } from "./corpus";

describe("xml document adapter", () => {
  describe("round trip over the corpus", () => {
    for (const s of corpus()) {
      it(`${s.file}: parse → serialize → parse is the same tree, and serializing is stable`, () => {
        const once = parseXml(s.xml);
        const text = serializeXml(once);
        assert.deepEqual(parseXml(text), once);
        assert.equal(serializeXml(parseXml(text)), text);
      });
    }
  });

  it("writes libvirt's layout: 2-space indent, single quotes, self-closed empties, text inline", () => {
    const xml = `<pool type="dir"><name>p</name><source>\n  </source><target><path>/x</path></target></pool>`;
    assert.equal(serializeXml(parseXml(xml)), `<pool type='dir'>\n  <name>p</name>\n  <source/>\n  <target>\n    <path>/x</path>\n  </target>\n</pool>\n`);
  });

  it("keeps attribute order and child order exactly", () => {
    const el = parseXml(`<a z='1' a='2' m='3'><c/><b/><a/><b x='1'/></a>`);
    assert.deepEqual(el.attrs, [
      ["z", "1"],
      ["a", "2"],
      ["m", "3"],
    ]);
    assert.deepEqual(
      el.children.map((c) => (c.kind === "element" ? c.name : c.kind)),
      ["c", "b", "a", "b"],
    );
  });

  it("keeps comments, CDATA, namespaced elements and mixed content", () => {
    const xml = `<r xmlns:q='urn:q'><!-- note --><q:x q:y='1'/><d><![CDATA[a <raw> & ]]></d><m>one <b>two</b> three</m></r>`;
    const el = parseXml(xml);
    assert.deepEqual(el.children[0], { kind: "comment", text: " note " });
    const out = serializeXml(el);
    assert.match(out, /<!-- note -->/);
    assert.match(out, /<q:x q:y='1'\/>/);
    assert.match(out, /<d><!\[CDATA\[a <raw> & \]\]><\/d>/);
    assert.match(out, /<m>one <b>two<\/b> three<\/m>/);
    assert.deepEqual(parseXml(out), el);
  });

  it("decodes every entity form and escapes &<>\"' in text and attributes", () => {
    const el = parseXml(`<a v="&lt;&amp;&gt;&quot;&apos;&#65;&#x42;">x &amp; y &lt;z&gt; &#x263A; &quot;q&apos;</a>`);
    assert.deepEqual(el.attrs, [["v", `<&>"'AB`]]);
    assert.deepEqual(el.children, [{ kind: "text", text: `x & y <z> \u263a "q'` }]);
    const out = serializeXml(el);
    assert.equal(out, `<a v='&lt;&amp;&gt;&quot;&apos;AB'>x &amp; y &lt;z&gt; \u263a &quot;q&apos;</a>\n`);
    assert.deepEqual(parseXml(out), el);
  });

  it("keeps tab, newline and CR in attribute values through a round trip", () => {
    const el: XmlElement = { kind: "element", name: "a", attrs: [["v", "1\t2\n3\r4"]], children: [] };
    const out = serializeXml(el);
    assert.equal(out, `<a v='1&#9;2&#10;3&#13;4'/>\n`);
    assert.deepEqual(parseXml(out), el);
    // A literal newline in an attribute is normalised to a space, as XML requires.
    assert.deepEqual(parseXml(`<a v='1\n2'/>`).attrs, [["v", "1 2"]]);
  });

  it("keeps a whitespace-only value as content but drops indentation", () => {
    assert.deepEqual(parseXml(`<a><b> </b><c>\n   </c></a>`).children, [
      { kind: "element", name: "b", attrs: [], children: [{ kind: "text", text: " " }] },
      { kind: "element", name: "c", attrs: [], children: [] },
    ]);
  });

  it("compact mode writes one line", () => {
    const el = parseXml(`<host ip='1.2.3.4'><hostname>a</hostname><hostname>b</hostname></host>`);
    assert.equal(serializeXml(el, { compact: true }), `<host ip='1.2.3.4'><hostname>a</hostname><hostname>b</hostname></host>`);
  });

  describe("rejects malformed input with an XmlError that names the problem", () => {
    const cases: [string, string, RegExp][] = [
      ["unclosed element", "<a><b></a>", /malformed XML at line 1.*closing tag/],
      ["repeated attribute", "<a x='1' x='2'/>", /repeated/],
      ["empty document", "   ", /malformed XML/],
      ["two root elements", "<a/><b/>", /2 root elements/],
      ["unknown entity", "<a>&nbsp;</a>", /unknown entity '&nbsp;'/],
      ["bare ampersand", "<a>fish & chips</a>", /malformed XML/],
      ["character reference to a non-character", "<a>&#1;</a>", /not an XML character/],
      ["DOCTYPE", "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", /DOCTYPE/],
      ["text outside the root", "<a/>trailing", /malformed XML/],
      ["truncated", "<network><name>x</name>", /malformed XML/],
    ];
    for (const [what, xml, re] of cases) {
      it(what, () => {
        assert.throws(
          () => parseXml(xml),
          (e: unknown) => e instanceof XmlError && e.code === "XML_ERROR" && re.test(e.message),
        );
      });
    }
  });

  describe("never writes malformed XML", () => {
    const el = (over: Partial<XmlElement>): XmlElement => ({ kind: "element", name: "a", attrs: [], children: [], ...over });
    it("refuses characters XML cannot hold", () => {
      assert.throws(() => serializeXml(el({ attrs: [["v", "a\u0001b"]] })), /U\+0001/);
      assert.throws(() => serializeXml(el({ children: [{ kind: "text", text: "\u0000" }] })), XmlError);
      assert.throws(() => serializeXml(el({ children: [{ kind: "text", text: "\ud800" }] })), XmlError);
    });
    it("refuses invalid names, duplicate attributes and comments with --", () => {
      assert.throws(() => serializeXml(el({ name: "1a" })), /not a valid element name/);
      assert.throws(() => serializeXml(el({ attrs: [["a b", "1"]] })), /not a valid attribute name/);
      assert.throws(
        () =>
          serializeXml(
            el({
              attrs: [
                ["x", "1"],
                ["x", "2"],
              ],
            }),
          ),
        /appears twice/,
      );
      assert.throws(() => serializeXml(el({ children: [{ kind: "comment", text: "a--b" }] })), /--/);
    });
    it("splits ]]> inside CDATA so the section stays well-formed", () => {
      const out = serializeXml(el({ children: [{ kind: "cdata", text: "x]]>y" }] }));
      assert.equal(
        parseXml(out)
          .children.map((c) => (c as { text: string }).text)
          .join(""),
        "x]]>y",
      );
    });
  });
});
