import assert from "node:assert/strict";
import { parseXml, serializeXml } from "../../../provider/xml/document";
import { attr, child, children, element, ensureChild, removeChildren, setAttr, setChildText, setText, syncChildren, text } from "../../../provider/xml/tree";
import { elementsOf } from "./corpus";

const names = (xml: string) => elementsOf(parseXml(xml).children).map((c) => c.name);

describe("xml tree helpers", () => {
  it("child, children, attr and text read what is there", () => {
    const el = parseXml(`<a><b x='1'/><c> hi </c><b x='2'/></a>`);
    assert.equal(attr(child(el, "b"), "x"), "1");
    assert.deepEqual(
      children(el, "b").map((b) => attr(b, "x")),
      ["1", "2"],
    );
    assert.equal(text(child(el, "c")), "hi");
    assert.equal(text(child(el, "missing")), undefined);
    assert.equal(attr(el, "nope"), undefined);
  });

  it("setAttr changes in place, appends new ones, removes on undefined, and keeps 0", () => {
    const el = element("a", { x: "1", y: "2", z: "3" });
    setAttr(el, "y", "two");
    setAttr(el, "w", 0);
    setAttr(el, "x", undefined);
    assert.deepEqual(el.attrs, [
      ["y", "two"],
      ["z", "3"],
      ["w", "0"],
    ]);
  });

  it("setText replaces text but keeps child elements and comments", () => {
    const el = parseXml(`<a><!-- c -->old<b/></a>`);
    setText(el, "new");
    assert.equal(serializeXml(el, { compact: true }), `<a><!-- c -->new<b/></a>`);
  });

  it("ensureChild returns the existing child or inserts after the named predecessors", () => {
    const el = parseXml(`<network><name>n</name><uuid>u</uuid><ip/></network>`);
    const existing = ensureChild(el, "uuid", { after: ["name"] });
    assert.equal(text(existing), "u");
    ensureChild(el, "bridge", { after: ["name", "uuid", "forward"] });
    ensureChild(el, "route");
    ensureChild(el, "title", { after: ["nothing-like-this"] });
    assert.deepEqual(
      elementsOf(el.children).map((c) => c.name),
      ["title", "name", "uuid", "bridge", "ip", "route"],
    );
  });

  it("removeChildren and setChildText(undefined) remove every match", () => {
    const el = parseXml(`<a><b/><c/><b/></a>`);
    assert.equal(removeChildren(el, "b"), 2);
    setChildText(el, "c", undefined);
    assert.equal(el.children.length, 0);
  });

  it("syncChildren reuses matching elements (keeping their unknown parts), adds, removes, and orders", () => {
    const el = parseXml(`<dhcp><range start='a' end='b'><lease expiry='1'/></range><host mac='1' x='keep'/><host mac='2'/><bootp file='f'/></dhcp>`);
    const made: string[] = [];
    syncChildren(el, "host", [{ mac: "3" }, { mac: "1" }], {
      keyOf: (h) => h.mac,
      keyOfElement: (e) => attr(e, "mac") ?? "",
      create: (h) => {
        made.push(h.mac);
        return element("host", { mac: h.mac });
      },
      update: (e) => setAttr(e, "seen", "yes"),
    });
    assert.deepEqual(made, ["3"]);
    assert.equal(
      serializeXml(el, { compact: true }),
      `<dhcp><range start='a' end='b'><lease expiry='1'/></range><host mac='3'/><host mac='1' x='keep' seen='yes'/><bootp file='f'/></dhcp>`,
    );
  });

  it("syncChildren places a first element after `after`, and an empty list removes them all", () => {
    const el = parseXml(`<dns><forwarder addr='x'/><txt name='t'/></dns>`);
    const opts = {
      keyOf: (s: string) => s,
      keyOfElement: (e: import("../../../provider/xml/document").XmlElement) => attr(e, "ip") ?? "",
      create: (s: string) => element("host", { ip: s }),
      update: () => undefined,
      after: ["forwarder"],
    };
    syncChildren(el, "host", ["1.2.3.4"], opts);
    assert.deepEqual(names(serializeXml(el)), ["forwarder", "host", "txt"]);
    syncChildren(el, "host", [], opts);
    assert.deepEqual(names(serializeXml(el)), ["forwarder", "txt"]);
  });
});
