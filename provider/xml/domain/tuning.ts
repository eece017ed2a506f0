/**
 * Tuning leaves: `<blkiotune>`, `<memtune>` and `<cputune>` children that hold one value (`<hard_limit>`,
 * `<weight>`, `<shares>`). They are read and written by path ("memtune/hard_limit") rather than by a typed field
 * each, so a spec table row that names the path is all a new tunable needs. Values are the element's text in
 * libvirt's unit (memtune sizes: KiB, libvirt's default unit, which it also writes).
 */
import { XmlElement, XmlError } from "../document";
import { child, ensureChild, removeChildren, setChildText, text } from "../tree";
import { DOMAIN_ORDER, before } from "./order";
import { elementChildren } from "./util";

/** The elements whose one-value children are tuning leaves. */
export const TUNING_ELEMENTS: readonly string[] = ["blkiotune", "memtune", "cputune"];

/** Tuning leaves by path, "element/leaf" → text; `undefined` on apply: remove that leaf. */
export type DomainTuning = Record<string, string | undefined>;

function split(path: string): [string, string] {
  const [top, leaf, more] = path.split("/");
  if (top === undefined || leaf === undefined || more !== undefined || !TUNING_ELEMENTS.includes(top)) {
    throw new XmlError(`tuning path "${path}": expected <element>/<leaf> under ${TUNING_ELEMENTS.join(", ")}`);
  }
  return [top, leaf];
}

/** Every tuning leaf the document has (children without child elements; per-device lists are not leaves). */
export function parseTuning(root: XmlElement): DomainTuning | undefined {
  const out: DomainTuning = {};
  for (const top of TUNING_ELEMENTS) {
    const el = child(root, top);
    for (const leaf of el === undefined ? [] : elementChildren(el)) {
      if (elementChildren(leaf).length === 0 && text(leaf) !== undefined) out[`${top}/${leaf.name}`] = text(leaf);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Sets or removes the given leaves, keeping every other child of the tuning elements; an element left empty is
 * removed; a new one goes where libvirt writes it.
 */
export function applyTuning(root: XmlElement, tuning: DomainTuning): void {
  for (const [path, value] of Object.entries(tuning)) {
    const [top, leaf] = split(path);
    if (value === undefined) {
      const el = child(root, top);
      if (el === undefined) continue;
      removeChildren(el, leaf);
      if (elementChildren(el).length === 0) removeChildren(root, top);
    } else setChildText(ensureChild(root, top, { after: before(DOMAIN_ORDER, top) }), leaf, value);
  }
}
