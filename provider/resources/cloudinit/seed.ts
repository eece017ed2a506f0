/**
 * What goes into a NoCloud seed: the checks on user-data and network-config, the instance-id, the meta-data
 * file, and the ISO. Pure functions (no I/O), so they are unit-tested without a host.
 */
import { createHash } from "node:crypto";
import { buildIso, MAX_FILE_BYTES } from "../../iso9660";
import { kindOf, parseYaml, YamlError, YamlValue } from "./yaml";

/** The volume label cloud-init's NoCloud datasource looks for. */
export const SEED_LABEL = "cidata";

export interface SeedContent {
  userData: string;
  metaData?: { instanceId?: string; localHostname?: string };
  networkConfig?: string;
}

/** Why `userData` is refused, or undefined when it is a well-formed cloud-config or a script. Never quotes it. */
export function userDataProblem(userData: string): string | undefined {
  const size = Buffer.byteLength(userData);
  if (size > MAX_FILE_BYTES) return `userData is ${size} bytes; a seed file may hold at most ${MAX_FILE_BYTES} bytes (8 MiB)`;
  const firstLine = userData.split(/\r?\n/, 1)[0]!;
  if (firstLine.startsWith("#!")) return undefined;
  if (firstLine.trimEnd() !== "#cloud-config") {
    const what = firstLine.startsWith("#cloud-config")
      ? `its first line is "${firstLine.slice(0, 40)}", another cloud-init format`
      : firstLine.startsWith("#")
        ? "its first line is a different # header"
        : "it does not start with a # header";
    return (
      `userData must be a cloud-config (first line exactly "#cloud-config", then YAML) or a script (first line a shebang such as "#!/bin/sh"); ` + `${what}`
    );
  }
  let doc: YamlValue;
  try {
    doc = parseYaml(userData);
  } catch (e) {
    if (e instanceof YamlError) return `userData is not valid YAML: ${e.message}`;
    throw e;
  }
  if (doc !== null && (typeof doc !== "object" || Array.isArray(doc))) {
    return `userData: a cloud-config must be a YAML mapping (key: value lines at the top level), but this one is ${kindOf(doc)}`;
  }
  return undefined;
}

/** Why `networkConfig` is refused, or undefined when it is well-formed network config version 2. */
export function networkConfigProblem(networkConfig: string): string | undefined {
  const size = Buffer.byteLength(networkConfig);
  if (size > MAX_FILE_BYTES) return `networkConfig is ${size} bytes; a seed file may hold at most ${MAX_FILE_BYTES} bytes (8 MiB)`;
  let doc: YamlValue;
  try {
    doc = parseYaml(networkConfig);
  } catch (e) {
    if (e instanceof YamlError) return `networkConfig is not valid YAML: ${e.message}`;
    throw e;
  }
  const isMap = (v: YamlValue): v is { [k: string]: YamlValue } => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(doc)) return `networkConfig must be a YAML mapping with "version: 2" (network config version 2, netplan format), but it is ${kindOf(doc)}`;
  const inner = isMap(doc["network"] ?? null) ? (doc["network"] as { [k: string]: YamlValue }) : doc;
  const version = inner["version"];
  if (version === 2) return undefined;
  if (version === 1) return 'networkConfig is network config version 1; write version 2 (netplan format: "version: 2" with ethernets, bonds, bridges, vlans)';
  if (version === undefined) return 'networkConfig needs "version: 2" at the top level (or under "network:"): only network config version 2 is accepted';
  return `networkConfig has version ${JSON.stringify(version)}; only version 2 is accepted`;
}

/** Why a `metaData` field is refused. instance-id names a directory under /var/lib/cloud/instances. */
export function instanceIdProblem(id: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id)
    ? undefined
    : `metaData.instanceId "${id}" must be 1 to 128 letters, digits and . _ : - (it names a directory in the guest), starting with a letter or digit`;
}

export function hostnameProblem(name: string): string | undefined {
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  return name.length <= 253 && name.split(".").every((l) => label.test(l))
    ? undefined
    : `metaData.localHostname "${name}" is not a host name: labels of letters, digits and hyphens (not at either end), at most 63 characters each, joined by dots`;
}

/**
 * The default instance-id: `iid-` and the first 16 hex digits of a SHA-256 over the content (user-data, host
 * name, network-config), so any content change gives cloud-init a new instance.
 */
export function deriveInstanceId(c: SeedContent): string {
  const h = createHash("sha256");
  h.update("pulumi-virt cloud-init seed v1\n");
  // Each field with its length (absent: -1), so no two contents hash the same text.
  for (const v of [c.userData, c.metaData?.localHostname, c.networkConfig]) {
    h.update(`${v === undefined ? -1 : Buffer.byteLength(v)}:`);
    if (v !== undefined) h.update(v);
  }
  return `iid-${h.digest("hex").slice(0, 16)}`;
}

export function instanceIdOf(c: SeedContent): string {
  return c.metaData?.instanceId ?? deriveInstanceId(c);
}

/** A YAML scalar written plain when that is unambiguous (a string that does not read as a number or boolean). */
function yamlScalar(v: string): string {
  if (/^[A-Za-z][A-Za-z0-9._-]*$/.test(v) && !/^(y|n|yes|no|true|false|on|off|null)$/i.test(v)) return v;
  return JSON.stringify(v);
}

/** The `meta-data` file. */
export function metaDataYaml(c: SeedContent): string {
  const lines = [`instance-id: ${yamlScalar(instanceIdOf(c))}`];
  if (c.metaData?.localHostname !== undefined) lines.push(`local-hostname: ${yamlScalar(c.metaData.localHostname)}`);
  return `${lines.join("\n")}\n`;
}

/** The files of the seed, in the order cloud-init documents them. */
export function seedFiles(c: SeedContent): { name: string; data: Buffer }[] {
  const files = [
    { name: "user-data", data: Buffer.from(c.userData, "utf8") },
    { name: "meta-data", data: Buffer.from(metaDataYaml(c), "utf8") },
  ];
  if (c.networkConfig !== undefined) files.push({ name: "network-config", data: Buffer.from(c.networkConfig, "utf8") });
  return files;
}

/** The seed image: ISO 9660 + Joliet + Rock Ridge, label `cidata`. */
export function buildSeed(c: SeedContent, date?: Date): Buffer {
  return buildIso({ volumeId: SEED_LABEL, files: seedFiles(c), ...(date !== undefined ? { date } : {}) });
}
