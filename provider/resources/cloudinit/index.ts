import { containsUnknown, UNKNOWN } from "../../diff";
import { Libvirt, toSafeNumber, VolRef } from "../../libvirt";
import { buildVolumeXml } from "../../xml";
import { CheckFailure, PartialCreateError, Props, report, ResourceImpl, ResourceInputError } from "../provider";
import { makeResource } from "../resource";
import { undo, undoOutcome, whilePoolBusy } from "../retry";
import { journal } from "../ownership";
import { findPool, orNull } from "../specs";
import { buildSeed, deriveInstanceId, hostnameProblem, instanceIdOf, instanceIdProblem, networkConfigProblem, SeedContent, userDataProblem } from "./seed";
import { cloudInitSpec } from "./spec";

const label = (p: Props): string => `virt:CloudInitDisk ${String(p["name"])}`;
const known = (v: unknown): v is string => typeof v === "string" && v !== UNKNOWN;
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The properties whose change gives the guest a different seed. */
const CONTENT = ["userData", "metaData", "networkConfig"];

function validate(inputs: Props): CheckFailure[] {
  const f: CheckFailure[] = [];
  const add = (property: string, reason: string | undefined) => {
    if (reason !== undefined) f.push({ property, reason });
  };
  if (known(inputs["userData"])) add("userData", userDataProblem(inputs["userData"]));
  if (known(inputs["networkConfig"])) add("networkConfig", networkConfigProblem(inputs["networkConfig"]));
  const md = inputs["metaData"];
  if (isRecord(md)) {
    if (known(md["instanceId"])) add("metaData.instanceId", instanceIdProblem(md["instanceId"]));
    if (known(md["localHostname"])) add("metaData.localHostname", hostnameProblem(md["localHostname"]));
  }
  return f;
}

export function contentOf(p: Props): SeedContent {
  const md = isRecord(p["metaData"]) ? p["metaData"] : {};
  return {
    userData: p["userData"] as string,
    metaData: {
      ...(typeof md["instanceId"] === "string" ? { instanceId: md["instanceId"] } : {}),
      ...(typeof md["localHostname"] === "string" ? { localHostname: md["localHostname"] } : {}),
    },
    ...(typeof p["networkConfig"] === "string" ? { networkConfig: p["networkConfig"] } : {}),
  };
}

/** What libvirt says about the seed volume. */
async function observe(lv: Libvirt, vol: VolRef): Promise<Props> {
  const info = await lv.volumes.getInfo(vol);
  return { key: vol.key, path: await lv.volumes.getPath(vol), size: toSafeNumber(info.capacity, "seed size") };
}

const base = makeResource({
  spec: cloudInitSpec,
  validate,
  // The name is fixed, and libvirt names are unique in a pool: the old seed goes before the new one is made.
  deleteBeforeReplace: true,

  async create(lv, p) {
    const who = label(p);
    const name = p["name"] as string;
    const poolName = p["pool"] as string;
    const content = contentOf(p);
    const image = buildSeed(content);
    const pool = await findPool(lv, poolName, who);

    const existing = await orNull(lv.volumes.lookupByName(pool, name));
    const entry = journal.entry("cloudinit", p, lv.uri, poolName, name);
    if (existing !== null) {
      // Left by an interrupted create of this resource (see ownership.ts): made again, like an adopted one.
      if (journal.pending(entry)) report(`${who}: an interrupted create of this resource left the seed behind; writing it again`);
      else if (p["adopt"] !== true) {
        throw new ResourceInputError(
          `${who}: a volume named "${name}" already exists in pool "${poolName}" on ${lv.uri}; set adopt: true to replace it with this seed, or choose another name`,
        );
      }
      // Adopting a seed means owning its content: the old bytes are not ours to keep.
      await whilePoolBusy(() => lv.volumes.delete(existing));
    }

    journal.begin(entry);
    const vol = await whilePoolBusy(() => lv.volumes.createXML(pool, buildVolumeXml({ name, capacity: image.length, format: "raw" })));
    try {
      await lv.volumes.upload(vol, image, { length: image.length });
    } catch (e) {
      // A half-written seed would boot a guest with garbage: remove it (waiting out a daemon restart), so a retry starts clean.
      const u = await undo(() => whilePoolBusy(() => lv.volumes.delete(vol)));
      if (u.done) journal.end(entry);
      const left =
        entry !== undefined
          ? "the partial seed is left in the pool, recorded as incomplete: the next up writes it again"
          : `the partial seed is left in the pool: delete it (virsh vol-delete --pool ${poolName} ${name}) before the next up`;
      throw new Error(
        `${who}: uploading the ${image.length}-byte seed into pool "${poolName}" failed, so ${undoOutcome(u, "it was deleted", left)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    journal.end(entry);
    const instanceId = instanceIdOf(content);
    try {
      return { id: vol.key, outs: { ...(await observe(lv, vol)), instanceId } };
    } catch (e) {
      throw new PartialCreateError(`${who}: created, but reading it back failed: ${(e as Error).message}`, vol.key, { key: vol.key, instanceId });
    }
  },

  async read(lv, id, props) {
    const vol = await orNull(lv.volumes.lookupByKey(id));
    if (vol === null) return null;
    // The content is not observable cheaply (it would mean downloading and parsing the image): the declared
    // inputs stay as they are; the size is what can drift.
    const now = await observe(lv, vol);
    if (typeof props["size"] === "number" && now["size"] !== props["size"]) {
      report(
        `${label(props)}: the seed on the host is ${String(now["size"])} bytes, not the ${props["size"]} bytes written; it was changed outside Pulumi (pulumi up --replace rewrites it)`,
      );
    }
    return { name: vol.name, pool: vol.pool, ...now };
  },

  // Every input replaces the seed; an update only happens for control inputs (adopt) and changes nothing.
  async update(lv, id) {
    return observe(lv, await lv.volumes.lookupByKey(id));
  },

  async delete(lv, id) {
    const vol = await orNull(lv.volumes.lookupByKey(id));
    if (vol !== null) await whilePoolBusy(() => lv.volumes.delete(vol));
  },
});

/** The instance-id the new seed will carry, as the plan can tell it. */
export function plannedInstanceId(news: Props): string {
  const md = news["metaData"];
  if (isRecord(md) && md["instanceId"] !== undefined) return known(md["instanceId"]) ? md["instanceId"] : "known after apply";
  if (CONTENT.some((k) => containsUnknown(news[k]))) return "known after apply";
  return deriveInstanceId(contentOf(news));
}

/** virt:CloudInitDisk. The plan also says what a replaced seed means to cloud-init in the guest. */
export const cloudInitDisk: ResourceImpl = {
  ...base,
  async diff(id, olds, news) {
    const d = await base.diff(id, olds, news);
    if (d.replaces.some((k) => CONTENT.includes(k))) {
      const next = plannedInstanceId(news);
      const same = next === olds["instanceId"];
      report(
        `${label(news)}: the seed is replaced; cloud-init acts on it only with a new instance-id (now ${next})` +
          (same ? " — the same as before, so per-instance modules will not run again; change metaData.instanceId or leave it out to derive one" : ""),
      );
    }
    return d;
  },
};

export { cloudInitSpec } from "./spec";
export { buildIso } from "../../iso9660";
export { buildSeed, deriveInstanceId, metaDataYaml, userDataProblem, networkConfigProblem } from "./seed";
export { parseYaml, YamlError } from "./yaml";
