import { deepEqual, isUnknown, UNKNOWN } from "../../diff";
import { isNotFound, Libvirt, NetworkRef, NetworkUpdateFlags, NetworkXMLFlags, uuidString } from "../../libvirt";
import { applyNetworkXml, buildNetworkXml, canonicalIp, parseNetworkXml } from "../../xml";
import { connect, resolveUri, stateUri } from "../connections";
import { PartialCreateError, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { makeResource } from "../resource";
import { orNull } from "../specs";
import { uuidMark } from "../ownership";
import { undo, undoOutcome } from "../retry";
import { attachedDomains } from "./attached";
import { readBack, toModel } from "./model";
import { networkSpec } from "./spec";
import { describeOp, touchedSections, updateOps } from "./update";
import { canonicalInputs, validateNetwork } from "./validate";
import { lookupHostBridge } from "../host-interfaces";
import type { ConnectionInput, NetworkBridgeInput, NetworkIpInput } from "../shapes";

const label = (p: Props): string => `virt:Network ${String(p["name"])}`;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The inputs read reports, each set (to undefined when libvirt has nothing) so a removal behind our back shows. */
const REPORTED = ["name", "mode", "bridge", "mtu", "domain", "ips", "dnsHosts"] as const;

async function outputs(lv: Libvirt, net: NetworkRef): Promise<Props> {
  return { uuid: uuidString(net.uuid), bridgeName: await lv.networks.getBridgeName(net) };
}

const base = makeResource({
  spec: networkSpec,
  validate: (inputs) => validateNetwork(inputs),
  // Names (and usually bridge names and subnets) are unique on a host: the old network goes first.
  deleteBeforeReplace: true,

  async create(lv, p) {
    const who = label(p);
    const name = p["name"] as string;
    const model = toModel(p);
    let net = await orNull(lv.networks.lookupByName(name));
    const mark = uuidMark("network", p);
    if (net !== null) {
      const ours = mark.ours(uuidString(net.uuid));
      if (!ours && p["adopt"] !== true) {
        throw new ResourceInputError(`${who}: a network named "${name}" already exists on ${lv.uri}; set adopt: true to manage it, or choose another name`);
      }
      // Ours: an earlier create of this resource was interrupted after defining it. Resume: same path as adopt.
      if (ours) report(`${who}: resuming an interrupted create: the network on the host carries this resource's mark`);
      net = await lv.networks.defineXML(applyNetworkXml(await lv.networks.getXMLDesc(net, NetworkXMLFlags.INACTIVE), model));
      const id = uuidString(net.uuid);
      try {
        if (!(await lv.networks.isActive(net))) await lv.networks.create(net);
        else await adoptRunning(lv, net, p, who);
      } catch (e) {
        throw new PartialCreateError(`${who}: adopted and redefined, but starting it failed: ${message(e)}`, id, { ...p, uuid: id });
      }
    } else {
      net = await lv.networks.defineXML(buildNetworkXml(model, mark.uuid));
      try {
        await lv.networks.create(net);
      } catch (e) {
        // Nothing holds data yet: undo the definition so no orphan is left.
        const defined = net;
        const u = await undo(() => lv.networks.undefine(defined));
        const left =
          mark.uuid !== undefined
            ? "it is left defined on the host, and the next up resumes it (it carries this resource's mark)"
            : `it is left defined on the host: remove it (virsh net-undefine ${name}) or set adopt: true`;
        throw new Error(`${who}: could not start the network, so ${undoOutcome(u, "its definition was removed again", left)}: ${message(e)}`, { cause: e });
      }
    }
    const id = uuidString(net.uuid);
    try {
      await lv.networks.setAutostart(net, p["autostart"] !== false);
      return { id, outs: await outputs(lv, net) };
    } catch (e) {
      throw new PartialCreateError(`${who}: created, but setting it up failed: ${message(e)}`, id, { ...p, uuid: id });
    }
  },

  async read(lv, id, props) {
    const net = await orNull(lv.networks.lookupByUUID(id));
    if (net === null) return null;
    const current = readBack(parseNetworkXml(await lv.networks.getXMLDesc(net, NetworkXMLFlags.INACTIVE)), props);
    const out: Props = {};
    for (const k of REPORTED) out[k] = current[k];
    return { ...out, autostart: await lv.networks.getAutostart(net), ...(await outputs(lv, net)) };
  },

  async update(lv, id, plan, _olds, news) {
    const net = await lv.networks.lookupByUUID(id);
    const touched = touchedSections(plan.changes.filter((c) => c.how === "live").map((c) => c.path));
    if (touched.ips.length > 0 || touched.dns) {
      // Live and persistent at once when running (the network is not restarted); the persistent config only when not.
      const flags = (await lv.networks.isActive(net)) ? NetworkUpdateFlags.LIVE | NetworkUpdateFlags.CONFIG : NetworkUpdateFlags.CONFIG;
      const current = parseNetworkXml(await lv.networks.getXMLDesc(net, NetworkXMLFlags.INACTIVE));
      for (const op of updateOps(current, news, touched)) {
        try {
          await lv.networks.update(net, op.command, op.section, op.parentIndex, op.xml, flags);
        } catch (e) {
          throw new Error(`${label(news)}: network update ${describeOp(op)} failed: ${message(e)}`, { cause: e });
        }
      }
    }
    if (plan.changes.some((c) => c.path === "autostart")) await lv.networks.setAutostart(net, news["autostart"] !== false);
    return outputs(lv, net);
  },

  async delete(lv, id, props) {
    const net = await orNull(lv.networks.lookupByUUID(id));
    if (net === null) return; // already gone
    try {
      if (await lv.networks.isActive(net)) {
        // Stopping the network cuts the link of every running domain on it, in this stack or another.
        const attached = await attachedDomains(lv, net.name);
        if (attached.length > 0) {
          if (props["forceDelete"] !== true) {
            throw new ResourceInputError(
              `${label(props)}: not deleted: running domains are attached to it and would lose their link: ${attached.join(", ")}. ` +
                `Shut them down or move their NICs to another network, or set forceDelete: true on the network (and run up) to delete it anyway`,
            );
          }
          report(`${label(props)}: forceDelete: deleting it while running domains are attached; they lose their link: ${attached.join(", ")}`);
        }
        await lv.networks.destroy(net);
      }
      await lv.networks.undefine(net);
    } catch (e) {
      if (!isNotFound(e)) throw e; // a transient network is gone once stopped
    }
  },
});

/**
 * A running network just adopted (its definition already rewritten): what an update applies live — DHCP hosts and
 * ranges of the addresses it keeps, DNS hosts — is applied to the running network too; what only a restart
 * applies (addresses, mode, bridge, MTU, domain) is reported by name.
 */
async function adoptRunning(lv: Libvirt, net: NetworkRef, p: Props, who: string): Promise<void> {
  const live = parseNetworkXml(await lv.networks.getXMLDesc(net, 0));
  const wanted = new Set(((p["ips"] as NetworkIpInput[] | undefined) ?? []).map((ip) => canonicalIp(ip.address)));
  const touched = { ips: (live.ips ?? []).map((ip) => canonicalIp(ip.address)).filter((a) => wanted.has(a)), dns: true };
  const failed: string[] = [];
  for (const op of updateOps(live, p, touched)) {
    try {
      await lv.networks.update(net, op.command, op.section, op.parentIndex, op.xml, NetworkUpdateFlags.LIVE);
    } catch (e) {
      failed.push(`${describeOp(op)}: ${message(e)}`);
    }
  }
  const now = readBack(parseNetworkXml(await lv.networks.getXMLDesc(net, 0)), p);
  const saved = readBack(parseNetworkXml(await lv.networks.getXMLDesc(net, NetworkXMLFlags.INACTIVE)), p);
  const differ = REPORTED.filter((k) => !deepEqual(now[k], saved[k]));
  if (differ.length > 0 || failed.length > 0) {
    const name = String(p["name"]);
    report(
      `${who}: adopted while running: DHCP and DNS hosts were applied to the running network, but it keeps its old ` +
        `${differ.join(", ") || "settings"} until it is restarted (virsh net-destroy ${name}; virsh net-start ${name}), which disconnects attached guests` +
        (failed.length > 0 ? `; not applied live: ${failed.join("; ")}` : ""),
    );
  }
}

/** Reports, before a replacement runs, which running domains it disconnects. Never fails the diff. */
async function reportAttached(olds: Props): Promise<void> {
  const name = String(olds["name"]);
  const uri = stateUri(olds);
  try {
    const names = await attachedDomains(await connect(uri), name);
    report(
      names.length > 0
        ? `virt:Network ${name}: replacing it disconnects the running domains attached to it: ${names.join(", ")}` +
            (olds["forceDelete"] === true ? "" : "; the replacement is refused unless forceDelete is true")
        : `virt:Network ${name}: no running domains are attached, so replacing it disconnects none`,
    );
  } catch (e) {
    report(`virt:Network ${name}: replacing it disconnects the running domains attached to it (listing them on ${uri} failed: ${message(e)})`);
  }
}

/**
 * Mode "bridge": the named host bridge must exist on the host and be a bridge, asked when the network is to be
 * made (a new resource, or a changed mode, bridge or host). A host that cannot be asked adds no failure.
 */
async function hostBridgeFailure(olds: Props, inputs: Props): Promise<{ property: string; reason: string } | undefined> {
  const name = (inputs["bridge"] as NetworkBridgeInput | undefined)?.name;
  const conn = inputs["connection"] as ConnectionInput | undefined;
  if (inputs["mode"] !== "bridge" || typeof name !== "string" || isUnknown(name) || isUnknown(conn) || isUnknown(conn?.uri)) return undefined;
  const uri = resolveUri(conn);
  const same =
    olds["mode"] === "bridge" && (olds["bridge"] as NetworkBridgeInput | undefined)?.name === name && (olds["uri"] === undefined || olds["uri"] === uri);
  if (same) return undefined;
  const problem = await lookupHostBridge(uri, name);
  return problem === undefined ? undefined : { property: "bridge.name", reason: `${label(inputs)}: ${problem}` };
}

/** virt:Network: the generic resource, plus canonical addresses after check and the attached domains in a replace plan. */
export const network: ResourceImpl = {
  ...base,
  async check(olds, news) {
    const r = await base.check(olds, news);
    if (r.failures.length > 0) return r;
    const hostBridge = await hostBridgeFailure(olds, r.inputs);
    return hostBridge !== undefined ? { inputs: r.inputs, failures: [hostBridge] } : { inputs: canonicalInputs(r.inputs), failures: [] };
  },
  async diff(id, olds, news) {
    const d = await base.diff(id, olds, news);
    if (d.replaces.length > 0) await reportAttached(olds);
    // forceDelete acts at delete, which reads it from the state: a change alone is recorded by an update.
    const force = (v: unknown) => v === true;
    if (!d.changes && news["forceDelete"] !== UNKNOWN && force(olds["forceDelete"]) !== force(news["forceDelete"])) {
      report(`${label(news)}: forceDelete ${force(olds["forceDelete"])} → ${force(news["forceDelete"])} (recorded for delete)`);
      return { ...d, changes: true };
    }
    return d;
  },
};

export { networkSpec } from "./spec";
export { attachedDomains, usesNetwork } from "./attached";
export { readBack, toModel } from "./model";
export { describeOp, touchedSections, updateOps } from "./update";
export type { UpdateOp, Touched } from "./update";
export { canonicalInputs, subnetOf, validateNetwork } from "./validate";
