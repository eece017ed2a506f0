/**
 * libvirt flag and enum values used by the client and the resources (libvirt 9.0 `libvirt-api.xml`, recorded in
 * shared/docs/libvirt-protocol.md §10). Values never change between releases.
 */

export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;

/** Internal driver features asked with CONNECT_SUPPORTS_FEATURE. */
export const DriverFeature = {
  MIGRATION_P2P: 4,
  MIGRATION_PARAMS: 13,
  PROGRAM_KEEPALIVE: 10,
  REMOTE_EVENT_CALLBACK: 14,
  NETWORK_UPDATE_HAS_CORRECT_ORDER: 16,
} as const;

/** virDomainMigrateFlags */
export const MigrateFlags = {
  LIVE: 1,
  PEER2PEER: 2,
  TUNNELLED: 4,
  PERSIST_DEST: 8,
  UNDEFINE_SOURCE: 16,
  PAUSED: 32,
  NON_SHARED_DISK: 64,
  NON_SHARED_INC: 128,
  CHANGE_PROTECTION: 256,
  UNSAFE: 512,
  OFFLINE: 1024,
  ABORT_ON_ERROR: 4096,
  AUTO_CONVERGE: 8192,
} as const;
/** VIR_MIGRATE_PARAM_* names (typed parameters of the *3_PARAMS calls). */
export const MigrateParam = { BANDWIDTH: "bandwidth", MIGRATE_DISKS: "migrate_disks", DEST_NAME: "destination_name" } as const;
/** virDomainJobType */
export const DomainJobType = { NONE: 0, BOUNDED: 1, UNBOUNDED: 2, COMPLETED: 3, FAILED: 4, CANCELLED: 5 } as const;
/** virDomainGetJobStatsFlags */
export const DomainJobStatsFlags = { COMPLETED: 1, KEEP_COMPLETED: 2 } as const;

export const ConnectFlags = { RO: 1, NO_ALIASES: 2 } as const;

export const ListDomainsFlags = {
  ACTIVE: 1,
  INACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  RUNNING: 16,
  PAUSED: 32,
  SHUTOFF: 64,
} as const;

export const DomainDefineFlags = { VALIDATE: 1 } as const;
export const DomainUndefineFlags = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  KEEP_NVRAM: 8,
  CHECKPOINTS_METADATA: 16,
  TPM: 32,
  KEEP_TPM: 64,
} as const;
export const DomainCreateFlags = { START_PAUSED: 1, AUTODESTROY: 2, BYPASS_CACHE: 4, FORCE_BOOT: 8, VALIDATE: 16 } as const;
export const DomainShutdownFlags = { DEFAULT: 0, ACPI_POWER_BTN: 1, GUEST_AGENT: 2, INITCTL: 4, SIGNAL: 8, PARAVIRT: 16 } as const;
export const DomainDestroyFlags = { DEFAULT: 0, GRACEFUL: 1 } as const;
export const DomainXMLFlags = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;
/** virDomainModificationImpact, also the device-modify flags (plus FORCE=4). */
export const Impact = { CURRENT: 0, LIVE: 1, CONFIG: 2 } as const;
export const MemoryFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, MAXIMUM: 4 } as const;
export const VcpuFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, MAXIMUM: 4, GUEST: 8, HOTPLUGGABLE: 16 } as const;
export const DeviceModifyFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, FORCE: 4 } as const;
export const InterfaceAddressesSource = { LEASE: 0, AGENT: 1, ARP: 2 } as const;
export const IPAddrType = { IPV4: 0, IPV6: 1 } as const;
export const DomainMetadataType = { DESCRIPTION: 0, TITLE: 1, ELEMENT: 2 } as const;

export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

export const DomainEventID = { LIFECYCLE: 0, BALLOON_CHANGE: 13, DEVICE_REMOVED: 15 } as const;
export const DomainEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;
export const NetworkEventID = { LIFECYCLE: 0 } as const;
export const StoragePoolEventID = { LIFECYCLE: 0 } as const;

export const NetworkUpdateCommand = { MODIFY: 1, DELETE: 2, ADD_LAST: 3, ADD_FIRST: 4 } as const;
export const NetworkUpdateSection = {
  BRIDGE: 1,
  DOMAIN: 2,
  IP: 3,
  IP_DHCP_HOST: 4,
  IP_DHCP_RANGE: 5,
  FORWARD: 6,
  FORWARD_INTERFACE: 7,
  FORWARD_PF: 8,
  PORTGROUP: 9,
  DNS_HOST: 10,
  DNS_TXT: 11,
  DNS_SRV: 12,
} as const;
export const NetworkUpdateFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2 } as const;
export const NetworkXMLFlags = { INACTIVE: 1 } as const;

export const StoragePoolBuildFlags = { NEW: 0, REPAIR: 1, RESIZE: 2, NO_OVERWRITE: 4, OVERWRITE: 8 } as const;
export const StoragePoolCreateFlags = { WITH_BUILD: 1, WITH_BUILD_OVERWRITE: 2, WITH_BUILD_NO_OVERWRITE: 4 } as const;
export const StoragePoolDeleteFlags = { NORMAL: 0, ZEROED: 1 } as const;
export const StoragePoolState = { INACTIVE: 0, BUILDING: 1, RUNNING: 2, DEGRADED: 3, INACCESSIBLE: 4 } as const;
export const StorageXMLFlags = { INACTIVE: 1 } as const;

export const StorageVolCreateFlags = { PREALLOC_METADATA: 1, REFLINK: 2, VALIDATE: 4 } as const;
export const StorageVolDeleteFlags = { NORMAL: 0, ZEROED: 1, WITH_SNAPSHOTS: 2 } as const;
export const StorageVolResizeFlags = { ALLOCATE: 1, DELTA: 2, SHRINK: 4 } as const;
export const StorageVolType = { FILE: 0, BLOCK: 1, DIR: 2, NETWORK: 3, NETDIR: 4, PLOOP: 5 } as const;

/** virConnectListAllInterfacesFlags (0 lists both). */
export const ListInterfacesFlags = { INACTIVE: 1, ACTIVE: 2 } as const;
/** virInterfaceXMLFlags */
export const InterfaceXMLFlags = { INACTIVE: 1 } as const;

/** virDomainSnapshotCreateFlags */
export const DomainSnapshotCreateFlags = {
  REDEFINE: 1,
  CURRENT: 2,
  NO_METADATA: 4,
  HALT: 8,
  DISK_ONLY: 16,
  REUSE_EXT: 32,
  QUIESCE: 64,
  ATOMIC: 128,
  LIVE: 256,
  VALIDATE: 512,
} as const;
/** virDomainSnapshotRevertFlags */
export const DomainSnapshotRevertFlags = { RUNNING: 1, PAUSED: 2, FORCE: 4, RESET_NVRAM: 8 } as const;
/** virDomainSnapshotDeleteFlags */
export const DomainSnapshotDeleteFlags = { CHILDREN: 1, METADATA_ONLY: 2, CHILDREN_ONLY: 4 } as const;
