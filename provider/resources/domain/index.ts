import {
  DeviceModifyFlags, DomainDefineFlags, DomainMetadataType, DomainRef, DomainState, DomainUndefineFlags, DomainXMLFlags, Impact, InvalidArgumentError,
  Libvirt, LibvirtError, OperationInvalidError, toSafeNumber, uuidString,
} from "../../libvirt";
import { plan, planDomainOps } from "../../diff";
import { applyDomainXml, buildDomainXml, deviceXml, DomainDisk, DomainModel, parseDomainXml, parseVolumeXml } from "../../xml";
import { PartialCreateError, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { makeResource } from "../resource";
import { undo, undoOutcome, whileDomainLocked } from "../retry";
import { uuidMark } from "../ownership";
import { orNull } from "../specs";
import { resolveType } from "./accel";
import { DiskInput, fillIdentities, validateDomain } from "./inputs";
import { applyMetadataOps, validateMetadata } from "./metadata";
import { validateNicMacs } from "./validate-nics";
import { validateDiskPaths } from "./validate-paths";
import { DiskFormats, readBack, toModel } from "./model";
import { shutdownGracefully, stateName, waitDetached } from "./power";
import { domainSpec } from "./spec";
import { currentAddresses, matchAddresses, NicAddresses, nicsToWaitFor, validateWaitForIp, waitForAddresses, WaitForIpTimeout, waitSpec } from "./waitip";

export { hostAccelerator, resolveType } from "./accel";

const XML_CONFIG = DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE;
const label = (p: Props) => `virt:Domain ${String(p["name"])}`;

/** Formats of volume disks that did not say theirs (libvirt does not probe formats). */
async function volumeFormats(lv: Libvirt, p: Props): Promise<DiskFormats> {
  const out: DiskFormats = {};
  for (const d of (p["disks"] as DiskInput[] | undefined) ?? []) {
    if (d.volume === undefined || d.format !== undefined) continue;
    const pool = await lv.pools.lookupByName(d.volume.pool);
    const format = parseVolumeXml(await lv.volumes.getXMLDesc(await lv.volumes.lookupByName(pool, d.volume.volume))).format;
    // A dir pool reports an ISO image (e.g. a CloudInitDisk seed) as format "iso", which QEMU refuses: its bytes are raw.
    out[d.target!] = format === "iso" ? "raw" : format;
  }
  return out;
}

/** Computed outputs, and the persistent config read back in the input shape. About 6 RPC calls, concurrent. */
async function observe(lv: Libvirt, dom: DomainRef, declared: Props): Promise<Props> {
  const [state, info, autostart, configXml, liveXml] = await Promise.all([
    lv.domains.getState(dom),
    lv.domains.getInfo(dom),
    lv.domains.getAutostart(dom),
    lv.domains.getXMLDesc(dom, XML_CONFIG),
    lv.domains.getXMLDesc(dom, DomainXMLFlags.SECURE),
  ]);
  const running = state.state !== DomainState.SHUTOFF && state.state !== DomainState.CRASHED;
  const config = parseDomainXml(configXml);
  const live = parseDomainXml(liveXml);
  const shape = readBack(config, declared);
  // What is saved but not yet in effect: config-class properties that differ between the live and saved XML.
  const pendingRestart = running
    ? plan(domainSpec.inputs, readBack(live, declared), shape).changes.filter((c) => c.how === "config").map((c) => c.path)
    : [];
  // A paused domain (virsh suspend) is not running: reported as such, so a refresh shows it (this provider does
  // not pause or resume domains; `state` says "paused").
  const paused = state.state === DomainState.PAUSED;
  if (paused) {
    report(`${label(declared)}: is paused (not running): its vCPUs are stopped; resume it with virsh resume ${String(declared["name"])} (pulumi-virt does not pause or resume domains)`);
  }
  return {
    ...shape,
    autostart,
    running: running && !paused,
    uuid: uuidString(dom.uuid),
    domainId: live.id ?? -1,
    state: stateName(state.state),
    macs: (config.devices.interfaces ?? []).map((n) => n.mac?.toLowerCase()),
    graphicsPort: live.devices.graphics?.[0]?.livePort ?? -1,
    pendingRestart,
    actualMemory: toSafeNumber(info.memoryKiB, "memory") * 1024,
    networkProblems: await networkProblems(lv, config, declared),
  };
}

/**
 * NICs on a libvirt network that is gone or stopped (deleted behind the domain's back: the NIC has no link
 * until the network is back and the NIC reattached). Reported in `networkProblems` and as a line, so a refresh
 * shows it.
 */
async function networkProblems(lv: Libvirt, config: DomainModel, declared: Props): Promise<string[]> {
  const out: string[] = [];
  for (const nic of config.devices.interfaces ?? []) {
    if (nic.type !== "network") continue;
    const name = nic.network;
    const net = await orNull(lv.networks.lookupByName(name));
    const why = net === null ? "no longer exists" : (await lv.networks.isActive(net)) ? undefined : "is not running";
    if (why !== undefined) out.push(`${nic.mac?.toLowerCase() ?? "(no mac)"}: network ${name} ${why}`);
  }
  if (out.length > 0) report(`${label(declared)}: NICs without their network (no link): ${out.join("; ")}`);
  return out;
}

const base = makeResource({
  spec: domainSpec,
  deleteBeforeReplace: true,
  validate(inputs, olds) {
    fillIdentities(inputs, olds, inputs["type"] as string);
    return [...validateDomain(inputs, inputs["type"] as string), ...validateWaitForIp(inputs), ...validateMetadata(inputs), ...validateDiskPaths(inputs), ...validateNicMacs(inputs)];
  },

  async create(lv, p) {
    const who = label(p);
    const type = await resolveType(lv, p["type"] as string, who);
    const failures = [...validateDomain(p, type), ...validateWaitForIp(p), ...validateMetadata(p), ...validateDiskPaths(p), ...validateNicMacs(p)];
    if (failures.length > 0) throw new ResourceInputError(`${who}: ${failures.map((f) => f.reason).join("; ")}`);
    let dom = await orNull(lv.domains.lookupByName(p["name"] as string));
    const formats = await volumeFormats(lv, p);
    const mark = uuidMark("domain", p);
    if (dom !== null) {
      const ours = mark.ours(uuidString(dom.uuid));
      if (!ours && p["adopt"] !== true) throw new ResourceInputError(`${who}: a domain named "${String(p["name"])}" already exists on ${lv.uri}; set adopt: true to manage it, or choose another name`);
      // Ours: an earlier create of this resource was interrupted after defining it. Resume: same path as adopt.
      if (ours) report(`${who}: resuming an interrupted create: the domain on the host carries this resource's mark`);
      const model = toModel(p, type, formats, uuidString(dom.uuid));
      dom = await lv.domains.defineXML(applyDomainXml(await lv.domains.getXMLDesc(dom, XML_CONFIG), model), DomainDefineFlags.VALIDATE);
    } else {
      dom = await lv.domains.defineXML(buildDomainXml(toModel(p, type, formats, mark.uuid)), DomainDefineFlags.VALIDATE);
      try {
        await lv.domains.setAutostart(dom, p["autostart"] === true);
        if (p["running"] !== false) dom = await lv.domains.create(dom);
      } catch (e) {
        // The domain holds no data of its own (its disks are separate volumes): undo the definition.
        const defined = dom;
        const u = await undo(() => lv.domains.undefine(defined, DomainUndefineFlags.NVRAM).catch((e2) => (e2 instanceof InvalidArgumentError ? lv.domains.undefine(defined) : Promise.reject(e2))));
        const left = mark.uuid !== undefined ? "it is left defined on the host, and the next up resumes it (it carries this resource's mark)" : `it is left defined on the host: remove it (virsh undefine ${String(p["name"])}) or set adopt: true`;
        throw new Error(`${who}: defined but could not be started, so ${undoOutcome(u, "its definition was removed again", left)}: ${(e as Error).message}`, { cause: e });
      }
      return created(lv, dom, p, type);
    }
    await lv.domains.setAutostart(dom, p["autostart"] === true);
    if (p["running"] !== false && !(await lv.domains.isActive(dom))) dom = await lv.domains.create(dom);
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
    const who = label(news);
    const type = (olds["resolvedType"] as string | undefined) ?? (await resolveType(lv, news["type"] as string, who));
    let dom = await lv.domains.lookupByUUID(id);
    const ops = planDomainOps(p, news);
    const running = await lv.domains.isActive(dom);
    // The live XML carries the aliases a detach names; fetched only when something is to be detached.
    const detaching = running && ops.live.some((o) => o.kind === "detach");
    const before = detaching ? parseDomainXml(await lv.domains.getXMLDesc(dom, DomainXMLFlags.SECURE)) : undefined;
    let model: DomainModel | undefined;
    if (ops.redefine) {
      model = toModel(news, type, await volumeFormats(lv, news), id);
      const previousExtraDevices = (olds["extraDevices"] as string[] | undefined) ?? [];
      await lv.domains.defineXML(applyDomainXml(await lv.domains.getXMLDesc(dom, XML_CONFIG), model, { previousExtraDevices }), DomainDefineFlags.VALIDATE);
    }
    await applyMetadataOps(lv, dom, ops.metadata, running);
    const lateConfig: string[] = [];
    // After a redefinition the ops only touch the running domain; without one they persist the change themselves.
    const persist = !ops.redefine;
    const flags = (running ? Impact.LIVE : 0) | (persist ? Impact.CONFIG : 0);
    if (flags !== 0) {
      for (const op of ops.live) {
        if (op.kind !== "setMemory" && op.kind !== "setVcpus" && op.kind !== "setMetadata" && (!running || model === undefined)) continue;
        switch (op.kind) {
          case "setMemory":
            // No balloon device: the new size is saved and takes effect at the next boot.
            await liveOrLater((f) => lv.domains.setMemoryFlags(dom, Math.floor(op.bytes / 1024), f), flags, (e) => e instanceof OperationInvalidError, () => lateConfig.push("currentMemory"));
            break;
          case "setVcpus":
            // vCPU hot-unplug fails on i440fx without guest support: saved for the next boot, not an error.
            await liveOrLater((f) => lv.domains.setVcpusFlags(dom, op.count, f), flags, (e) => e instanceof LibvirtError, () => lateConfig.push("vcpus"));
            break;
          case "setMetadata":
            await liveOrLater((f) => lv.domains.setMetadata(dom, op.field === "title" ? DomainMetadataType.TITLE : DomainMetadataType.DESCRIPTION, op.value ?? null, f), flags, () => false, () => undefined);
            break;
          case "attach":
            await lv.domains.attachDevice(dom, deviceXml(op.device, findModelDevice(model!, op.device, op.key) as never), DeviceModifyFlags.LIVE);
            break;
          case "detach": {
            const dev = before !== undefined ? findModelDevice(before, op.device, op.key) : undefined;
            if (dev === undefined) break; // not in the running domain
            await lv.domains.detachDevice(dom, deviceXml(op.device, dev as never, { detach: true }), DeviceModifyFlags.LIVE);
            await waitDetached(lv, dom, op.device, op.key, who, ((news["hotplugTimeout"] as number | undefined) ?? 30) * 1000);
            break;
          }
          case "updateDevice": {
            const dev = op.device === "graphics" ? model!.devices.graphics?.[0] : findModelDevice(model!, op.device, op.key);
            if (dev === undefined) break;
            if (op.device === "disk") {
              // A media change. libvirt ignores one to the same path (a replaced seed keeps its path, only its
              // revision changes), so the drive is emptied first and QEMU then opens the new image. FORCE: a guest
              // that mounted the disc has locked the tray, and the declared media wins.
              const disk = dev as DomainDisk;
              const force = DeviceModifyFlags.LIVE | DeviceModifyFlags.FORCE;
              await lv.domains.updateDevice(dom, deviceXml("disk", { ...disk, source: { type: "file" } }), force);
              await lv.domains.updateDevice(dom, deviceXml("disk", disk), force);
            } else await lv.domains.updateDevice(dom, deviceXml(op.device, dev as never), DeviceModifyFlags.LIVE);
            break;
          }
        }
      }
    }
    if (ops.autostart !== undefined) await lv.domains.setAutostart(dom, ops.autostart);
    const timeout = (news["shutdownTimeout"] as number | undefined) ?? 60;
    const waiting = (olds["pendingRestart"] as string[] | undefined) ?? [];
    let started = false;
    if (ops.running === false && running) await shutdownGracefully(lv, dom, timeout);
    else if (ops.running === true && !running) {
      dom = await whileDomainLocked(() => lv.domains.create(dom));
      started = true;
    } else if (running && news["running"] !== false && (ops.pending.length > 0 || lateConfig.length > 0 || waiting.length > 0)) {
      const what = [...new Set([...waiting, ...ops.pending, ...lateConfig])].join(", ");
      if (news["restartPolicy"] === "restart") {
        report(`${who}: restarting to apply ${what} (graceful shutdown, up to ${timeout} s)`);
        await shutdownGracefully(lv, dom, timeout);
        // Xen: libxl may still hold the domain's lock while it tears the stopped guest down.
        dom = await whileDomainLocked(() => lv.domains.create(dom));
        started = true;
      } else {
        report(`${who}: saved, takes effect at the next start: ${what}`);
      }
    }
    // A (re)started domain: the update completes when its NICs have addresses (waitForIp). A timeout leaves
    // the domain as it is (running, new config) and fails the update, naming the interface.
    if (started) {
      const addresses = await waitForAddresses(lv, dom, news, who);
      const outs = await observe(lv, dom, news);
      return addresses === undefined ? outs : { ...outs, addresses };
    }
    const outs = await observe(lv, dom, news);
    const addresses = await addressesNow(lv, dom, news, outs["running"] === true);
    return addresses === undefined ? outs : { ...outs, addresses };
  },

  async delete(lv, id, props) {
    const dom = await orNull(lv.domains.lookupByUUID(id));
    if (dom === null) return;
    const timeout = (props["shutdownTimeout"] as number | undefined) ?? 60;
    if (timeout > 0 && (await lv.domains.isActive(dom))) {
      report(
        `${label(props)}: asking the guest to shut down (ACPI power button) and waiting up to ${timeout} s for it to power off, then forcing it off. ` +
          `A guest that ignores ACPI (no OS, no acpid) always takes the whole ${timeout} s: set shutdownTimeout lower (0 forces it off at once) and run up before destroying`,
      );
    }
    await shutdownGracefully(lv, dom, timeout);
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
        if (!(e instanceof InvalidArgumentError) || i === tries.length - 1) throw e;
      }
    }
  },
});

/** Outputs of a created domain; with waitForIp (and running), only once every NIC has an address. */
async function created(lv: Libvirt, dom: DomainRef, p: Props, type: string): Promise<{ id: string; outs: Props }> {
  const id = uuidString(dom.uuid);
  let addresses: NicAddresses[] | undefined;
  try {
    addresses = p["running"] !== false ? await waitForAddresses(lv, dom, p, label(p)) : await addressesNow(lv, dom, p, false);
  } catch (e) {
    if (!(e instanceof WaitForIpTimeout)) throw e;
    // The domain exists and runs: Pulumi records it (not an orphan), and the create fails with the reason.
    const outs = await observe(lv, dom, p).catch(() => ({}));
    throw new PartialCreateError(e.message, id, { ...outs, resolvedType: type, addresses: e.addresses });
  }
  const outs = await observe(lv, dom, p);
  return { id, outs: { ...outs, resolvedType: type, ...(addresses !== undefined ? { addresses } : {}) } };
}

/** With waitForIp declared: the addresses now, never waiting (one call when running, none when shut off); else undefined. */
async function addressesNow(lv: Libvirt, dom: DomainRef, p: Props, running: boolean): Promise<NicAddresses[] | undefined> {
  if (waitSpec(p) === undefined) return undefined;
  if (!running) return matchAddresses(nicsToWaitFor(p, waitSpec(p)!.source), []);
  return currentAddresses(lv, dom, p);
}

/**
 * A live+config (or config-only) call; when its live half is refused for a reason `later` accepts (the guest
 * lacks support), the config alone is saved (if it was asked for) and `deferred` notes it for the next boot.
 */
async function liveOrLater(call: (flags: number) => Promise<unknown>, flags: number, later: (e: unknown) => boolean, deferred: () => void): Promise<void> {
  const both = Impact.LIVE | Impact.CONFIG;
  try {
    await call(flags);
  } catch (e) {
    // Some drivers (the test driver's setmem) take LIVE and CONFIG only one at a time.
    if ((flags & both) === both && e instanceof InvalidArgumentError) {
      await call(Impact.CONFIG);
      return liveOrLater(call, Impact.LIVE, later, deferred);
    }
    if ((flags & Impact.LIVE) === 0 || !later(e)) throw e;
    if ((flags & Impact.CONFIG) !== 0) await call(Impact.CONFIG);
    deferred();
  }
}

function findModelDevice(m: DomainModel, kind: "disk" | "interface", key: string): unknown {
  if (kind === "disk") return (m.devices.disks ?? []).find((d) => d.target.dev === key);
  return (m.devices.interfaces ?? []).find((n) => n.mac?.toLowerCase() === key.toLowerCase());
}

/** virt:Domain. `type: "auto"` in the inputs and the type it resolved to are the same thing: no replace. */
export const domain: ResourceImpl = {
  ...base,
  async diff(id, olds, news) {
    const resolved = olds["resolvedType"];
    const same = (a: unknown, b: unknown) => a === b || (a === "auto" && b === resolved) || (b === "auto" && a === resolved);
    const n = same(olds["type"], news["type"]) ? { ...news, type: olds["type"] } : news;
    const d = await base.diff(id, olds, n);
    // Saved changes waiting for a restart are applied now when the policy becomes "restart".
    const pending = (olds["pendingRestart"] as string[] | undefined) ?? [];
    if (!d.changes && news["restartPolicy"] === "restart" && news["running"] !== false && pending.length > 0) {
      report(`virt:Domain ${String(news["name"])}: restarts to apply ${pending.join(", ")} (restartPolicy restart)`);
      return { ...d, changes: true };
    }
    return d;
  },
};

export { domainSpec } from "./spec";
