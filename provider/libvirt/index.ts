/** The pure-TypeScript libvirt client. Knows nothing of Pulumi, XML models or diffs. */
export { Libvirt } from "./client";
export { Connection } from "./connection";
export type { ConnectionOptions, DaemonFeatures } from "./connection";
export * from "./constants";
export * from "./errors";
export type { DomainRef, DomainSnapshotRef, InterfaceRef, NetworkRef, PoolRef, TypedParam, VolRef } from "./protocol/types";
export { TypedParamType } from "./protocol/types";
export type { DomainInfo, InterfaceAddresses } from "./api/domains";
export type { DhcpLease } from "./api/networks";
export type { PoolInfo, VolInfo, UploadSource } from "./api/storage";
export type { NodeInfo } from "./api/host";
export type * from "./api/events";
export { uuidBytes, uuidString, toSafeNumber } from "./api/convert";
export { parseUri } from "./transport";
export type { Target } from "./transport/types";
