/**
 * virt:Domain, reading: what the host has (outputs, pending changes, stale formats, NICs without their network)
 * and the outputs of a created domain.
 */
import { DomainRef, DomainXMLFlags, Libvirt, toSafeNumber, uuidString } from "../../libvirt";
import { domainInputs } from "./inputs";
import { plan } from "../../diff";
import { DomainModel, parseDomainXml, parseVolumeXml } from "../../xml";
import { PartialCreateError, Props, report } from "../provider";
import { orNull } from "../specs";

import { DiskFormats, readBack } from "./model";
import { powerStateOf, powerTarget, powerWords, stateName } from "./power";
import { domainSpec } from "./spec";
import { currentAddresses, matchAddresses, NicAddresses, nicsToWaitFor, waitForAddresses, WaitForIpTimeout, waitSpec } from "./waitip";

export const XML_CONFIG = DomainXMLFlags.INACTIVE | DomainXMLFlags.SECURE;
export const label = (p: Props) => `virt:Domain ${String(p["name"])}`;

/** Formats of volume disks that did not say theirs (libvirt does not probe formats). */
export async function volumeFormats(lv: Libvirt, p: Props): Promise<DiskFormats> {
  const out: DiskFormats = {};
  for (const d of domainInputs(p).disks ?? []) {
    if (d.volume === undefined || d.format !== undefined) continue;
    const pool = await lv.pools.lookupByName(d.volume.pool);
    const format = parseVolumeXml(await lv.volumes.getXMLDesc(await lv.volumes.lookupByName(pool, d.volume.volume))).format;
    // A dir pool reports an ISO image (e.g. a CloudInitDisk seed) as format "iso", which QEMU refuses: its bytes are raw.
    out[d.target!] = format === "iso" ? "raw" : format;
  }
  return out;
}

/** Like {@link volumeFormats}, but a volume that cannot be read (gone, pool stopped) is left out instead of failing. */
export async function volumeFormatsKnown(lv: Libvirt, p: Props): Promise<DiskFormats> {
  const out: DiskFormats = {};
  for (const d of domainInputs(p).disks ?? []) {
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
export function staleFormats(config: DomainModel, formats: DiskFormats): { target: string; volume: string; saved: string; actual: string }[] {
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
    disks: (domainInputs(declared).disks ?? []).map((d) => ({ ...d, format: d.format ?? "?" })),
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
export async function observe(lv: Libvirt, dom: DomainRef, declared: Props): Promise<Props> {
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
    const disk = domainInputs(shape).disks?.find((d) => d.target === s.target);
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

/** Outputs of a created domain; with waitForIp (and running), only once every NIC has an address. */
export async function created(lv: Libvirt, dom: DomainRef, p: Props, type: string): Promise<{ id: string; outs: Props }> {
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
export async function addressesNow(lv: Libvirt, dom: DomainRef, p: Props, running: boolean): Promise<NicAddresses[] | undefined> {
  if (waitSpec(p) === undefined) return undefined;
  if (!running) return matchAddresses(nicsToWaitFor(p, waitSpec(p)!.source), []);
  return currentAddresses(lv, dom, p);
}
