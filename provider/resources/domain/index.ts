/**
 * virt:Domain: check, create, delete and the plan (with what the host adds to it: stale formats, hot-plug slots,
 * migration, snapshots). Reading is in read.ts, the update in update.ts.
 */
import { DomainCreateFlags, DomainDefineFlags, DomainUndefineFlags, DomainXMLFlags, InvalidArgumentError, isNotFound, uuidString } from "../../libvirt";
import { containsUnknown } from "../../diff";
import { applyDomainXml, buildDomainXml, parseDomainXml } from "../../xml";
import { PartialUpdateError, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { makeResource } from "../resource";
import { connect, stateUri } from "../connections";
import { undo, undoOutcome } from "../retry";
import { uuidMark } from "../ownership";
import { orNull } from "../specs";
import { resolveType } from "./accel";
import { defaultBus, domainInputs, fillIdentities, setting, validateDomain } from "./inputs";
import { validateMetadata } from "./metadata";
import { validateNicMacs } from "./validate-nics";
import { validateDiskPaths } from "./validate-paths";
import { toModel } from "./model";
import { normalisePower, powerNow, powerTarget, shutdownGracefully } from "./power";
import { ensureHotplugSlots, freeRootPorts } from "./hotplug";
import { domainSpec } from "./spec";
import { migrateThenUpdate, migrationDiff } from "./migrate";
import { checkRevert, deleteSnapshots } from "./revert";
import { validateWaitForIp } from "./waitip";
import { addressesNow, created, label, observe, staleFormats, volumeFormats, volumeFormatsKnown, XML_CONFIG } from "./read";
import { applyUpdate, bringToPower, hotplugSlots } from "./update";

export { hostAccelerator, resolveType } from "./accel";

const base = makeResource({
  spec: domainSpec,
  deleteBeforeReplace: true,
  validate(inputs, olds) {
    fillIdentities(inputs, olds, domainInputs(inputs).type!);
    return [
      ...normalisePower(inputs, label(inputs)),
      ...validateDomain(inputs, domainInputs(inputs).type!),
      ...validateWaitForIp(inputs),
      ...validateMetadata(inputs),
      ...validateDiskPaths(inputs),
      ...validateNicMacs(inputs),
    ];
  },

  async create(lv, p) {
    const who = label(p);
    const type = await resolveType(lv, domainInputs(p).type!, who);
    const failures = [...validateDomain(p, type), ...validateWaitForIp(p), ...validateMetadata(p), ...validateDiskPaths(p), ...validateNicMacs(p)];
    if (failures.length > 0) throw new ResourceInputError(`${who}: ${failures.map((f) => f.reason).join("; ")}`);
    let dom = await orNull(lv.domains.lookupByName(domainInputs(p).name));
    const formats = await volumeFormats(lv, p);
    const mark = uuidMark("domain", p);
    if (dom !== null) {
      const ours = mark.ours(uuidString(dom.uuid));
      if (!ours && p["adopt"] !== true)
        throw new ResourceInputError(
          `${who}: a domain named "${String(p["name"])}" already exists on ${lv.uri}; set adopt: true to manage it, or choose another name`,
        );
      // Ours: an earlier create of this resource was interrupted after defining it. Resume: same path as adopt.
      if (ours) report(`${who}: resuming an interrupted create: the domain on the host carries this resource's mark`);
      const model = toModel(p, type, formats, uuidString(dom.uuid));
      dom = await lv.domains.defineXML(applyDomainXml(await lv.domains.getXMLDesc(dom, XML_CONFIG), model), DomainDefineFlags.VALIDATE);
      await ensureHotplugSlots(lv, dom, hotplugSlots(p), type);
    } else {
      dom = await lv.domains.defineXML(buildDomainXml(toModel(p, type, formats, mark.uuid)), DomainDefineFlags.VALIDATE);
      try {
        // q35: free PCIe root ports, so disks and NICs can be hot-plugged later (hotplugSlots).
        await ensureHotplugSlots(lv, dom, hotplugSlots(p), type);
        await lv.domains.setAutostart(dom, p["autostart"] === true);
        const target = powerTarget(p);
        if (target !== "shutoff") dom = await lv.domains.create(dom, target === "paused" ? DomainCreateFlags.START_PAUSED : 0);
      } catch (e) {
        // The domain holds no data of its own (its disks are separate volumes): undo the definition.
        const defined = dom;
        const u = await undo(() =>
          lv.domains
            .undefine(defined, DomainUndefineFlags.NVRAM)
            .catch((e2) => (e2 instanceof InvalidArgumentError ? lv.domains.undefine(defined) : Promise.reject(e2))),
        );
        const left =
          mark.uuid !== undefined
            ? "it is left defined on the host, and the next up resumes it (it carries this resource's mark)"
            : `it is left defined on the host: remove it (virsh undefine ${String(p["name"])}) or set adopt: true`;
        throw new Error(`${who}: defined but could not be started, so ${undoOutcome(u, "its definition was removed again", left)}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      return created(lv, dom, p, type);
    }
    await lv.domains.setAutostart(dom, p["autostart"] === true);
    dom = await bringToPower(lv, dom, await powerNow(lv, dom), powerTarget(p), setting(p, "shutdownTimeout"));
    return created(lv, dom, p, type);
  },

  async read(lv, id, props) {
    const dom = await orNull(lv.domains.lookupByUUID(id));
    if (dom === null) return null;
    const outs = await observe(lv, dom, props);
    const addresses = await addressesNow(lv, dom, props, outs["running"] === true);
    return addresses === undefined ? outs : { ...outs, addresses };
  },

  async update(lv, id, p, olds, news) {
    const dom = await lv.domains.lookupByUUID(id);
    try {
      return await applyUpdate(lv, dom, id, p, olds, news);
    } catch (e) {
      // Whatever was done before the failure stays done (a redefined config, a device plugged): the state must
      // describe the host, so the outputs are read back and returned with the error (Pulumi's partial failure:
      // the engine records them and the next up updates again). Unreadable: the plain error.
      const outs = await observe(lv, dom, news).catch(() => undefined);
      if (outs === undefined) throw e;
      const msg = (e as Error).message ?? String(e);
      throw new PartialUpdateError(msg, id, { ...outs, ...(olds["resolvedType"] !== undefined ? { resolvedType: olds["resolvedType"] } : {}) }, [msg]);
    }
  },

  async delete(lv, id, props) {
    const dom = await orNull(lv.domains.lookupByUUID(id));
    if (dom === null) return;
    const timeout = setting(props, "shutdownTimeout");
    if (timeout > 0 && (await lv.domains.isActive(dom))) {
      report(
        `${label(props)}: asking the guest to shut down (ACPI power button) and waiting up to ${timeout} s for it to power off, then forcing it off. ` +
          `A guest that ignores ACPI (no OS, no acpid) always takes the whole ${timeout} s: set shutdownTimeout lower (0 forces it off at once) and run up before destroying`,
      );
    }
    try {
      const how = await shutdownGracefully(lv, dom, timeout);
      if (how === "forced" && timeout > 0) report(`${label(props)}: did not power off within ${timeout} s: forced off`);
    } catch (e) {
      // A transient domain (undefined behind the stack while running) is gone once it stops: deleted.
      if (isNotFound(e)) return;
      throw e;
    }
    if (props["snapshotsOnDelete"] === "delete") await deleteSnapshots(lv, dom, label(props));
    const nvram = props["keepNvram"] === true ? DomainUndefineFlags.KEEP_NVRAM : DomainUndefineFlags.NVRAM;
    const flags = DomainUndefineFlags.MANAGED_SAVE | DomainUndefineFlags.SNAPSHOTS_METADATA | DomainUndefineFlags.CHECKPOINTS_METADATA;
    // Drivers refuse the flags they do not know (INVALID_ARG): the test driver takes only MANAGED_SAVE and
    // SNAPSHOTS_METADATA, libxl only MANAGED_SAVE. Fall back step by step.
    const tries = [flags | nvram, flags, DomainUndefineFlags.MANAGED_SAVE | DomainUndefineFlags.SNAPSHOTS_METADATA, DomainUndefineFlags.MANAGED_SAVE];
    for (const [i, f] of tries.entries()) {
      try {
        await lv.domains.undefine(dom, f);
        return;
      } catch (e) {
        if (isNotFound(e)) return; // gone at shutdown (transient): nothing left to undefine
        if (!(e instanceof InvalidArgumentError) || i === tries.length - 1) throw e;
      }
    }
  },
});

/** virt:Domain. `type: "auto"` in the inputs and the type it resolved to are the same thing: no replace. */
export const domain: ResourceImpl = {
  ...base,
  async diff(id, oldState, news) {
    const olds = withPowerState(oldState);
    const resolved = olds["resolvedType"];
    const same = (a: unknown, b: unknown) => a === b || (a === "auto" && b === resolved) || (b === "auto" && a === resolved);
    const n = same(olds["type"], news["type"]) ? { ...news, type: olds["type"] } : news;
    const who = `virt:Domain ${String(news["name"])}`;
    const moving = await migrationDiff(base, id, olds, n, who);
    if (moving !== undefined) return moving;
    const d = await base.diff(id, olds, n);
    let changes = d.changes;
    // A revert to a snapshot the domain does not have fails the preview.
    if (d.replaces.length === 0) await checkRevert(id, olds, news, who);
    // Made transient behind the stack (refresh read persistent: false): up defines it again.
    if (olds["persistent"] === false) {
      report(`${who}: has no saved definition (made transient behind the stack): up defines it again from the declared inputs`);
      changes = true;
    }
    // What only the host can tell: a volume replaced under the domain (its format changed), and hot-plugs that
    // will not fit. Never fails the diff.
    if (d.replaces.length === 0 && id !== "") {
      const notes = await hostNotes(id, olds, news).catch(() => ({ lines: [] as string[], changes: false }));
      for (const l of notes.lines) report(`${who}: ${l}`);
      changes ||= notes.changes;
    }
    // Saved changes waiting for a restart are applied now when the policy becomes "restart".
    const pending = (olds["pendingRestart"] as string[] | undefined) ?? [];
    if (!changes && news["restartPolicy"] === "restart" && powerTarget(news) === "running" && pending.length > 0) {
      report(`${who}: restarts to apply ${pending.join(", ")} (restartPolicy restart)`);
      changes = true;
    }
    return { ...d, changes };
  },

  async update(id, oldState, news) {
    const olds = withPowerState(oldState);
    return (await migrateThenUpdate(base, id, olds, news)) ?? base.update(id, olds, news);
  },
};

/**
 * A state written before powerState existed has only `running` (and read it as false for a paused domain):
 * powerState is filled from it, so the first plan after the upgrade compares like with like.
 */
function withPowerState(olds: Props): Props {
  return olds["powerState"] !== undefined ? olds : { ...olds, powerState: powerTarget(olds) };
}

/**
 * Plan lines that need the host: volume disks whose volume now has another format than the domain's config says
 * (the volume was replaced: the disk follows, an update), and, for a running q35 domain, disks and NICs to
 * hot-plug beyond its free PCIe root ports (they wait for the next start).
 */
async function hostNotes(id: string, olds: Props, news: Props): Promise<{ lines: string[]; changes: boolean }> {
  const lines: string[] = [];
  let changes = false;
  const disks = domainInputs(news).disks ?? [];
  const volumeDisks = disks.some((d) => d.volume !== undefined && d.format === undefined && !containsUnknown(d));
  const plugs = addedDevices(olds, news);
  if (!volumeDisks && (plugs.length === 0 || olds["running"] !== true)) return { lines, changes };
  const uri = stateUri(olds);
  const lv = await connect(uri);
  const dom = await lv.domains.lookupByUUID(id);
  if (volumeDisks) {
    const config = parseDomainXml(await lv.domains.getXMLDesc(dom, XML_CONFIG));
    for (const s of staleFormats(config, await volumeFormatsKnown(lv, news))) {
      lines.push(
        `disk ${s.target}: its volume ${s.volume} is now ${s.actual} but the config says ${s.saved} (the volume was replaced): the disk follows, format ${s.saved} → ${s.actual} (saved in the config; takes effect at the next start)`,
      );
      changes = true;
    }
  }
  if (plugs.length > 0 && (await lv.domains.isActive(dom))) {
    const free = freeRootPorts(await lv.domains.getXMLDesc(dom, DomainXMLFlags.SECURE));
    const pci = plugs.filter((x) => x.pci);
    if (free !== undefined && pci.length > free) {
      lines.push(
        `${pci.length} PCI device${pci.length === 1 ? "" : "s"} to hot-plug (${pci.map((x) => x.name).join(", ")}) but only ${free} free PCIe root port${free === 1 ? "" : "s"}: ` +
          `${pci.length - free} will not fit and wait in the config for the next start (raise hotplugSlots, applied at the next start)`,
      );
    }
  }
  return { lines, changes };
}

/** Disks and NICs the new inputs add, and whether each takes a PCI slot (virtio disks, NICs). */
function addedDevices(olds: Props, news: Props): { name: string; pci: boolean }[] {
  const oldDisks = new Set((domainInputs(olds).disks ?? []).map((d) => d.target));
  const oldNics = new Set((domainInputs(olds).networkInterfaces ?? []).map((n) => n.mac?.toLowerCase()));
  const out: { name: string; pci: boolean }[] = [];
  for (const d of domainInputs(news).disks ?? []) {
    if (oldDisks.has(d.target)) continue;
    const bus = d.bus ?? defaultBus(d, String(olds["resolvedType"] ?? news["type"]));
    out.push({ name: `disk ${String(d.target)}`, pci: bus === "virtio" });
  }
  for (const nic of domainInputs(news).networkInterfaces ?? []) {
    if (typeof nic.mac === "string" && oldNics.has(nic.mac.toLowerCase())) continue;
    out.push({ name: `interface ${containsUnknown(nic.mac) ? "(new)" : String(nic.mac)}`, pci: nic.model !== "usb-net" });
  }
  return out;
}

export { domainSpec } from "./spec";
