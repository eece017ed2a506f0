import { DomainRef, DomainSnapshotDeleteFlags, DomainSnapshotRevertFlags, Libvirt, NotSupportedError } from "../../libvirt";
import { orNull } from "../specs";
import { plan } from "../../diff";
import { planDomainOps } from "./ops";
import { connect, stateUri } from "../connections";
import { Props, report, ResourceInputError } from "../provider";
import type { PowerState } from "./power";
import { domainSpec } from "./spec";

/** The snapshot a plan from `olds` to `news` reverts to, if it does (a new `revert.trigger`). */
export function plannedRevert(olds: Props, news: Props): string | undefined {
  return planDomainOps(plan(domainSpec.inputs, olds, news), news).revert;
}

/**
 * Preview: a revert to a snapshot the domain does not have is refused before anything runs, naming the ones it
 * has. Does nothing when no revert is planned.
 */
export async function checkRevert(id: string, olds: Props, news: Props, who: string): Promise<void> {
  const name = plannedRevert(olds, news);
  if (name === undefined || id === "") return;
  const uri = stateUri(olds);
  const lv = await connect(uri);
  const dom = await lv.domains.lookupByUUID(id);
  const have = await lv.domains.listAllSnapshots(dom);
  if (!have.includes(name)) {
    throw new ResourceInputError(
      `${who}: revert.snapshot: the domain has no snapshot named "${name}" (it has ${have.length > 0 ? have.map((n) => `"${n}"`).join(", ") : "none"}); ` +
        `name one of those (a DomainSnapshot's name output), or take it first`,
    );
  }
  report(`${who}: will be REVERTED to snapshot "${name}": everything the domain wrote since (disks, and memory for a memory snapshot) is discarded`);
}

/** Reverts to the snapshot, asking libvirt to leave the domain in the declared power state where it can. */
export async function revertTo(lv: Libvirt, dom: DomainRef, name: string, target: PowerState, who: string): Promise<void> {
  report(`${who}: reverting to snapshot "${name}": the domain's current state is discarded`);
  const flags = target === "running" ? DomainSnapshotRevertFlags.RUNNING : target === "paused" ? DomainSnapshotRevertFlags.PAUSED : 0;
  const snap = await orNull(lv.domains.snapshotLookupByName(dom, name));
  if (snap === null) throw new ResourceInputError(`${who}: revert.snapshot: the domain has no snapshot named "${name}" (any more); nothing was reverted`);
  await lv.domains.revertToSnapshot(snap, flags);
}

/** virDomainListAllSnapshots flag: only the snapshots without a parent. */
const LIST_ROOTS = 1;

/**
 * Deletes every snapshot of the domain with its data (snapshotsOnDelete "delete"): each root with its children.
 * A driver without snapshots (libxl) has none to delete. A snapshot libvirt will not delete fails the delete,
 * named, before the domain is touched further.
 */
export async function deleteSnapshots(lv: Libvirt, dom: DomainRef, who: string): Promise<void> {
  let roots: string[];
  try {
    roots = await lv.domains.listAllSnapshots(dom, LIST_ROOTS);
  } catch (e) {
    if (e instanceof NotSupportedError) return;
    throw e;
  }
  for (const root of roots) {
    report(`${who}: deleting snapshot "${root}" and those taken on top of it, with their data (snapshotsOnDelete: delete)`);
    try {
      await lv.domains.snapshotDelete(await lv.domains.snapshotLookupByName(dom, root), DomainSnapshotDeleteFlags.CHILDREN);
    } catch (e) {
      throw new Error(
        `${who}: not deleted: libvirt would not delete its snapshot "${root}" with its data: ${(e as Error).message}. Delete the snapshots yourself (virsh snapshot-delete), or set snapshotsOnDelete "keep-data", then run again`,
        { cause: e },
      );
    }
  }
}
