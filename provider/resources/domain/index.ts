import {
  DeviceModifyFlags,
  DomainCreateFlags,
  DomainDefineFlags,
  DomainMetadataType,
  DomainRef,
  DomainUndefineFlags,
  DomainXMLFlags,
  Impact,
  InvalidArgumentError,
  isNotFound,
  Libvirt,
  LibvirtError,
  OperationInvalidError,
  toSafeNumber,
  TypedParam,
  TypedParamType,
  uuidString,
} from "../../libvirt";
import { containsUnknown, Plan, plan } from "../../diff";
import { DomainOp, planDomainOps } from "./ops";
import { applyDomainXml, buildDomainXml, deviceXml, DomainDisk, DomainModel, findDevice, parseDomainXml, parseVolumeXml } from "../../xml";
import { PartialCreateError, PartialUpdateError, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { makeResource } from "../resource";
import { clock } from "../clock";
import { connect, stateUri } from "../connections";
import { undo, undoOutcome, whileDomainLocked } from "../retry";
import { uuidMark } from "../ownership";
import { orNull } from "../specs";
import { resolveType } from "./accel";
import { defaultBus, DiskInput, fillIdentities, NicInput, setting, validateDomain } from "./inputs";
import { applyMetadataOps, validateMetadata } from "./metadata";
import { validateNicMacs } from "./validate-nics";
import { validateDiskPaths } from "./validate-paths";
import { DiskFormats, readBack, toModel } from "./model";
import { normalisePower, PowerState, powerNow, powerStateOf, powerTarget, powerWords, shutdownGracefully, stateName } from "./power";
import { DeviceRef, deviceGap, deviceName, devicePath, ensureHotplugSlots, freeRootPorts, needsPciSlot } from "./hotplug";
import { domainSpec, HOTPLUG_SLOTS } from "./spec";
import { migrateThenUpdate, migrationDiff } from "./migrate";
import { checkRevert, deleteSnapshots, revertTo } from "./revert";
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

/** Like {@link volumeFormats}, but a volume that cannot be read (gone, pool stopped) is left out instead of failing. */
async function volumeFormatsKnown(lv: Libvirt, p: Props): Promise<DiskFormats> {
  const out: DiskFormats = {};
  for (const d of (p["disks"] as DiskInput[] | undefined) ?? []) {
    if (d.volume === undefined || d.format !== undefined || d.target === undefined) continue;
    try {
      Object.assign(out, await volumeFormats(lv, { disks: [d] }));
    } catch {
      // not readable now: nothing to compare
    }
  }
  return out;
}

/**
 * Volume disks whose saved format is not their volume's format any more (the volume was replaced by one of
 * another format, e.g. qcow2 → raw): QEMU would refuse to open the image at the next start. By target dev.
 */
function staleFormats(config: DomainModel, formats: DiskFormats): { target: string; volume: string; saved: string; actual: string }[] {
  const out: { target: string; volume: string; saved: string; actual: string }[] = [];
  for (const d of config.devices.disks ?? []) {
    const actual = formats[d.target.dev];
    const saved = d.driver?.type;
    if (d.source.type !== "volume" || actual === undefined || saved === undefined || saved === actual) continue;
    out.push({ target: d.target.dev, volume: `${d.source.pool}/${d.source.volume}`, saved, actual });
  }
  return out;
}

/**
 * What is saved but not in effect: every difference between the running domain and its saved config, in the
 * input shape — config-class changes waiting for the next boot, a vCPU unplug the guest refused (saved for the
 * next boot), disks and NICs still attached after a failed unplug or not yet plugged. The balloon
 * (currentMemory) is the guest's to follow and custom metadata is written to both at once: neither is compared.
 */
export function pendingChanges(live: DomainModel, config: DomainModel, declared: Props): string[] {
  // Compare formats and NIC models too, although only declared ones are reported as drift.
  const every: Props = {
    ...declared,
    disks: ((declared["disks"] as DiskInput[] | undefined) ?? []).map((d) => ({ ...d, format: d.format ?? "?" })),
    networkInterfaces: ((declared["networkInterfaces"] as Record<string, unknown>[] | undefined) ?? []).map((n) => ({ ...n, model: n["model"] ?? "?" })),
  };
  const { currentMemory: _c, metadata: _m, ...spec } = domainSpec.inputs;
  const out: string[] = [];
  for (const c of plan(spec, readBack(live, every), readBack(config, every)).changes) {
    if (c.added === undefined && c.removed === undefined) out.push(c.path);
    else for (const k of [...(c.removed ?? []), ...(c.added ?? [])]) out.push(`${c.path}[${k}]`);
  }
  return out;
}

/**
 * Computed outputs, and the persistent config read back in the input shape. About 7 RPC calls, concurrent, plus
 * a lookup per volume disk whose format was not declared.
 */
async function observe(lv: Libvirt, dom: DomainRef, declared: Props): Promise<Props> {
  const [state, info, autostart, configXml, liveXml, persistent, formats] = await Promise.all([
    lv.domains.getState(dom),
    lv.domains.getInfo(dom),
    lv.domains.getAutostart(dom),
    lv.domains.getXMLDesc(dom, XML_CONFIG),
    lv.domains.getXMLDesc(dom, DomainXMLFlags.SECURE),
    lv.domains.isPersistent(dom),
    volumeFormatsKnown(lv, declared),
  ]);
  const power = powerStateOf(state.state);
  const running = power !== "shutoff";
  const config = parseDomainXml(configXml);
  const live = parseDomainXml(liveXml);
  const shape = readBack(config, declared);
  // A saved format that is not the volume's (the volume was replaced): reported, so the diff puts it right.
  for (const s of staleFormats(config, formats)) {
    const disk = (shape["disks"] as DiskInput[] | undefined)?.find((d) => d.target === s.target);
    if (disk !== undefined) disk.format = s.saved;
  }
  const pendingRestart = running ? pendingChanges(live, config, declared) : [];
  if (!persistent) {
    report(
      `${label(declared)}: has no saved definition (it was made transient, e.g. virsh undefine while running): it vanishes when it stops; up defines it again from the declared inputs`,
    );
  }
  // Power state behind the stack (virsh suspend, resume, start, shutdown): drift on powerState, which up restores.
  const declaredPower = declared["powerState"] !== undefined || declared["running"] !== undefined ? powerTarget(declared) : undefined;
  if (declaredPower !== undefined && declaredPower !== power) {
    report(`${label(declared)}: is ${powerWords(power)} but declared ${powerWords(declaredPower)}: up brings it back to ${declaredPower}`);
  }
  return {
    ...shape,
    autostart,
    running,
    powerState: power,
    uuid: uuidString(dom.uuid),
    domainId: live.id ?? -1,
    state: stateName(state.state),
    macs: (config.devices.interfaces ?? []).map((n) => n.mac?.toLowerCase()),
    graphicsPort: live.devices.graphics?.[0]?.livePort ?? -1,
    pendingRestart,
    persistent,
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
    return [
      ...normalisePower(inputs, label(inputs)),
      ...validateDomain(inputs, inputs["type"] as string),
      ...validateWaitForIp(inputs),
      ...validateMetadata(inputs),
      ...validateDiskPaths(inputs),
      ...validateNicMacs(inputs),
    ];
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

/** The update proper; see the Domain spec's doc for what is applied how. Throws on the first failure it cannot pass. */
async function applyUpdate(lv: Libvirt, domRef: DomainRef, id: string, p: Plan, olds: Props, news: Props): Promise<Props> {
  let dom = domRef;
  const who = label(news);
  const type = (olds["resolvedType"] as string | undefined) ?? (await resolveType(lv, news["type"] as string, who));
  const ops = planDomainOps(p, news);
  const target = powerTarget(news);
  // A revert first: it brings back the snapshot's disks, memory and saved config; the declared config is then
  // applied again on top (a redefinition) and the declared power state restored below.
  if (ops.revert !== undefined) {
    await revertTo(lv, dom, ops.revert, target, who);
    dom = await lv.domains.lookupByUUID(id);
    ops.redefine = true;
    ops.power ??= target;
  }
  const [running, persistent, configXml] = await Promise.all([lv.domains.isActive(dom), lv.domains.isPersistent(dom), lv.domains.getXMLDesc(dom, XML_CONFIG)]);
  const formats = await volumeFormats(lv, news);
  const stale = staleFormats(parseDomainXml(configXml), formats);
  for (const s of stale) {
    report(
      `${who}: disk ${s.target} follows its volume ${s.volume}, which is now ${s.actual} (the config said ${s.saved}: the volume was replaced); format ${s.saved} → ${s.actual}`,
    );
  }
  if (!persistent) report(`${who}: has no saved definition (made transient behind the stack): defining it again from the declared inputs`);
  const redefine = ops.redefine || !persistent || stale.length > 0;
  const lateConfig: string[] = stale.map((s) => `disks[${s.target}].format`);
  let model: DomainModel | undefined;
  if (redefine) {
    model = toModel(news, type, formats, id);
    const previousExtraDevices = (olds["extraDevices"] as string[] | undefined) ?? [];
    await lv.domains.defineXML(applyDomainXml(configXml, model, { previousExtraDevices }), DomainDefineFlags.VALIDATE);
    const added = await ensureHotplugSlots(lv, dom, hotplugSlots(news), type);
    if (added > 0 && running) lateConfig.push("hotplugSlots");
  }
  await applyMetadataOps(lv, dom, ops.metadata, running);
  // After a redefinition the ops only touch the running domain; without one they persist the change themselves.
  const persist = !redefine;
  const flags = (running ? Impact.LIVE : 0) | (persist ? Impact.CONFIG : 0);
  if (flags !== 0) await runLiveOps(lv, dom, ops.live, flags, running, model, lateConfig, who);
  const powerChange = ops.power !== undefined || ops.running !== undefined;
  let power: PowerState = running ? await powerNow(lv, dom) : "shutoff";
  // Resumed before the devices are synced: a paused guest cannot let a device go.
  if (powerChange && power === "paused" && target === "running") {
    await lv.domains.resume(dom);
    power = "running";
  }
  // Disks and NICs: the running domain is brought to its config — what this plan adds or removes, and what an
  // earlier update could not (an unplug the guest had not acknowledged, a plug that failed). Not while paused.
  if (power === "running" && target !== "shutoff") {
    lateConfig.push(...(await syncDevices(lv, dom, () => (model ??= toModel(news, type, formats, id)), news, who)));
  }
  if (ops.autostart !== undefined) await lv.domains.setAutostart(dom, ops.autostart);
  const timeout = setting(news, "shutdownTimeout");
  const waiting = (olds["pendingRestart"] as string[] | undefined) ?? [];
  let started = false;
  if (powerChange && power !== target) {
    dom = await bringToPower(lv, dom, power, target, timeout);
    started = power === "shutoff" && target === "running";
    power = target;
  } else if (power === "running" && target === "running" && (ops.pending.length > 0 || lateConfig.length > 0 || waiting.length > 0)) {
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
  if (ops.reboot !== undefined) {
    const r = await rebootOnRequest(lv, dom, ops.reboot, power, started, timeout, who);
    dom = r.dom;
    started ||= r.started;
  }
  return finish(lv, dom, news, started, who);
}

/**
 * The update's outputs. A (re)started domain: the update completes when its NICs have addresses (waitForIp); a
 * timeout leaves the domain as it is (running, new config) and fails the update, naming the interface.
 */
async function finish(lv: Libvirt, dom: DomainRef, news: Props, started: boolean, who: string): Promise<Props> {
  if (started) {
    const addresses = await waitForAddresses(lv, dom, news, who);
    const outs = await observe(lv, dom, news);
    return addresses === undefined ? outs : { ...outs, addresses };
  }
  const outs = await observe(lv, dom, news);
  const addresses = await addressesNow(lv, dom, news, outs["running"] === true);
  return addresses === undefined ? outs : { ...outs, addresses };
}

/**
 * The plan's live operations on the domain (flags: LIVE when it runs, CONFIG when no redefinition wrote the
 * config). What the running domain cannot take now is saved and named in `lateConfig` (in effect at the next
 * start). attach and detach are not here: syncDevices brings the devices to the config afterwards.
 */
async function runLiveOps(
  lv: Libvirt,
  dom: DomainRef,
  ops: DomainOp[],
  flags: number,
  running: boolean,
  model: DomainModel | undefined,
  lateConfig: string[],
  who: string,
): Promise<void> {
  for (const op of ops) {
    switch (op.kind) {
      case "setMemory":
        // No balloon device: the new size is saved and takes effect at the next boot.
        await liveOrLater(
          (f) => lv.domains.setMemoryFlags(dom, Math.floor(op.bytes / 1024), f),
          flags,
          (e) => e instanceof OperationInvalidError,
          () => lateConfig.push("currentMemory"),
        );
        break;
      case "setVcpus":
        // vCPU hot-unplug fails on i440fx without guest support: saved for the next boot, not an error.
        await liveOrLater(
          (f) => lv.domains.setVcpusFlags(dom, op.count, f),
          flags,
          (e) => e instanceof LibvirtError,
          () => lateConfig.push("vcpus"),
        );
        break;
      case "setMetadata":
        await liveOrLater(
          (f) => lv.domains.setMetadata(dom, op.field === "title" ? DomainMetadataType.TITLE : DomainMetadataType.DESCRIPTION, op.value ?? null, f),
          flags,
          () => false,
          () => undefined,
        );
        break;
      case "updateDevice": {
        if (!running || model === undefined) break;
        const dev = op.device === "graphics" ? model.devices.graphics?.[0] : findModelDevice(model, op.device, op.key);
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
      case "tune":
        // CONFIG too, after a redefinition: it kept the host's tuning of a row no longer declared.
        await tune(lv, dom, op, flags | Impact.CONFIG, who);
        break;
      default:
        break; // attach and detach: below, from what the running domain and its config really hold
    }
  }
}

/**
 * Brings a domain from its power state `now` to `target`: start (paused when asked), suspend, resume, or a
 * graceful shutdown. Returns the handle (a start gives the domain a new id).
 */
async function bringToPower(lv: Libvirt, dom: DomainRef, now: PowerState, target: PowerState, timeoutSec: number): Promise<DomainRef> {
  if (now === target) return dom;
  if (target === "shutoff") {
    await shutdownGracefully(lv, dom, timeoutSec);
    return dom;
  }
  // Xen: libxl may still hold the domain's lock while it tears a stopped guest down.
  if (now === "shutoff") return whileDomainLocked(() => lv.domains.create(dom, target === "paused" ? DomainCreateFlags.START_PAUSED : 0));
  if (target === "paused") await lv.domains.suspend(dom);
  else await lv.domains.resume(dom);
  return dom;
}

/**
 * A reboot or reset asked for by a change of rebootTrigger / resetTrigger, after the power state is applied. A
 * graceful reboot is an ACPI shutdown (forced after the timeout) and a start; a reset is virDomainReset (same
 * process). Nothing on a domain that cannot take it (shut off; paused for a graceful reboot; just started): said.
 */
async function rebootOnRequest(
  lv: Libvirt,
  dom: DomainRef,
  kind: "graceful" | "reset",
  power: PowerState,
  justStarted: boolean,
  timeoutSec: number,
  who: string,
): Promise<{ dom: DomainRef; started: boolean }> {
  const trigger = kind === "reset" ? "resetTrigger" : "rebootTrigger";
  if (justStarted) {
    report(`${who}: ${trigger} changed, but the domain was just (re)started by this update: not ${kind === "reset" ? "reset" : "rebooted"} again`);
    return { dom, started: false };
  }
  if (kind === "reset" && power !== "shutoff") {
    report(`${who}: reset (resetTrigger changed)`);
    await lv.domains.reset(dom);
    return { dom, started: false };
  }
  if (kind === "graceful" && power === "running") {
    report(`${who}: rebooting (rebootTrigger changed): graceful shutdown, up to ${timeoutSec} s, then start`);
    await shutdownGracefully(lv, dom, timeoutSec);
    return { dom: await whileDomainLocked(() => lv.domains.create(dom)), started: true };
  }
  report(`${who}: ${trigger} changed, but the domain is ${powerWords(power)}: nothing to ${kind === "reset" ? "reset" : "reboot"}; the new value is recorded`);
  return { dom, started: false };
}

const hotplugSlots = (p: Props): number => (typeof p["hotplugSlots"] === "number" ? (p["hotplugSlots"] as number) : HOTPLUG_SLOTS);

/**
 * Unplugs from the running domain every disk and NIC its config no longer has and plugs every one it lacks.
 * Every unplug is asked first, then all are waited for together (one hotplugTimeout); a plug that would find no
 * free PCIe root port (q35) is not tried: it stays in the config for the next start and is returned (pending).
 * Throws, after trying everything else, naming every device that did not go or come.
 */
async function syncDevices(lv: Libvirt, dom: DomainRef, modelOf: () => DomainModel, news: Props, who: string): Promise<string[]> {
  const live = parseDomainXml(await lv.domains.getXMLDesc(dom, DomainXMLFlags.SECURE));
  const config = parseDomainXml(await lv.domains.getXMLDesc(dom, XML_CONFIG));
  const gap = deviceGap(live, config);
  if (gap.unplug.length === 0 && gap.plug.length === 0) return [];
  const failures: string[] = [];
  const asked: DeviceRef[] = [];
  for (const d of gap.unplug) {
    try {
      await lv.domains.detachDevice(dom, deviceXml(d.device, findModelDevice(live, d.device, d.key) as never, { detach: true }), DeviceModifyFlags.LIVE);
      asked.push(d);
    } catch (e) {
      failures.push(`the ${deviceName(d)} could not be unplugged: ${(e as Error).message}`);
    }
  }
  const timeoutMs = setting(news, "hotplugTimeout") * 1000;
  const stayed = await waitAllDetached(lv, dom, asked, timeoutMs);
  if (stayed.length > 0) {
    const names = stayed.map(deviceName);
    failures.push(
      `the ${names.join(" and the ")} ${stayed.length === 1 ? "was" : "were"} asked to detach but the guest has not released ${stayed.length === 1 ? "it" : "them"} ` +
        `after ${Math.round(timeoutMs / 1000)} s (a guest without ACPI hot-plug support never does); ${stayed.length === 1 ? "it is" : "they are"} ` +
        `removed from the config and ${stayed.length === 1 ? "goes" : "go"} at the next restart (listed in pendingRestart); the next up asks again, or shut the domain down`,
    );
  }
  const model = gap.plug.length > 0 ? modelOf() : undefined;
  const busy = new Set(stayed.map((d) => d.key));
  let free = gap.plug.length > 0 ? freeRootPorts(await lv.domains.getXMLDesc(dom, DomainXMLFlags.SECURE)) : undefined;
  const deferred: DeviceRef[] = [];
  for (const d of gap.plug) {
    const dev = findModelDevice(model!, d.device, d.key);
    if (dev === undefined || busy.has(d.key)) continue;
    if (free !== undefined && needsPciSlot(model!, d)) {
      if (free <= 0) {
        deferred.push(d);
        continue;
      }
      free--;
    }
    try {
      await lv.domains.attachDevice(dom, deviceXml(d.device, dev as never), DeviceModifyFlags.LIVE);
    } catch (e) {
      failures.push(`the ${deviceName(d)} could not be hot-plugged: ${(e as Error).message}`);
    }
  }
  if (deferred.length > 0) {
    report(
      `${who}: no free PCIe root port left for the ${deferred.map(deviceName).join(" and the ")}: saved in the config, plugged at the next start ` +
        `(hotplugSlots sets how many free ports a q35 domain keeps for hot-plug; a change applies at the next start)`,
    );
  }
  if (failures.length > 0) throw new Error(`${who}: ${failures.join("; ")}`);
  return deferred.map(devicePath);
}

/** Waits until none of `devices` is in the running domain any more, or the time is up; returns those still there. */
async function waitAllDetached(lv: Libvirt, dom: DomainRef, devices: DeviceRef[], timeoutMs: number): Promise<DeviceRef[]> {
  if (devices.length === 0) return [];
  const c = clock();
  const deadline = c.now() + timeoutMs;
  for (;;) {
    const xml = await lv.domains.getXMLDesc(dom);
    const left = devices.filter((d) => findDevice(xml, d.device, d.key));
    if (left.length === 0 || c.now() > deadline) return left;
    await c.sleep(200);
  }
}

/** Outputs of a created domain; with waitForIp (and running), only once every NIC has an address. */
async function created(lv: Libvirt, dom: DomainRef, p: Props, type: string): Promise<{ id: string; outs: Props }> {
  const id = uuidString(dom.uuid);
  let addresses: NicAddresses[] | undefined;
  try {
    addresses = powerTarget(p) === "running" ? await waitForAddresses(lv, dom, p, label(p)) : await addressesNow(lv, dom, p, false);
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

/** One typed-parameter call (memtune, blkiotune, cputune leaves); a refusal names the properties it was for. */
async function tune(lv: Libvirt, dom: DomainRef, op: Extract<DomainOp, { kind: "tune" }>, flags: number, who: string): Promise<void> {
  const params: TypedParam[] = op.params.map((t) => ({
    field: t.field,
    value: t.type === "uint" ? { type: TypedParamType.UINT, value: t.value } : { type: TypedParamType.ULLONG, value: BigInt(t.value) },
  }));
  const call = { memory: "setMemoryParameters", blkio: "setBlkioParameters", scheduler: "setSchedulerParameters" } as const;
  try {
    await liveOrLater(
      (f) => lv.domains[call[op.family]](dom, params, f),
      flags,
      () => false,
      () => undefined,
    );
  } catch (e) {
    const what = op.params.map((t) => `${t.field}=${t.value}`).join(", ");
    throw new Error(`${who}: ${op.paths.join(", ")}: libvirt refused the live change (${what}): ${(e as Error).message}`, { cause: e });
  }
}

function findModelDevice(m: DomainModel, kind: "disk" | "interface", key: string): unknown {
  if (kind === "disk") return (m.devices.disks ?? []).find((d) => d.target.dev === key);
  return (m.devices.interfaces ?? []).find((n) => n.mac?.toLowerCase() === key.toLowerCase());
}

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
  const disks = (news["disks"] as DiskInput[] | undefined) ?? [];
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
  const oldDisks = new Set(((olds["disks"] as DiskInput[] | undefined) ?? []).map((d) => d.target));
  const oldNics = new Set(((olds["networkInterfaces"] as NicInput[] | undefined) ?? []).map((n) => n.mac?.toLowerCase()));
  const out: { name: string; pci: boolean }[] = [];
  for (const d of (news["disks"] as DiskInput[] | undefined) ?? []) {
    if (oldDisks.has(d.target)) continue;
    const bus = d.bus ?? defaultBus(d, String(olds["resolvedType"] ?? news["type"]));
    out.push({ name: `disk ${String(d.target)}`, pci: bus === "virtio" });
  }
  for (const nic of (news["networkInterfaces"] as NicInput[] | undefined) ?? []) {
    if (typeof nic.mac === "string" && oldNics.has(nic.mac.toLowerCase())) continue;
    out.push({ name: `interface ${containsUnknown(nic.mac) ? "(new)" : String(nic.mac)}`, pci: nic.model !== "usb-net" });
  }
  return out;
}

export { domainSpec } from "./spec";
