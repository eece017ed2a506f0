/**
 * The shared structures of libvirt's REMOTE program (remote_protocol.x), written from the documented layout in
 * shared/docs/libvirt-protocol.md §2.4–2.5. Field order is wire order.
 */
import { array, fixedOpaque, Infer, int, optional, string, struct, union, uint, hyper, uhyper, double, bool } from "../xdr";

/** REMOTE_STRING_MAX: the longest string the daemon decodes (4 MiB). */
export const STRING_MAX = 4194304;

export const Limits = {
  DOMAIN_LIST_MAX: 16384,
  NETWORK_LIST_MAX: 16384,
  INTERFACE_LIST_MAX: 16384,
  STORAGE_POOL_LIST_MAX: 4096,
  STORAGE_VOL_LIST_MAX: 16384,
  AUTH_TYPE_LIST_MAX: 20,
  NETWORK_DHCP_LEASES_MAX: 65536,
  DOMAIN_INTERFACE_MAX: 2048,
  DOMAIN_IP_ADDR_MAX: 2048,
  DOMAIN_SNAPSHOT_LIST_MAX: 1024,
  CONNECT_GET_ALL_DOMAIN_STATS_MAX: 4096,
  TYPED_PARAMS_MAX: 4096,
  DOMAIN_MIGRATE_PARAM_LIST_MAX: 64,
  DOMAIN_JOB_STATS_MAX: 64,
  DOMAIN_MEMORY_PARAMETERS_MAX: 16,
  DOMAIN_BLKIO_PARAMETERS_MAX: 16,
  DOMAIN_SCHEDULER_PARAMETERS_MAX: 16,
  MIGRATE_COOKIE_MAX: 4194304,
} as const;

/** remote_nonnull_string */
export const str = string(STRING_MAX);
/** remote_string: a string that may be NULL (`null` here). */
export const optStr = optional(str);
/** remote_uuid: 16 raw bytes, no length word. */
export const uuid = fixedOpaque(16);

/** remote_nonnull_domain. The daemon resolves a handle by UUID; `id` (-1 when inactive) may be stale. */
export const domainRef = struct({ name: str, uuid, id: int });
export type DomainRef = Infer<typeof domainRef>;
/** remote_nonnull_domain_snapshot: a snapshot is named within its domain. */
export const domainSnapshotRef = struct({ name: str, dom: domainRef });
export type DomainSnapshotRef = Infer<typeof domainSnapshotRef>;

/** remote_nonnull_network */
export const networkRef = struct({ name: str, uuid });
export type NetworkRef = Infer<typeof networkRef>;

/** remote_nonnull_interface: a host interface is named by its name and MAC (text), no UUID. */
export const interfaceRef = struct({ name: str, mac: str });
export type InterfaceRef = Infer<typeof interfaceRef>;

/** remote_nonnull_storage_pool */
export const poolRef = struct({ name: str, uuid });
export type PoolRef = Infer<typeof poolRef>;

/** remote_nonnull_storage_vol. For dir pools the key is the file path. */
export const volRef = struct({ pool: str, name: str, key: str });
export type VolRef = Infer<typeof volRef>;

/** remote_error: every `remote_string`/`remote_domain`/`remote_network` is a presence word then the value. */
export const remoteError = struct({
  code: int,
  domain: int,
  message: optStr,
  level: int,
  dom: optional(domainRef),
  str1: optStr,
  str2: optStr,
  str3: optStr,
  int1: int,
  int2: int,
  net: optional(networkRef),
});
export type RemoteError = Infer<typeof remoteError>;

/** virTypedParameterType */
export const TypedParamType = { INT: 1, UINT: 2, LLONG: 3, ULLONG: 4, DOUBLE: 5, BOOLEAN: 6, STRING: 7 } as const;

export type TypedParamValue =
  | { type: 1; value: number }
  | { type: 2; value: number }
  | { type: 3; value: bigint }
  | { type: 4; value: bigint }
  | { type: 5; value: number }
  | { type: 6; value: boolean }
  | { type: 7; value: string };

/** remote_typed_param_value: a union on an int discriminant. */
export const typedParamValue = union<TypedParamValue>({ 1: int, 2: uint, 3: hyper, 4: uhyper, 5: double, 6: bool, 7: str });
/** remote_typed_param */
export const typedParam = struct({ field: str, value: typedParamValue });
export type TypedParam = Infer<typeof typedParam>;
export const typedParams = array(typedParam, Limits.TYPED_PARAMS_MAX);
