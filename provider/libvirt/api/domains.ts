import type { Connection } from "../connection";
import { isUnknownProcedure } from "../errors";
import { Proc } from "../protocol/procedures";
import type { DomainRef, DomainSnapshotRef, TypedParam } from "../protocol/types";
import { toU64, uuidBytes } from "./convert";

export interface DomainInfo {
  /** virDomainState (1 running, 5 shut off, ...). */
  state: number;
  /** Maximum memory in KiB. */
  maxMemKiB: bigint;
  /** Current memory in KiB (for QEMU: what the balloon driver last reported). */
  memoryKiB: bigint;
  nrVirtCpu: number;
  /** CPU time used, in ns. */
  cpuTimeNs: bigint;
}

export interface InterfaceAddresses {
  name: string;
  hwaddr: string | null;
  addrs: { type: number; addr: string; prefix: number }[];
}

/** Domain calls. Every method names the libvirt API it is; flags are libvirt's (see `../constants`). */
export class DomainApi {
  constructor(private readonly conn: Connection) {}

  /** virConnectListAllDomains (flags: ListDomainsFlags; 0 = all). */
  async listAll(flags = 0): Promise<DomainRef[]> {
    return (await this.conn.call(Proc.CONNECT_LIST_ALL_DOMAINS, { needResults: 1, flags })).domains;
  }

  /** virDomainLookupByName */
  async lookupByName(name: string): Promise<DomainRef> {
    return (await this.conn.call(Proc.DOMAIN_LOOKUP_BY_NAME, { name })).dom;
  }

  /** virDomainLookupByUUID (bytes or text form). */
  async lookupByUUID(uuid: Buffer | string): Promise<DomainRef> {
    return (await this.conn.call(Proc.DOMAIN_LOOKUP_BY_UUID, { uuid: uuidBytes(uuid) })).dom;
  }

  /** virDomainLookupByID (running domains only). */
  async lookupByID(id: number): Promise<DomainRef> {
    return (await this.conn.call(Proc.DOMAIN_LOOKUP_BY_ID, { id })).dom;
  }

  /**
   * virDomainDefineXMLFlags (flags: DomainDefineFlags.VALIDATE checks against libvirt's schema). Defining over an
   * existing domain with the same name and UUID replaces its persistent config.
   */
  async defineXML(xml: string, flags = 0): Promise<DomainRef> {
    try {
      return (await this.conn.call(Proc.DOMAIN_DEFINE_XML_FLAGS, { xml, flags })).dom;
    } catch (e) {
      if (flags === 0 && isUnknownProcedure(e)) return (await this.conn.call(Proc.DOMAIN_DEFINE_XML, { xml })).dom;
      throw e;
    }
  }

  /** virDomainUndefineFlags (DomainUndefineFlags: NVRAM, MANAGED_SAVE, SNAPSHOTS_METADATA, ...). */
  async undefine(dom: DomainRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_UNDEFINE_FLAGS, { dom, flags });
  }

  /** virDomainCreateWithFlags: starts a defined domain; returns the handle with its new id. */
  async create(dom: DomainRef, flags = 0): Promise<DomainRef> {
    return (await this.conn.call(Proc.DOMAIN_CREATE_WITH_FLAGS, { dom, flags })).dom;
  }

  /** virDomainCreateXML: starts a transient domain. */
  async createXML(xml: string, flags = 0): Promise<DomainRef> {
    return (await this.conn.call(Proc.DOMAIN_CREATE_XML, { xml, flags })).dom;
  }

  /** virDomainShutdownFlags: asks the guest to shut down (ACPI by default); returns before it has. */
  async shutdown(dom: DomainRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SHUTDOWN_FLAGS, { dom, flags });
  }

  /** virDomainReboot */
  async reboot(dom: DomainRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_REBOOT, { dom, flags });
  }

  /** virDomainSuspend: stops the vCPUs (state paused); the QEMU process, its memory and the domain id stay. */
  async suspend(dom: DomainRef): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SUSPEND, { dom });
  }

  /** virDomainResume: runs a paused domain's vCPUs again. */
  async resume(dom: DomainRef): Promise<void> {
    await this.conn.call(Proc.DOMAIN_RESUME, { dom });
  }

  /** virDomainReset: the reset button (the guest restarts at once, without shutting down; same process and id). */
  async reset(dom: DomainRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_RESET, { dom, flags });
  }

  /**
   * virConnectGetAllDomainStats for the given domains (virsh domstats): one record of typed parameters each,
   * e.g. `cpu.time`, `balloon.current`, `block.0.rd.bytes`, `net.0.tx.bytes`. `stats` selects the groups
   * (DomainStatsTypes; 0: all the driver supports).
   */
  async getStats(doms: DomainRef[], stats = 0, flags = 0): Promise<{ dom: DomainRef; params: TypedParam[] }[]> {
    return (await this.conn.call(Proc.CONNECT_GET_ALL_DOMAIN_STATS, { doms, stats, flags })).retStats;
  }

  /** virDomainDestroyFlags: powers the domain off at once (GRACEFUL: SIGTERM first, then wait). */
  async destroy(dom: DomainRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_DESTROY_FLAGS, { dom, flags });
  }

  /** virDomainGetXMLDesc (DomainXMLFlags.INACTIVE for the persistent config, SECURE to include passwords). */
  async getXMLDesc(dom: DomainRef, flags = 0): Promise<string> {
    return (await this.conn.call(Proc.DOMAIN_GET_XML_DESC, { dom, flags })).xml;
  }

  /** virDomainGetState: state (virDomainState) and reason. */
  async getState(dom: DomainRef): Promise<{ state: number; reason: number }> {
    return this.conn.call(Proc.DOMAIN_GET_STATE, { dom, flags: 0 });
  }

  /** virDomainGetInfo */
  async getInfo(dom: DomainRef): Promise<DomainInfo> {
    const r = await this.conn.call(Proc.DOMAIN_GET_INFO, { dom });
    return { state: r.state, maxMemKiB: r.maxMem, memoryKiB: r.memory, nrVirtCpu: r.nrVirtCpu, cpuTimeNs: r.cpuTime };
  }

  /** virDomainIsActive */
  async isActive(dom: DomainRef): Promise<boolean> {
    return (await this.conn.call(Proc.DOMAIN_IS_ACTIVE, { dom })).active === 1;
  }

  /** virDomainIsPersistent */
  async isPersistent(dom: DomainRef): Promise<boolean> {
    return (await this.conn.call(Proc.DOMAIN_IS_PERSISTENT, { dom })).persistent === 1;
  }

  /** virDomainGetMaxMemory, in KiB. */
  async getMaxMemory(dom: DomainRef): Promise<bigint> {
    return (await this.conn.call(Proc.DOMAIN_GET_MAX_MEMORY, { dom })).memory;
  }

  /** virDomainSetMemoryFlags, in KiB (MemoryFlags: LIVE, CONFIG, MAXIMUM). */
  async setMemoryFlags(dom: DomainRef, memoryKiB: bigint | number, flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SET_MEMORY_FLAGS, { dom, memory: toU64(memoryKiB, "memory"), flags });
  }

  /** virDomainSetVcpusFlags (VcpuFlags: LIVE, CONFIG, MAXIMUM). */
  async setVcpusFlags(dom: DomainRef, nvcpus: number, flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SET_VCPUS_FLAGS, { dom, nvcpus, flags });
  }

  /** virDomainSetMemoryParameters: memtune (hard_limit, soft_limit, swap_hard_limit, min_guarantee; ULLONG KiB). Impact flags. */
  async setMemoryParameters(dom: DomainRef, params: TypedParam[], flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SET_MEMORY_PARAMETERS, { dom, params, flags });
  }

  /** virDomainSetBlkioParameters: blkiotune (weight: UINT, 100–1000; per-device lists). Impact flags. */
  async setBlkioParameters(dom: DomainRef, params: TypedParam[], flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SET_BLKIO_PARAMETERS, { dom, params, flags });
  }

  /** virDomainSetSchedulerParametersFlags: cputune (cpu_shares: ULLONG, vcpu_period, vcpu_quota, ...). Impact flags. */
  async setSchedulerParameters(dom: DomainRef, params: TypedParam[], flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS, { dom, params, flags });
  }

  /** virDomainGetVcpusFlags */
  async getVcpusFlags(dom: DomainRef, flags: number): Promise<number> {
    return (await this.conn.call(Proc.DOMAIN_GET_VCPUS_FLAGS, { dom, flags })).num;
  }

  /** virDomainGetAutostart */
  async getAutostart(dom: DomainRef): Promise<boolean> {
    return (await this.conn.call(Proc.DOMAIN_GET_AUTOSTART, { dom })).autostart === 1;
  }

  /** virDomainSetAutostart */
  async setAutostart(dom: DomainRef, autostart: boolean): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SET_AUTOSTART, { dom, autostart: autostart ? 1 : 0 });
  }

  /** virDomainAttachDeviceFlags (DeviceModifyFlags: LIVE, CONFIG). */
  async attachDevice(dom: DomainRef, xml: string, flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_ATTACH_DEVICE_FLAGS, { dom, xml, flags });
  }

  /** virDomainDetachDeviceFlags. Returns once the unplug was requested; the device may still be present. */
  async detachDevice(dom: DomainRef, xml: string, flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_DETACH_DEVICE_FLAGS, { dom, xml, flags });
  }

  /** virDomainDetachDeviceAlias (libvirt >= 4.4). */
  async detachDeviceAlias(dom: DomainRef, alias: string, flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_DETACH_DEVICE_ALIAS, { dom, alias, flags });
  }

  /** virDomainUpdateDeviceFlags (CD-ROM media change, interface link state, graphics password). */
  async updateDevice(dom: DomainRef, xml: string, flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_UPDATE_DEVICE_FLAGS, { dom, xml, flags });
  }

  /** virDomainInterfaceAddresses (InterfaceAddressesSource: LEASE, AGENT, ARP). */
  async interfaceAddresses(dom: DomainRef, source: number): Promise<InterfaceAddresses[]> {
    return (await this.conn.call(Proc.DOMAIN_INTERFACE_ADDRESSES, { dom, source, flags: 0 })).ifaces;
  }

  /** virDomainGetHostname */
  async getHostname(dom: DomainRef, flags = 0): Promise<string> {
    return (await this.conn.call(Proc.DOMAIN_GET_HOSTNAME, { dom, flags })).hostname;
  }

  /** virDomainHasManagedSaveImage */
  async hasManagedSaveImage(dom: DomainRef): Promise<boolean> {
    return (await this.conn.call(Proc.DOMAIN_HAS_MANAGED_SAVE_IMAGE, { dom, flags: 0 })).result === 1;
  }

  /** virDomainManagedSaveRemove */
  async managedSaveRemove(dom: DomainRef): Promise<void> {
    await this.conn.call(Proc.DOMAIN_MANAGED_SAVE_REMOVE, { dom, flags: 0 });
  }

  /**
   * virDomainSetMetadata (DomainMetadataType: DESCRIPTION, TITLE, ELEMENT; Impact flags). `metadata` null
   * removes it; ELEMENT needs `key` (namespace prefix) and `uri` (namespace).
   */
  async setMetadata(dom: DomainRef, type: number, metadata: string | null, flags: number, ns?: { key: string; uri: string }): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SET_METADATA, { dom, type, metadata, key: ns?.key ?? null, uri: ns?.uri ?? null, flags });
  }

  /** virDomainGetMetadata */
  async getMetadata(dom: DomainRef, type: number, flags: number, uri?: string): Promise<string> {
    return (await this.conn.call(Proc.DOMAIN_GET_METADATA, { dom, type, uri: uri ?? null, flags })).metadata;
  }

  /** virDomainBlockResize: grows a disk of a running domain (size in KiB, or bytes with flag BYTES=1). */
  async blockResize(dom: DomainRef, disk: string, size: bigint | number, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_BLOCK_RESIZE, { dom, disk, size: toU64(size, "size"), flags });
  }

  /** virDomainListAllSnapshots: snapshot names. */
  /** virDomainSnapshotCreateXML: takes a snapshot (DomainSnapshotCreateFlags). */
  async snapshotCreateXML(dom: DomainRef, xml: string, flags = 0): Promise<DomainSnapshotRef> {
    return (await this.conn.call(Proc.DOMAIN_SNAPSHOT_CREATE_XML, { dom, xmlDesc: xml, flags })).snap;
  }

  /** virDomainSnapshotLookupByName (a missing one: NotFoundError, VIR_ERR_NO_DOMAIN_SNAPSHOT). */
  async snapshotLookupByName(dom: DomainRef, name: string): Promise<DomainSnapshotRef> {
    return (await this.conn.call(Proc.DOMAIN_SNAPSHOT_LOOKUP_BY_NAME, { dom, name, flags: 0 })).snap;
  }

  /** virDomainSnapshotGetXMLDesc: the snapshot's XML (state, parent, disks, ...). */
  async snapshotGetXMLDesc(snap: DomainSnapshotRef, flags = 0): Promise<string> {
    return (await this.conn.call(Proc.DOMAIN_SNAPSHOT_GET_XML_DESC, { snap, flags })).xml;
  }

  /** virDomainRevertToSnapshot (DomainSnapshotRevertFlags): the domain's current state is discarded. */
  async revertToSnapshot(snap: DomainSnapshotRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_REVERT_TO_SNAPSHOT, { snap, flags });
  }

  /** virDomainSnapshotDelete (DomainSnapshotDeleteFlags): removes the snapshot's data and metadata. */
  async snapshotDelete(snap: DomainSnapshotRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_SNAPSHOT_DELETE, { snap, flags });
  }

  /** virDomainSnapshotIsCurrent: whether it is the domain's current snapshot (the parent of the next one). */
  async snapshotIsCurrent(snap: DomainSnapshotRef): Promise<boolean> {
    return (await this.conn.call(Proc.DOMAIN_SNAPSHOT_IS_CURRENT, { snap, flags: 0 })).current === 1;
  }

  async listAllSnapshots(dom: DomainRef, flags = 0): Promise<string[]> {
    const r = await this.conn.call(Proc.DOMAIN_LIST_ALL_SNAPSHOTS, { dom, needResults: 1, flags });
    return r.snapshots.map((s) => s.name);
  }

  /**
   * virDomainMigrateToURI3 in peer-to-peer mode: called on the SOURCE, whose daemon connects to `dconnuri` itself
   * and runs the whole migration (begin, prepare on the destination, perform, finish, confirm). Resolves when the
   * migration is over (flags: MigrateFlags, PEER2PEER included; params: MigrateParam typed parameters).
   */
  async migratePerform3Params(dom: DomainRef, dconnuri: string, params: TypedParam[], flags: number): Promise<void> {
    await this.conn.call(Proc.DOMAIN_MIGRATE_PERFORM3_PARAMS, { dom, dconnuri, params, cookieIn: Buffer.alloc(0), flags });
  }

  /** virDomainGetJobStats: the domain's current job (or the last completed one with DomainJobStatsFlags.COMPLETED). */
  async getJobStats(dom: DomainRef, flags = 0): Promise<{ type: number; params: Record<string, number | bigint | string | boolean> }> {
    const r = await this.conn.call(Proc.DOMAIN_GET_JOB_STATS, { dom, flags });
    return { type: r.type, params: Object.fromEntries(r.params.map((p) => [p.field, p.value.value])) };
  }

  /** virDomainAbortJob: cancels the domain's running job (a migration: the domain stays on the source). */
  async abortJob(dom: DomainRef): Promise<void> {
    await this.conn.call(Proc.DOMAIN_ABORT_JOB, { dom });
  }

  /** virDomainMigrateSetMaxDowntime: the longest pause (ms) the switch-over of a live migration may take. */
  async migrateSetMaxDowntime(dom: DomainRef, downtimeMs: bigint | number, flags = 0): Promise<void> {
    await this.conn.call(Proc.DOMAIN_MIGRATE_SET_MAX_DOWNTIME, { dom, downtime: toU64(downtimeMs, "downtime"), flags });
  }
}
