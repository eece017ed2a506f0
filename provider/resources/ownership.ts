/**
 * Ownership marks: how a create recognises an object that an earlier, interrupted create of the SAME resource
 * made (the provider or the daemon was killed between defining the object and returning its id to Pulumi, so
 * Pulumi never recorded it). Such an object is resumed and taken over; an object without this resource's mark
 * keeps the "already exists; set adopt: true" refusal.
 *
 * The resource's identity is the `__owner` input the SDK adds (project, stack, type and Pulumi name; see
 * sdk/provider.ts `ownerInput`). Without it (direct calls, programs built on an older SDK) there is no mark and
 * creates behave as before.
 *
 * - Domains, networks and storage pools carry the mark in their UUID: its first 60 bits are derived from the
 *   owner, the kind and the libvirt name (SHA-256), the rest is random (an RFC 9562 version-8 UUID), so every
 *   create, a replacement too, still gets a new UUID. libvirt keeps a UUID for the object's life, across daemon
 *   restarts, redefinitions and host reboots; nobody else makes one with that prefix.
 * - Volumes (and CloudInitDisk seeds) have no UUID, metadata or any other free field that libvirt keeps, so their
 *   mark is a create journal on the machine running Pulumi: a small file written before the volume is created
 *   and removed once the create has finished (or cleanly rolled back). A volume found under a journal entry of
 *   this resource was made by the interrupted create; it holds no data anyone used (nothing depended on it
 *   yet), so it is deleted and made again — never trusted as complete. The journal lives in
 *   `$PULUMI_VIRT_STATE_DIR` (default `~/.pulumi-virt/creating`); an up resumed from another machine does not see it
 *   and gets the adopt refusal instead.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Props } from "./provider";

/** The SDK-added input that names the resource (never sent to libvirt, never in state). */
export const OWNER_INPUT = "__owner";

/** The resource's identity, when the SDK gave one. */
export function ownerOf(p: Props): string | undefined {
  const v = p[OWNER_INPUT];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * The mark in a UUID: its first 60 bits (the text up to and including the version digit's group,
 * `xxxxxxxx-xxxx-8xxx`) are derived from owner, kind and name; the rest is random, so each create — a
 * replacement too — gets a UUID of its own.
 */
export function markPrefix(kind: "domain" | "network" | "pool", owner: string, name: string): string {
  const h = createHash("sha256").update(`pulumi-virt\0${kind}\0${owner}\0${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8 (custom)
  const x = h.subarray(0, 8).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}`;
}

/** A fresh UUID carrying the mark of owner, kind and name (RFC 9562 version 8). */
export function markUuid(kind: "domain" | "network" | "pool", owner: string, name: string): string {
  const r = randomBytes(8);
  r[0] = (r[0]! & 0x3f) | 0x80; // RFC 9562 variant
  const x = r.toString("hex");
  return `${markPrefix(kind, owner, name)}-${x.slice(0, 4)}-${x.slice(4)}`;
}

/** The UUID to create with (undefined without an owner), and whether an existing object's UUID carries this mark. */
export function uuidMark(kind: "domain" | "network" | "pool", p: Props): { uuid: string | undefined; ours(existing: string): boolean } {
  const owner = ownerOf(p);
  if (owner === undefined) return { uuid: undefined, ours: () => false };
  const name = String(p["name"]);
  const prefix = markPrefix(kind, owner, name);
  return { uuid: markUuid(kind, owner, name), ours: (existing) => existing.toLowerCase().startsWith(`${prefix}-`) };
}

function journalDir(): string {
  return process.env["PULUMI_VIRT_STATE_DIR"] || join(homedir(), ".pulumi-virt", "creating");
}

/** One create in progress of a volume-like object, as the journal records it. */
export interface JournalEntry {
  kind: "volume" | "cloudinit";
  owner: string;
  uri: string;
  pool: string;
  name: string;
}

function entryFile(e: JournalEntry): string {
  const h = createHash("sha256")
    .update(JSON.stringify([e.kind, e.owner, e.uri, e.pool, e.name]))
    .digest("hex")
    .slice(0, 32);
  return join(journalDir(), `${h}.json`);
}

/**
 * The create journal of volume-like objects. `begin` before the object is created; `end` once the create
 * finished or was rolled back; `pending` tells a later create that the object it meets was made by an
 * interrupted create of the same resource. Without an owner every method does nothing.
 */
export const journal = {
  entry(kind: JournalEntry["kind"], p: Props, uri: string, pool: string, name: string): JournalEntry | undefined {
    const owner = ownerOf(p);
    return owner === undefined ? undefined : { kind, owner, uri, pool, name };
  },
  begin(e: JournalEntry | undefined): void {
    if (e === undefined) return;
    mkdirSync(journalDir(), { recursive: true, mode: 0o700 });
    writeFileSync(entryFile(e), `${JSON.stringify({ ...e, started: new Date().toISOString(), pid: process.pid })}\n`, { mode: 0o600 });
  },
  pending(e: JournalEntry | undefined): boolean {
    return e !== undefined && existsSync(entryFile(e));
  },
  end(e: JournalEntry | undefined): void {
    if (e !== undefined) rmSync(entryFile(e), { force: true });
  },
  /** Every entry file (tests). */
  files(): string[] {
    try {
      return readdirSync(journalDir()).map((f) => join(journalDir(), f));
    } catch {
      return [];
    }
  },
};
