/** pulumi-virt: libvirt domains, networks, storage pools and volumes as Pulumi resources. */
export { StoragePool } from "./storagePool";
export type { StoragePoolArgs, PermissionsArgs } from "./storagePool";
export { Volume } from "./volume";
export type { VolumeArgs, VolumeRefArgs } from "./volume";
export type { ConnectionArgs } from "./provider";
export { Network } from "./network";
export type { NetworkArgs, NetworkIpArgs, DhcpHostArgs } from "./network";
export { Domain } from "./domain";
export type { DomainArgs, DomainDiskArgs, DomainMetadataArgs, DomainNicArgs, DomainInterfaceAddresses } from "./domain";
export { CloudInitDisk } from "./cloudInitDisk";
export type { CloudInitDiskArgs, CloudInitMetaDataArgs } from "./cloudInitDisk";
export { getDomainStats } from "./stats";
export type { GetDomainStatsArgs, DomainStats, DomainBlockStats, DomainNicStats } from "./stats";
export { getHostInterfaces, getHostInterfacesOutput } from "./hostInterfaces";
export type { GetHostInterfacesArgs, GetHostInterfacesOutputArgs, HostInterface, HostInterfaceAddress, HostInterfacePort, HostInterfaces } from "./hostInterfaces";
export { DomainSnapshot } from "./domainSnapshot";
export type { DomainSnapshotArgs } from "./domainSnapshot";
