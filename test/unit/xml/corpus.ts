import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { XmlElement, XmlNode } from "../../../provider/xml/document";

/** test/fixtures/xml, from the compiled test in dist/test/unit/xml or the source in test/unit/xml. */
// Compiled to dist/test/unit/xml; the fixtures stay in the source tree.
export const FIXTURES = resolve(__dirname, "../../../../test/fixtures/xml");

export type Kind = "pool" | "volume" | "network";

/** One corpus document: its XML and the model expected from parsing it. */
export interface Sample {
  kind: Kind;
  file: string;
  xml: string;
  expected: unknown;
}

/** Every `<kind>/<name>.xml` with its `<name>.expected.json`. */
export function corpus(kind?: Kind): Sample[] {
  const kinds: Kind[] = kind === undefined ? ["pool", "volume", "network"] : [kind];
  return kinds.flatMap((k) =>
    readdirSync(join(FIXTURES, k))
      .filter((f) => f.endsWith(".xml"))
      .sort()
      .map((f) => ({
        kind: k,
        file: `${k}/${f}`,
        xml: readFileSync(join(FIXTURES, k, f), "utf8"),
        expected: JSON.parse(readFileSync(join(FIXTURES, k, f.replace(/\.xml$/, ".expected.json")), "utf8")),
      })),
  );
}

/** Reads one corpus file. */
export function fixture(file: string): string {
  return readFileSync(join(FIXTURES, file), "utf8");
}

/**
 * Where two trees differ, element-wise: the path of each element whose name, attributes (in order) or
 * non-element content differ, or whose child elements differ in number. Children are compared pairwise,
 * so an empty result means the trees are the same node for node.
 */
export function changedPaths(a: XmlElement, b: XmlElement, at = ""): string[] {
  const here = `${at}/${a.name}`;
  const own = (e: XmlElement) => JSON.stringify([e.name, e.attrs, e.children.filter((c) => c.kind !== "element")]);
  const kids = (e: XmlElement) => e.children.filter((c): c is XmlElement => c.kind === "element");
  if (own(a) !== own(b)) return [here];
  const [ka, kb] = [kids(a), kids(b)];
  if (ka.length !== kb.length || ka.some((k, i) => k.name !== kb[i].name)) return [here];
  return ka.flatMap((k, i) => changedPaths(k, kb[i], here));
}

/** Child elements only (for short assertions). */
export function elementsOf(nodes: XmlNode[]): XmlElement[] {
  return nodes.filter((c): c is XmlElement => c.kind === "element");
}
