/**
 * Moving a Domain to another host when its connection URI changes and it opted in with `migration`.
 *
 * - Running, mode "live": peer-to-peer live migration. One call to the SOURCE daemon
 *   (DOMAIN_MIGRATE_PERFORM3_PARAMS, flags LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE, plus NON_SHARED_DISK
 *   when storage is copied): the source daemon connects to the destination itself, QEMU streams memory (and, over
 *   NBD, the writable disks into volumes that must already exist there), the destination gets the persistent
 *   definition and the source's is removed. While it runs, the job statistics (DOMAIN_GET_JOB_STATS) are reported
 *   as progress; past `timeoutSec` the job is aborted (DOMAIN_ABORT_JOB): QEMU keeps the guest running on the
 *   source and the update fails saying so.
 * - Stopped (or mode "offline"): the saved definition is defined on the destination (same UUID), each writable
 *   volume disk's bytes are streamed from the source volume into the destination's, and the source's definition is
 *   undefined. A running domain with mode "offline" is shut down first and started on the destination.
 *
 * domain/index.ts hooks in twice: its diff asks {@link migrationDiff} first, its update {@link migrateThenUpdate}.
 */
import { Readable } from "node:stream";
import { clock } from "../clock";
import {
  DomainJobStatsFlags,
  DomainJobType,
  DomainRef,
  DomainUndefineFlags,
  DomainXMLFlags,
  DriverFeature,
  InvalidArgumentError,
  isNotFound,
  Libvirt,
  MigrateFlags,
  MigrateParam,
  TypedParam,
  TypedParamType,
} from "../../libvirt";
import { containsUnknown, UNKNOWN } from "../../diff";
import { parseDomainXml } from "../../xml";
import { orNull } from "../specs";
import { DiffResult, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { connect, resolveUri } from "../connections";
import { whileDomainLocked } from "../retry";
import { shutdownGracefully } from "./power";
import { domainInputs, setting } from "./inputs";
import type { DomainDiskInput } from "../shapes";

/** The `migration` input. */
/** A migration timed out and was aborted: the domain is still on the source (running as it was). */
export class MigrationAborted extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationAborted";
  }
}

export interface MigrationPlan {
  from: string;
  to: string;
  /** What the plan says. */
  line: string;
}

const who = (p: Props) => `virt:Domain ${String(p["name"])}`;
const mib = (v: unknown) => (typeof v === "bigint" || typeof v === "number" ? `${Math.round(Number(v) / 1048576)}` : "?");

/** Volume disks whose data a migration copies (writable disks; CD-ROMs and read-only disks must exist on the destination as they are). */
export function copiedDisks(p: Props): DomainDiskInput[] {
  return (domainInputs(p).disks ?? []).filter((d) => d.device !== "cdrom" && d.device !== "floppy" && d.readonly !== true);
}

/**
 * Whether this diff is a migration: the host changed, the new inputs opt in, and nothing else needs a
 * replacement. Returns the plan line, or undefined (then the host change replaces the domain, as without opt-in).
 */
export function migrationPlan(olds: Props, news: Props, newUri: string, running: boolean): MigrationPlan | undefined {
  const m = domainInputs(news).migration;
  const from = typeof olds["uri"] === "string" ? (olds["uri"] as string) : undefined;
  if (m === undefined || containsUnknown(m) || from === undefined || from === newUri) return undefined;
  const mode = m.mode ?? "live";
  const disks = copiedDisks(news).filter((d) => d.volume !== undefined || d.file !== undefined);
  const names = disks.map((d) => d.target ?? (d.volume !== undefined ? `${d.volume.pool}/${d.volume.volume}` : String(d.file))).join(", ");
  const storage =
    m.copyStorage === false
      ? "storage not copied (it must be shared)"
      : disks.length === 0
        ? "no disk to copy"
        : `disk data copied to the destination (${names}): the data moves, nothing is lost`;
  let line: string;
  if (running && mode === "live") {
    line =
      `migrated live from ${from} to ${newUri} (peer-to-peer; the guest keeps running, same UUID; ${storage}; ` +
      `${m.timeoutSec ?? 600} s at most, then aborted and left running on ${from})`;
  } else if (running) {
    line = `moved offline from ${from} to ${newUri}: shut down gracefully, defined on the destination (same UUID), ${storage}, undefined on the source, started again`;
  } else {
    line = `moved (stopped) from ${from} to ${newUri}: defined on the destination (same UUID), ${storage}, undefined on the source`;
  }
  return { from, to: newUri, line };
}

/**
 * What cannot move, refused before anything runs (plan time): host-local devices (host directories shared with
 * the guest, host block devices, PCI/USB host devices in extraDevices), and file disks (CD-ROMs included) whose
 * path is not a volume on the destination. `dst` may be undefined when the destination cannot be reached now;
 * then only the host-independent checks run.
 */
export async function migrationRefusals(news: Props, dst: Libvirt | undefined): Promise<string[]> {
  const out: string[] = [];
  const fs = (news["filesystems"] as { source?: string }[] | undefined) ?? [];
  if (fs.length > 0)
    out.push(`filesystems (${fs.map((f) => f.source).join(", ")}) are host directories shared with the guest: they cannot follow it to another host`);
  for (const d of domainInputs(news).disks ?? []) {
    if (d.block !== undefined) out.push(`disk ${d.target ?? d.block}: ${d.block} is a block device of this host`);
  }
  for (const x of domainInputs(news).extraDevices ?? []) {
    if (/<hostdev\b/.test(x)) out.push(`extraDevices: a <hostdev> passes a device of this host through`);
  }
  if (dst !== undefined) {
    for (const d of domainInputs(news).disks ?? []) {
      if (d.file === undefined || containsUnknown(d.file)) continue;
      if ((await orNull(dst.volumes.lookupByPath(d.file))) === null) {
        out.push(
          `disk ${d.target ?? d.file}${d.device === "cdrom" ? " (CD-ROM)" : ""}: ${d.file} is not a volume in any pool of the destination; ` +
            `put the file there (e.g. a Volume on the destination) or use a volume disk`,
        );
      }
    }
  }
  return out;
}

/** Refuses unless the source daemon can run a peer-to-peer migration with typed parameters. */
async function checkFeatures(src: Libvirt, name: string): Promise<void> {
  const [p2p, params] = await Promise.all([src.host.supportsFeature(DriverFeature.MIGRATION_P2P), src.host.supportsFeature(DriverFeature.MIGRATION_PARAMS)]);
  if (!p2p || !params) {
    throw new Error(
      `${name}: the source host ${src.uri} cannot run a peer-to-peer migration (${!p2p ? "no MIGRATION_P2P" : "no MIGRATION_PARAMS"}); nothing was changed`,
    );
  }
}

/** The destination must hold every copied volume disk's volume already (the Volume resource on it, created first). */
async function checkDestinationVolumes(dst: Libvirt, news: Props, name: string): Promise<void> {
  const missing: string[] = [];
  for (const d of copiedDisks(news)) {
    if (d.volume === undefined) continue;
    const pool = await orNull(dst.pools.lookupByName(d.volume.pool));
    if (pool === null || (await orNull(dst.volumes.lookupByName(pool, d.volume.volume))) === null) missing.push(`${d.volume.pool}/${d.volume.volume}`);
  }
  if (missing.length > 0) {
    throw new Error(
      `${name}: not migrated (still on the source): the destination ${dst.uri} has no volume ${missing.join(", ")} to copy the disk into; ` +
        `declare the disk's Volume on the destination (connection, followsDomain: true) so it is created before the domain moves`,
    );
  }
}

/** One progress line from the job statistics. */
function progress(stats: Record<string, unknown>): string {
  const parts = [`${Math.round(Number(stats["time_elapsed"] ?? 0) / 1000)} s`];
  if (stats["memory_total"] !== undefined) parts.push(`memory ${mib(stats["memory_processed"])}/${mib(stats["memory_total"])} MiB`);
  if (stats["disk_total"] !== undefined && Number(stats["disk_total"]) > 0) parts.push(`disks ${mib(stats["disk_processed"])}/${mib(stats["disk_total"])} MiB`);
  if (stats["memory_dirty_rate"] !== undefined) parts.push(`dirtying ${Number(stats["memory_dirty_rate"])} pages/s`);
  return parts.join(", ");
}

/**
 * Live peer-to-peer migration of a running domain; resolves when it runs on the destination. Throws
 * {@link MigrationAborted} after a timeout (the job aborted, the domain running on the source).
 */
export async function migrateLive(src: Libvirt, dst: Libvirt, dom: DomainRef, news: Props, destUri: string): Promise<void> {
  const name = who(news);
  const m = domainInputs(news).migration ?? {};
  await checkFeatures(src, name);
  const copy = m.copyStorage !== false;
  if (copy) await checkDestinationVolumes(dst, news, name);
  if (m.maxDowntimeMs !== undefined) await src.domains.migrateSetMaxDowntime(dom, m.maxDowntimeMs);
  const params: TypedParam[] = [];
  if (m.bandwidthMiBs !== undefined) params.push({ field: MigrateParam.BANDWIDTH, value: { type: TypedParamType.ULLONG, value: BigInt(m.bandwidthMiBs) } });
  let flags = MigrateFlags.LIVE | MigrateFlags.PEER2PEER | MigrateFlags.PERSIST_DEST | MigrateFlags.UNDEFINE_SOURCE;
  if (copy) {
    // Only the writable disks are copied (by target): read-only disks and CD-ROMs must exist on the destination.
    const config = parseDomainXml(await src.domains.getXMLDesc(dom, DomainXMLFlags.SECURE));
    const targets = (config.devices.disks ?? [])
      .filter((d) => d.device !== "cdrom" && d.device !== "floppy" && d.readonly !== true && d.source.type !== "network")
      .map((d) => d.target.dev);
    if (targets.length > 0) {
      flags |= MigrateFlags.NON_SHARED_DISK;
      for (const t of targets) params.push({ field: MigrateParam.MIGRATE_DISKS, value: { type: TypedParamType.STRING, value: t } });
    }
  }
  const timeoutMs = (m.timeoutSec ?? 600) * 1000;
  report(`${name}: migrating live to ${destUri}${copy ? " with its disks" : ""} (peer-to-peer, at most ${timeoutMs / 1000} s)`);
  let finished = false;
  const job = src.domains.migratePerform3Params(dom, destUri, params, flags).finally(() => (finished = true));
  const c = clock();
  const t0 = c.now();
  let lastReport = 0;
  let aborted = false;
  while (!finished) {
    await Promise.race([job.catch(() => undefined), c.sleep(500)]);
    if (finished) break;
    if (c.now() - t0 > timeoutMs && !aborted) {
      aborted = true;
      report(`${name}: the migration has taken more than ${timeoutMs / 1000} s: aborting it (the domain stays running on ${src.uri})`);
      await src.domains.abortJob(dom).catch(() => undefined);
      continue;
    }
    if (c.now() - lastReport >= 2000) {
      lastReport = c.now();
      const s = await src.domains.getJobStats(dom).catch(() => undefined);
      if (s !== undefined && s.type !== DomainJobType.NONE) report(`${name}: migrating to ${destUri}: ${progress(s.params)}`);
    }
  }
  try {
    await job;
  } catch (e) {
    const still = await orNull(src.domains.lookupByUUID(dom.uuid));
    const where =
      still !== null && (await src.domains.isActive(still).catch(() => false))
        ? `it is still running on ${src.uri}`
        : `see the hosts: it is not running on ${src.uri}`;
    if (aborted)
      throw new MigrationAborted(
        `${name}: migration to ${destUri} aborted after ${timeoutMs / 1000} s (migration.timeoutSec): ${where}; the state keeps it there, the next up tries again`,
      );
    throw new MigrationAborted(`${name}: migration to ${destUri} failed: ${(e as Error).message}; ${where}`);
  }
  // The completed job as the destination measured it (kept for other readers: a first read would clear it).
  const s = await dst.domains
    .getJobStats(await dst.domains.lookupByUUID(dom.uuid), DomainJobStatsFlags.COMPLETED | DomainJobStatsFlags.KEEP_COMPLETED)
    .catch(() => undefined);
  report(
    `${name}: migrated live to ${destUri}${s !== undefined && s.params["downtime"] !== undefined ? ` (${progress(s.params)}, downtime ${Number(s.params["downtime"])} ms)` : ""}`,
  );
}

/**
 * Moves a domain that is not running (or, mode "offline", is shut down first): define on the destination, copy
 * each writable volume disk's bytes, undefine on the source. Returns whether it should be started on the destination.
 */
export async function moveOffline(src: Libvirt, dst: Libvirt, dom: DomainRef, news: Props): Promise<boolean> {
  const name = who(news);
  const wasRunning = await src.domains.isActive(dom);
  await checkDestinationVolumes(dst, news, name);
  if (wasRunning) {
    const timeout = setting(news, "shutdownTimeout");
    report(`${name}: shutting down to move it offline (graceful, up to ${timeout} s)`);
    await shutdownGracefully(src, dom, timeout);
  }
  const xml = await src.domains.getXMLDesc(dom, DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE | DomainXMLFlags.MIGRATABLE);
  for (const d of copiedDisks(news)) {
    if (d.volume === undefined) continue;
    const from = await src.volumes.lookupByName(await src.pools.lookupByName(d.volume.pool), d.volume.volume);
    const to = await dst.volumes.lookupByName(await dst.pools.lookupByName(d.volume.pool), d.volume.volume);
    const info = await src.volumes.getInfo(from);
    report(`${name}: copying disk ${d.target ?? d.volume.volume} (${d.volume.pool}/${d.volume.volume}, ${mib(info.allocation)} MiB) to ${dst.uri}`);
    const bytes = await src.volumes.download(from);
    await dst.volumes.upload(to, Readable.from(bytes));
  }
  await dst.domains.defineXML(xml);
  const flags = [DomainUndefineFlags.NVRAM | DomainUndefineFlags.MANAGED_SAVE | DomainUndefineFlags.SNAPSHOTS_METADATA, DomainUndefineFlags.MANAGED_SAVE, 0];
  for (const [i, f] of flags.entries()) {
    try {
      await src.domains.undefine(dom, f);
      break;
    } catch (e) {
      if (isNotFound(e)) break;
      if (!(e instanceof InvalidArgumentError) || i === flags.length - 1) throw e;
    }
  }
  report(`${name}: moved to ${dst.uri} (defined there, undefined on ${src.uri})`);
  return wasRunning;
}

/**
 * The Domain's diff hook. A host change of a domain that opted in (`migration`) and needs no replacement
 * otherwise: the plan says it moves (live or offline) and refuses, before anything runs, what cannot move.
 * Undefined when it is not such a change (the generic diff, and its replacement, apply).
 */
export async function migrationDiff(base: ResourceImpl, id: string, olds: Props, news: Props, who: string): Promise<DiffResult | undefined> {
  if (id === "" || news["connection"] === UNKNOWN) return undefined;
  const to = resolveUri(domainInputs(news).connection);
  const mig = migrationPlan(olds, news, to, olds["running"] === true);
  if (mig === undefined) return undefined;
  // Everything else is planned as on the source host; a change that needs a replacement anyway wins.
  const rest = await base.diff(id, olds, { ...news, connection: { uri: mig.from } });
  if (rest.replaces.length > 0) {
    report(`${who}: not migrated: ${rest.replaces.join(", ")} changed, which replaces the domain anyway`);
    return undefined;
  }
  const dst = await connect(to).catch(() => undefined);
  const refusals = await migrationRefusals(news, dst);
  if (refusals.length > 0) {
    throw new ResourceInputError(
      `${who}: cannot move from ${mig.from} to ${to} (migration): ${refusals.join("; ")}. Remove them, or remove migration to replace the domain instead`,
    );
  }
  if (dst === undefined) report(`${who}: the destination ${to} cannot be reached now: its file disks are checked when the domain moves`);
  report(`${who}: ${mig.line}`);
  return { changes: true, replaces: [], deleteBeforeReplace: false };
}

/**
 * The Domain's update hook: when the update is a migration, the move first (a failure leaves the domain, and the
 * state, on the source), then the rest of the update on the destination as any update. Undefined when it is not
 * a migration.
 */
export async function migrateThenUpdate(base: ResourceImpl, id: string, olds: Props, news: Props): Promise<{ outs: Props } | undefined> {
  const to = news["connection"] !== UNKNOWN ? resolveUri(domainInputs(news).connection) : undefined;
  const mig = to !== undefined ? migrationPlan(olds, news, to, true) : undefined;
  if (mig === undefined) return undefined;
  const [src, dst] = await Promise.all([connect(mig.from), connect(mig.to)]);
  const dom = await src.domains.lookupByUUID(id);
  const m = domainInputs(news).migration!;
  if ((await src.domains.isActive(dom)) && (m.mode ?? "live") === "live") {
    await migrateLive(src, dst, dom, news, m.destinationUri ?? mig.to);
  } else if ((await moveOffline(src, dst, dom, news)) && news["running"] !== false) {
    const moved = await dst.domains.lookupByUUID(id);
    await whileDomainLocked(() => dst.domains.create(moved));
  }
  return base.update(id, { ...olds, uri: mig.to }, news);
}
