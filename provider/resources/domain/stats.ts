import type { TypedParam } from "../../libvirt";
import { withLookupConnection } from "../connections";
import { ResourceInputError } from "../provider";
import { powerStateOf, PowerState } from "./power";
import type { ConnectionInput } from "../shapes";

/** One disk's counters (virsh domstats --block). */
export interface BlockStats {
  name: string;
  path?: string;
  readBytes?: number;
  writeBytes?: number;
  readRequests?: number;
  writeRequests?: number;
  /** Bytes the guest sees, and bytes the image takes on the host. */
  capacity?: number;
  allocation?: number;
}

/** One NIC's counters (virsh domstats --interface). */
export interface NicStats {
  name: string;
  rxBytes?: number;
  txBytes?: number;
  rxPackets?: number;
  txPackets?: number;
  rxDrops?: number;
  txDrops?: number;
  rxErrors?: number;
  txErrors?: number;
}

/** What `virsh domstats` shows for one domain, read now: counters and gauges, never compared as drift. */
export interface DomainStats {
  name: string;
  uri: string;
  powerState: PowerState;
  /** libvirt's state number (`state.state`) and reason (`state.reason`). */
  state: number;
  stateReason: number;
  /** Guest CPU time, nanoseconds (cpu.time), and its user and system parts. */
  cpuTimeNs?: number;
  cpuUserNs?: number;
  cpuSystemNs?: number;
  /** Balloon: current target and maximum, KiB (balloon.current, balloon.maximum), and what the guest reports when its driver does. */
  balloonCurrentKiB?: number;
  balloonMaximumKiB?: number;
  /** vCPUs online now and the maximum (vcpu.current, vcpu.maximum). */
  vcpusCurrent?: number;
  vcpusMaximum?: number;
  blocks: BlockStats[];
  nics: NicStats[];
  /** Every record field as libvirt named it, e.g. "balloon.rss", "block.0.fl.reqs" (64-bit counters as numbers). */
  raw: Record<string, number | string | boolean>;
}

const value = (p: TypedParam): number | string | boolean => (typeof p.value.value === "bigint" ? Number(p.value.value) : p.value.value);

/** Turns libvirt's flat record (`block.count`, `block.0.name`, ...) into the typed shape. Pure. */
export function shapeStats(name: string, uri: string, params: TypedParam[]): DomainStats {
  const raw: Record<string, number | string | boolean> = {};
  for (const p of params) raw[p.field] = value(p);
  const num = (k: string) => (typeof raw[k] === "number" ? (raw[k] as number) : undefined);
  const str = (k: string) => (typeof raw[k] === "string" ? (raw[k] as string) : undefined);
  const list = <T>(group: string, one: (i: number) => T): T[] => Array.from({ length: num(`${group}.count`) ?? 0 }, (_, i) => one(i));
  const drop = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const state = num("state.state") ?? 0;
  return drop({
    name,
    uri,
    powerState: powerStateOf(state),
    state,
    stateReason: num("state.reason") ?? 0,
    cpuTimeNs: num("cpu.time"),
    cpuUserNs: num("cpu.user"),
    cpuSystemNs: num("cpu.system"),
    balloonCurrentKiB: num("balloon.current"),
    balloonMaximumKiB: num("balloon.maximum"),
    vcpusCurrent: num("vcpu.current"),
    vcpusMaximum: num("vcpu.maximum"),
    blocks: list("block", (i) =>
      drop({
        name: str(`block.${i}.name`) ?? String(i),
        path: str(`block.${i}.path`),
        readBytes: num(`block.${i}.rd.bytes`),
        writeBytes: num(`block.${i}.wr.bytes`),
        readRequests: num(`block.${i}.rd.reqs`),
        writeRequests: num(`block.${i}.wr.reqs`),
        capacity: num(`block.${i}.capacity`),
        allocation: num(`block.${i}.allocation`),
      }),
    ),
    nics: list("net", (i) =>
      drop({
        name: str(`net.${i}.name`) ?? String(i),
        rxBytes: num(`net.${i}.rx.bytes`),
        txBytes: num(`net.${i}.tx.bytes`),
        rxPackets: num(`net.${i}.rx.pkts`),
        txPackets: num(`net.${i}.tx.pkts`),
        rxDrops: num(`net.${i}.rx.drop`),
        txDrops: num(`net.${i}.tx.drop`),
        rxErrors: num(`net.${i}.rx.errs`),
        txErrors: num(`net.${i}.tx.errs`),
      }),
    ),
    raw,
  });
}

/**
 * The live statistics of the domain named `name` (virsh domstats NAME), over a connection of its own, closed after
 * (see withLookupConnection for the host). A missing domain is an error naming it and the host.
 */
export async function domainStats(name: string, connection?: ConnectionInput, configuredUri?: string): Promise<DomainStats> {
  if (typeof name !== "string" || name === "")
    throw new ResourceInputError(
      `getDomainStats: name: expected a domain name, got ${JSON.stringify(name)}; pass the Domain's name (e.g. its \`name\` output)`,
    );
  return withLookupConnection(connection, configuredUri, async (lv, uri) => {
    const dom = await lv.domains.lookupByName(name).catch((e: Error) => {
      throw new ResourceInputError(`getDomainStats: no domain named "${name}" on ${uri}: ${e.message}`);
    });
    const [record] = await lv.domains.getStats([dom]);
    return shapeStats(name, uri, record?.params ?? []);
  });
}
