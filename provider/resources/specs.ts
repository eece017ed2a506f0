import type { PropSpec } from "../diff";
import { isNotFound } from "../libvirt";

/** `permissions` of a directory or file: set when the object is made, so a change replaces it. */
export function permissionsSpec(doc: string): PropSpec {
  return {
    type: {
      kind: "object",
      properties: {
        mode: { type: { kind: "string", format: "octalMode" }, doc: 'Octal mode, e.g. "0755".', update: "replace" },
        owner: { type: { kind: "integer", min: 0 }, doc: "Owner uid.", update: "replace" },
        group: { type: { kind: "integer", min: 0 }, doc: "Group gid.", update: "replace" },
        label: { type: { kind: "string" }, doc: "SELinux/AppArmor label.", update: "replace" },
      },
    },
    doc,
    update: "replace",
  };
}

/** The result of a lookup, or null when libvirt says the object does not exist (any other error is thrown). */
export async function orNull<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}
