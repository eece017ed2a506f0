/**
 * virt:Domain, updating: the update proper (redefine, live operations in the plan's order, devices hot-plugged
 * and unplugged, power), each step live where the domain runs.
 */
import {
  DeviceModifyFlags,
  DomainCreateFlags,
  DomainDefineFlags,
  DomainMetadataType,
  DomainRef,
  DomainXMLFlags,
  Impact,
  InvalidArgumentError,
  Libvirt,
  LibvirtError,
  OperationInvalidError,
  TypedParam,
  TypedParamType,
} from "../../libvirt";
import { Plan } from "../../diff";
import { DomainOp, planDomainOps } from "./ops";
import { applyDomainXml, deviceXml, DomainDisk, DomainModel, findDevice, parseDomainXml } from "../../xml";
import { Props, report } from "../provider";
import { clock } from "../clock";
import { whileDomainLocked } from "../retry";
import { resolveType } from "./accel";
import { domainInputs, setting } from "./inputs";
import { applyMetadataOps } from "./metadata";
import { toModel } from "./model";
import { PowerState, powerNow, powerTarget, powerWords, shutdownGracefully } from "./power";
import { DeviceRef, deviceGap, deviceName, devicePath, ensureHotplugSlots, freeRootPorts, needsPciSlot } from "./hotplug";
import { HOTPLUG_SLOTS } from "./spec";
import { revertTo } from "./revert";
import { waitForAddresses } from "./waitip";
import { addressesNow, label, observe, staleFormats, volumeFormats, XML_CONFIG } from "./read";

/** The update proper; see the Domain spec's doc for what is applied how. Throws on the first failure it cannot pass. */
export async function applyUpdate(lv: Libvirt, domRef: DomainRef, id: string, p: Plan, olds: Props, news: Props): Promise<Props> {
  let dom = domRef;
  const who = label(news);
  const type = (olds["resolvedType"] as string | undefined) ?? (await resolveType(lv, domainInputs(news).type!, who));
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
    const previousExtraDevices = domainInputs(olds).extraDevices ?? [];
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
export async function bringToPower(lv: Libvirt, dom: DomainRef, now: PowerState, target: PowerState, timeoutSec: number): Promise<DomainRef> {
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

export const hotplugSlots = (p: Props): number => domainInputs(p).hotplugSlots ?? HOTPLUG_SLOTS;

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
