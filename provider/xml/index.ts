/**
 * Typed libvirt XML documents: storage pools, volumes and networks, each with build (model → XML for
 * define/create), parse (XML → model for read) and apply (current XML + model → edited XML that keeps
 * everything we do not manage). The only place the XML library is imported is ./document.
 */
export { XmlError, parseXml, serializeXml } from "./document";
export type { XmlCData, XmlComment, XmlElement, XmlNode, XmlText } from "./document";
export { normalizeMode, toBytes } from "./common";
export type { Permissions } from "./common";
export { applyPoolXml, buildPoolXml, parsePoolXml } from "./pool";
export type { DirPool, DiskPool, FsPool, IscsiPool, LogicalPool, NetfsPool, PoolTarget, PoolType, StoragePool, StoragePoolState } from "./pool";
export { applyVolumeXml, buildVolumeXml, parseVolumeXml } from "./volume";
export type { BackingStore, Volume, VolumeFormat, VolumeState } from "./volume";
export { applyNetworkXml, buildNetworkXml, dhcpHostXml, dhcpRangeXml, dnsHostXml, parseNetworkXml } from "./network";
export type { DnsHost, HostBridgeNetwork, Network, NetworkBridge, NetworkDomain, NetworkMode, NetworkState, RoutedNetwork } from "./network";
export type { DhcpHost, DhcpRange, NetworkDhcp, NetworkIp } from "./network-ip";
export { canonicalIp, netmaskToPrefix } from "./network-ip";
export {
  applyDomainXml,
  buildDomainXml,
  canonicalDeviceXml,
  canonicalOsType,
  deviceXml,
  extraDeviceMatches,
  findDevice,
  parseDomainXml,
  sameMachine,
} from "./domain";
export { canonicalMetadataXml, metadataPrefixProblem, metadataXmlProblem, sameMetadataXml } from "./domain";
export type {
  ApplyOptions,
  DeviceKindName,
  DomainDevices,
  DomainDisk,
  DomainInterface,
  DomainMetadataElement,
  DomainModel,
  DomainOs,
  DomainTuning,
} from "./domain";
export { parseInterfaceXml } from "./interface";
export type { HostInterfaceAddress, HostInterfaceXml } from "./interface";
export { buildSnapshotXml, parseSnapshotXml } from "./snapshot";
export type { DomainSnapshotSpec, DomainSnapshotState, SnapshotDiskSpec, SnapshotKind } from "./snapshot";
