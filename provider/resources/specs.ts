import type { PropSpec } from "../diff";
import { isNotFound, Libvirt, PoolRef } from "../libvirt";
import { ResourceInputError } from "./provider";

/** `permissions` of a directory or file: set when the object is made, so a change replaces it. */
export function permissionsSpec(doc: string): PropSpec {
  return {
    type: {
      kind: "object",
      name: "Permissions",
      doc: "Permissions of a directory or file on the host, set when it is made.",
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

/** A pool by name for a resource that lives in it; a missing pool is an input error that says what to do. */
export async function findPool(lv: Libvirt, name: string, who: string): Promise<PoolRef> {
  const pool = await orNull(lv.pools.lookupByName(name));
  if (pool === null)
    throw new ResourceInputError(`${who}: pool "${name}" does not exist on ${lv.uri}; create it first (virt.StoragePool) or fix the pool name`);
  return pool;
}
