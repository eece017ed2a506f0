/** The words every generated text (schema.json, docs/resources.md, the SDK's TSDoc) uses for a property. */
import type { PropSpec } from "../provider/diff";

const UPDATE_WORDS = {
  live: "Applied live (in place).",
  config: "Saved in the config; takes effect at the next start.",
  replace: "A change replaces the resource.",
};

/** `cpu` → `Cpu`: a property name as part of a type name. */
export const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
/** `StoragePool` → `storagePool`: a class name as a module or export name. */
export const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** A property's description: its doc, its default, and how a change is applied (not for provider settings). */
export function describeProp(p: PropSpec): string {
  const defaults = p.default !== undefined ? ` Default: ${JSON.stringify(p.default)}.` : "";
  return `${p.doc}${defaults}${p.control ? "" : ` ${UPDATE_WORDS[p.update]}`}`.trim();
}
