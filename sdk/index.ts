/**
 * pulumi-virt: libvirt domains, networks, storage pools, volumes, cloud-init seeds and snapshots as Pulumi
 * resources. The resource modules (and types.ts) are generated from the spec tables (scripts/gen-sdk.ts); the
 * lookups (getDomainStats, getHostInterfaces) are written by hand.
 */
export * from "./types";
export * from "./storagePool";
export * from "./volume";
export * from "./network";
export * from "./domain";
export * from "./cloudInitDisk";
export * from "./domainSnapshot";
export { getDomainStats } from "./stats";
export type { GetDomainStatsArgs, DomainStats, DomainBlockStats, DomainNicStats } from "./stats";
export { getHostInterfaces, getHostInterfacesOutput } from "./hostInterfaces";
export type {
  GetHostInterfacesArgs,
  GetHostInterfacesOutputArgs,
  HostInterface,
  HostInterfaceAddress,
  HostInterfacePort,
  HostInterfaces,
} from "./hostInterfaces";
