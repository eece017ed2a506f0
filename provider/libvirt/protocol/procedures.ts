/**
 * The REMOTE program's procedures this client uses, as data: libvirt's `REMOTE_PROC_*` name, its number, and the
 * argument and return structures in wire order. Numbers never change between libvirt releases; every one below
 * was confirmed on a libvirt 9.0 daemon (shared/docs/libvirt-protocol.md §9).
 */
import { array, charArray, Codec, int, opaque, optional, struct, uhyper, uint, voidType, hyper } from "../xdr";
import { domainRef, domainSnapshotRef, interfaceRef, Limits, networkRef, optStr, poolRef, str, typedParam, uuid, volRef } from "./types";

export interface Procedure<A, R> {
  /** libvirt's name without the REMOTE_PROC_ prefix, e.g. `DOMAIN_LOOKUP_BY_NAME`. */
  readonly name: string;
  readonly number: number;
  readonly args: Codec<A>;
  readonly ret: Codec<R>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of heterogeneous codecs; each entry keeps its own types (Infer)
type Spec = [number, Codec<any>, Codec<any>];
type Table<T extends Record<string, Spec>> = {
  [K in keyof T]: Procedure<T[K][1] extends Codec<infer A> ? A : never, T[K][2] extends Codec<infer R> ? R : never>;
};

function table<T extends Record<string, Spec>>(specs: T): Table<T> {
  const out: Record<string, Procedure<unknown, unknown>> = {};
  for (const [name, [number, args, ret]] of Object.entries(specs)) out[name] = { name, number, args, ret };
  return out as Table<T>;
}

const dom = domainRef;
const net = networkRef;
const pool = poolRef;
const vol = volRef;
const flags = uint;
const none = voidType;

const snap = domainSnapshotRef;
const domainStatsRecord = struct({ dom, params: array(typedParam, Limits.CONNECT_GET_ALL_DOMAIN_STATS_MAX) });
const ipAddr = struct({ type: int, addr: str, prefix: uint });
const iface = struct({ name: str, hwaddr: optStr, addrs: array(ipAddr, Limits.DOMAIN_IP_ADDR_MAX) });
const dhcpLease = struct({
  iface: str,
  expirytime: hyper,
  type: int,
  mac: optStr,
  iaid: optStr,
  ipaddr: str,
  prefix: uint,
  hostname: optStr,
  clientid: optStr,
});
const volInfo = struct({ type: int, capacity: uhyper, allocation: uhyper });

export const Proc = table({
  // Connection and host
  CONNECT_OPEN: [1, struct({ name: optStr, flags }), none],
  CONNECT_CLOSE: [2, none, none],
  CONNECT_GET_TYPE: [3, none, struct({ type: str })],
  CONNECT_GET_VERSION: [4, none, struct({ hvVer: uhyper })],
  NODE_GET_INFO: [6, none, struct({ model: charArray(32), memory: uhyper, cpus: int, mhz: int, nodes: int, sockets: int, cores: int, threads: int })],
  CONNECT_GET_CAPABILITIES: [7, none, struct({ capabilities: str })],
  CONNECT_GET_HOSTNAME: [59, none, struct({ hostname: str })],
  CONNECT_SUPPORTS_FEATURE: [60, struct({ feature: int }), struct({ supported: int })],
  CONNECT_GET_URI: [110, none, struct({ uri: str })],
  CONNECT_IS_SECURE: [149, none, struct({ secure: int })],
  CONNECT_GET_LIB_VERSION: [157, none, struct({ libVer: uhyper })],
  CONNECT_GET_DOMAIN_CAPABILITIES: [
    342,
    struct({ emulatorbin: optStr, arch: optStr, machine: optStr, virttype: optStr, flags }),
    struct({ capabilities: str }),
  ],
  CONNECT_GET_ALL_DOMAIN_STATS: [
    344,
    struct({ doms: array(dom, Limits.DOMAIN_LIST_MAX), stats: uint, flags }),
    struct({ retStats: array(domainStatsRecord, Limits.DOMAIN_LIST_MAX) }),
  ],

  // Authentication
  AUTH_LIST: [66, none, struct({ types: array(int, Limits.AUTH_TYPE_LIST_MAX) })],
  AUTH_POLKIT: [70, none, struct({ complete: int })],

  // Domains
  DOMAIN_LOOKUP_BY_ID: [22, struct({ id: int }), struct({ dom })],
  DOMAIN_LOOKUP_BY_NAME: [23, struct({ name: str }), struct({ dom })],
  DOMAIN_LOOKUP_BY_UUID: [24, struct({ uuid }), struct({ dom })],
  CONNECT_LIST_ALL_DOMAINS: [273, struct({ needResults: int, flags }), struct({ domains: array(dom, Limits.DOMAIN_LIST_MAX), ret: uint })],
  DOMAIN_DEFINE_XML: [11, struct({ xml: str }), struct({ dom })],
  DOMAIN_DEFINE_XML_FLAGS: [350, struct({ xml: str, flags }), struct({ dom })],
  DOMAIN_UNDEFINE: [35, struct({ dom }), none],
  DOMAIN_UNDEFINE_FLAGS: [231, struct({ dom, flags }), none],
  DOMAIN_CREATE: [9, struct({ dom }), none],
  DOMAIN_CREATE_WITH_FLAGS: [196, struct({ dom, flags }), struct({ dom })],
  DOMAIN_CREATE_XML: [10, struct({ xml: str, flags }), struct({ dom })],
  DOMAIN_SHUTDOWN: [33, struct({ dom }), none],
  DOMAIN_SHUTDOWN_FLAGS: [258, struct({ dom, flags }), none],
  DOMAIN_REBOOT: [27, struct({ dom, flags }), none],
  DOMAIN_SUSPEND: [34, struct({ dom }), none],
  DOMAIN_RESUME: [28, struct({ dom }), none],
  DOMAIN_RESET: [245, struct({ dom, flags }), none],
  DOMAIN_DESTROY: [12, struct({ dom }), none],
  DOMAIN_DESTROY_FLAGS: [234, struct({ dom, flags }), none],
  DOMAIN_GET_XML_DESC: [14, struct({ dom, flags }), struct({ xml: str })],
  DOMAIN_GET_STATE: [212, struct({ dom, flags }), struct({ state: int, reason: int })],
  // state is an unsigned char and nrVirtCpu an unsigned short: XDR widens both to 4 bytes.
  DOMAIN_GET_INFO: [16, struct({ dom }), struct({ state: uint, maxMem: uhyper, memory: uhyper, nrVirtCpu: uint, cpuTime: uhyper })],
  DOMAIN_IS_ACTIVE: [150, struct({ dom }), struct({ active: int })],
  DOMAIN_IS_PERSISTENT: [151, struct({ dom }), struct({ persistent: int })],
  DOMAIN_GET_MAX_MEMORY: [17, struct({ dom }), struct({ memory: uhyper })],
  DOMAIN_SET_MAX_MEMORY: [30, struct({ dom, memory: uhyper }), none],
  DOMAIN_SET_MEMORY: [31, struct({ dom, memory: uhyper }), none],
  DOMAIN_SET_MEMORY_FLAGS: [204, struct({ dom, memory: uhyper, flags }), none],
  DOMAIN_SET_VCPUS: [32, struct({ dom, nvcpus: uint }), none],
  DOMAIN_SET_VCPUS_FLAGS: [199, struct({ dom, nvcpus: uint, flags }), none],
  // Tuning: typed-parameter setters; Impact flags (LIVE, CONFIG); libvirt applies the whole list or none of it
  DOMAIN_SET_MEMORY_PARAMETERS: [197, struct({ dom, params: array(typedParam, Limits.DOMAIN_MEMORY_PARAMETERS_MAX), flags }), none],
  DOMAIN_SET_BLKIO_PARAMETERS: [205, struct({ dom, params: array(typedParam, Limits.DOMAIN_BLKIO_PARAMETERS_MAX), flags }), none],
  DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS: [219, struct({ dom, params: array(typedParam, Limits.DOMAIN_SCHEDULER_PARAMETERS_MAX), flags }), none],
  DOMAIN_GET_VCPUS_FLAGS: [200, struct({ dom, flags }), struct({ num: int })],
  DOMAIN_GET_AUTOSTART: [15, struct({ dom }), struct({ autostart: int })],
  DOMAIN_SET_AUTOSTART: [29, struct({ dom, autostart: int }), none],
  DOMAIN_ATTACH_DEVICE: [8, struct({ dom, xml: str }), none],
  DOMAIN_ATTACH_DEVICE_FLAGS: [160, struct({ dom, xml: str, flags }), none],
  DOMAIN_DETACH_DEVICE: [13, struct({ dom, xml: str }), none],
  DOMAIN_DETACH_DEVICE_FLAGS: [161, struct({ dom, xml: str, flags }), none],
  DOMAIN_DETACH_DEVICE_ALIAS: [392, struct({ dom, alias: str, flags }), none],
  DOMAIN_UPDATE_DEVICE_FLAGS: [174, struct({ dom, xml: str, flags }), none],
  DOMAIN_INTERFACE_ADDRESSES: [353, struct({ dom, source: uint, flags }), struct({ ifaces: array(iface, Limits.DOMAIN_INTERFACE_MAX) })],
  DOMAIN_GET_HOSTNAME: [277, struct({ dom, flags }), struct({ hostname: str })],
  DOMAIN_HAS_MANAGED_SAVE_IMAGE: [183, struct({ dom, flags }), struct({ result: int })],
  DOMAIN_MANAGED_SAVE_REMOVE: [184, struct({ dom, flags }), none],
  DOMAIN_SET_METADATA: [264, struct({ dom, type: int, metadata: optStr, key: optStr, uri: optStr, flags }), none],
  DOMAIN_GET_METADATA: [265, struct({ dom, type: int, uri: optStr, flags }), struct({ metadata: str })],
  DOMAIN_BLOCK_RESIZE: [251, struct({ dom, disk: str, size: uhyper, flags }), none],
  DOMAIN_SNAPSHOT_CREATE_XML: [185, struct({ dom, xmlDesc: str, flags }), struct({ snap })],
  DOMAIN_SNAPSHOT_GET_XML_DESC: [186, struct({ snap, flags }), struct({ xml: str })],
  DOMAIN_SNAPSHOT_LOOKUP_BY_NAME: [189, struct({ dom, name: str, flags }), struct({ snap })],
  DOMAIN_REVERT_TO_SNAPSHOT: [192, struct({ snap, flags }), none],
  DOMAIN_SNAPSHOT_DELETE: [193, struct({ snap, flags }), none],
  DOMAIN_SNAPSHOT_IS_CURRENT: [271, struct({ snap, flags }), struct({ current: int })],
  DOMAIN_LIST_ALL_SNAPSHOTS: [274, struct({ dom, needResults: int, flags }), struct({ snapshots: array(snap, Limits.DOMAIN_SNAPSHOT_LIST_MAX), ret: int })],
  // Migration (peer-to-peer: one call to the source daemon, which drives the destination) and its job
  DOMAIN_MIGRATE_PERFORM3_PARAMS: [
    305,
    struct({ dom, dconnuri: optStr, params: array(typedParam, Limits.DOMAIN_MIGRATE_PARAM_LIST_MAX), cookieIn: opaque(Limits.MIGRATE_COOKIE_MAX), flags }),
    struct({ cookieOut: opaque(Limits.MIGRATE_COOKIE_MAX) }),
  ],
  DOMAIN_GET_JOB_STATS: [298, struct({ dom, flags }), struct({ type: int, params: array(typedParam, Limits.DOMAIN_JOB_STATS_MAX) })],
  DOMAIN_ABORT_JOB: [164, struct({ dom }), none],
  DOMAIN_MIGRATE_SET_MAX_DOWNTIME: [166, struct({ dom, downtime: uhyper, flags }), none],

  // Networks
  CONNECT_LIST_ALL_NETWORKS: [283, struct({ needResults: int, flags }), struct({ nets: array(net, Limits.NETWORK_LIST_MAX), ret: uint })],
  NETWORK_LOOKUP_BY_NAME: [46, struct({ name: str }), struct({ net })],
  NETWORK_LOOKUP_BY_UUID: [47, struct({ uuid }), struct({ net })],
  NETWORK_DEFINE_XML: [41, struct({ xml: str }), struct({ net })],
  NETWORK_DEFINE_XML_FLAGS: [432, struct({ xml: str, flags }), struct({ net })],
  NETWORK_CREATE_XML: [40, struct({ xml: str }), struct({ net })],
  NETWORK_CREATE_XML_FLAGS: [437, struct({ xml: str, flags }), struct({ net })],
  NETWORK_UNDEFINE: [49, struct({ net }), none],
  NETWORK_CREATE: [39, struct({ net }), none],
  NETWORK_DESTROY: [42, struct({ net }), none],
  NETWORK_GET_XML_DESC: [43, struct({ net, flags }), struct({ xml: str })],
  NETWORK_GET_BRIDGE_NAME: [45, struct({ net }), struct({ name: str })],
  NETWORK_GET_AUTOSTART: [44, struct({ net }), struct({ autostart: int })],
  NETWORK_SET_AUTOSTART: [48, struct({ net, autostart: int }), none],
  NETWORK_IS_ACTIVE: [152, struct({ net }), struct({ active: int })],
  NETWORK_IS_PERSISTENT: [153, struct({ net }), struct({ persistent: int })],
  // Wire order is command, then section; daemons without feature 16 expect them swapped (see networks.ts).
  NETWORK_UPDATE: [291, struct({ net, command: uint, section: uint, parentIndex: int, xml: str, flags }), none],
  NETWORK_GET_DHCP_LEASES: [
    341,
    struct({ net, mac: optStr, needResults: int, flags }),
    struct({ leases: array(dhcpLease, Limits.NETWORK_DHCP_LEASES_MAX), ret: uint }),
  ],

  // Host interfaces (read-only use: the udev backend of Debian's libvirt cannot define or change them)
  CONNECT_LIST_ALL_INTERFACES: [284, struct({ needResults: int, flags }), struct({ ifaces: array(interfaceRef, Limits.INTERFACE_LIST_MAX), ret: uint })],
  INTERFACE_LOOKUP_BY_NAME: [128, struct({ name: str }), struct({ iface: interfaceRef })],
  INTERFACE_GET_XML_DESC: [130, struct({ iface: interfaceRef, flags }), struct({ xml: str })],
  INTERFACE_IS_ACTIVE: [156, struct({ iface: interfaceRef }), struct({ active: int })],

  // Storage pools
  CONNECT_LIST_ALL_STORAGE_POOLS: [281, struct({ needResults: int, flags }), struct({ pools: array(pool, Limits.STORAGE_POOL_LIST_MAX), ret: uint })],
  STORAGE_POOL_LOOKUP_BY_NAME: [84, struct({ name: str }), struct({ pool })],
  STORAGE_POOL_LOOKUP_BY_UUID: [85, struct({ uuid }), struct({ pool })],
  STORAGE_POOL_LOOKUP_BY_VOLUME: [86, struct({ vol }), struct({ pool })],
  STORAGE_POOL_CREATE_XML: [76, struct({ xml: str, flags }), struct({ pool })],
  STORAGE_POOL_DEFINE_XML: [77, struct({ xml: str, flags }), struct({ pool })],
  STORAGE_POOL_CREATE: [78, struct({ pool, flags }), none],
  STORAGE_POOL_BUILD: [79, struct({ pool, flags }), none],
  STORAGE_POOL_DESTROY: [80, struct({ pool }), none],
  STORAGE_POOL_DELETE: [81, struct({ pool, flags }), none],
  STORAGE_POOL_UNDEFINE: [82, struct({ pool }), none],
  STORAGE_POOL_REFRESH: [83, struct({ pool, flags }), none],
  // state is an unsigned char, widened to 4 bytes.
  STORAGE_POOL_GET_INFO: [87, struct({ pool }), struct({ state: uint, capacity: uhyper, allocation: uhyper, available: uhyper })],
  STORAGE_POOL_GET_XML_DESC: [88, struct({ pool, flags }), struct({ xml: str })],
  STORAGE_POOL_GET_AUTOSTART: [89, struct({ pool }), struct({ autostart: int })],
  STORAGE_POOL_SET_AUTOSTART: [90, struct({ pool, autostart: int }), none],
  STORAGE_POOL_IS_ACTIVE: [154, struct({ pool }), struct({ active: int })],
  STORAGE_POOL_IS_PERSISTENT: [155, struct({ pool }), struct({ persistent: int })],
  STORAGE_POOL_LIST_ALL_VOLUMES: [282, struct({ pool, needResults: int, flags }), struct({ vols: array(vol, Limits.STORAGE_VOL_LIST_MAX), ret: uint })],

  // Storage volumes
  STORAGE_VOL_CREATE_XML: [93, struct({ pool, xml: str, flags }), struct({ vol })],
  STORAGE_VOL_CREATE_XML_FROM: [125, struct({ pool, xml: str, clonevol: vol, flags }), struct({ vol })],
  STORAGE_VOL_DELETE: [94, struct({ vol, flags }), none],
  STORAGE_VOL_LOOKUP_BY_NAME: [95, struct({ pool, name: str }), struct({ vol })],
  STORAGE_VOL_LOOKUP_BY_KEY: [96, struct({ key: str }), struct({ vol })],
  STORAGE_VOL_LOOKUP_BY_PATH: [97, struct({ path: str }), struct({ vol })],
  // type is a char, widened to 4 bytes.
  STORAGE_VOL_GET_INFO: [98, struct({ vol }), volInfo],
  STORAGE_VOL_GET_INFO_FLAGS: [378, struct({ vol, flags }), volInfo],
  STORAGE_VOL_GET_XML_DESC: [99, struct({ vol, flags }), struct({ xml: str })],
  STORAGE_VOL_GET_PATH: [100, struct({ vol }), struct({ name: str })],
  STORAGE_VOL_WIPE: [165, struct({ vol, flags }), none],
  STORAGE_VOL_RESIZE: [260, struct({ vol, capacity: uhyper, flags }), none],
  STORAGE_VOL_UPLOAD: [208, struct({ vol, offset: uhyper, length: uhyper, flags }), none],
  STORAGE_VOL_DOWNLOAD: [209, struct({ vol, offset: uhyper, length: uhyper, flags }), none],

  // Event registration
  CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: [316, struct({ eventID: int, dom: optional(dom) }), struct({ callbackID: int })],
  CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: [317, struct({ callbackID: int }), none],
  CONNECT_NETWORK_EVENT_REGISTER_ANY: [313, struct({ eventID: int, net: optional(net) }), struct({ callbackID: int })],
  CONNECT_NETWORK_EVENT_DEREGISTER_ANY: [314, struct({ callbackID: int }), none],
  CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY: [368, struct({ eventID: int, pool: optional(pool) }), struct({ callbackID: int })],
  CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY: [369, struct({ callbackID: int }), none],
});

/** Event messages the daemon sends (type MESSAGE), by procedure number, with their payloads. */
export const EventMsg = table({
  NETWORK_EVENT_LIFECYCLE: [315, struct({ callbackID: int, net, event: int, detail: int }), none],
  DOMAIN_EVENT_CALLBACK_LIFECYCLE: [318, struct({ callbackID: int, dom, event: int, detail: int }), none],
  DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE: [331, struct({ callbackID: int, dom, actual: uhyper }), none],
  DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED: [333, struct({ callbackID: int, dom, devAlias: str }), none],
  STORAGE_POOL_EVENT_LIFECYCLE: [370, struct({ callbackID: int, pool, event: int, detail: int }), none],
});
