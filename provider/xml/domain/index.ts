/**
 * `<domain>`: typed model, build (virDomainDefineXML), parse (virDomainGetXMLDesc), apply (edit the current
 * XML, keeping what the model does not cover), single-device XML for hot-plug, and findDevice.
 */
export { buildDomainXml } from "./build";
export { parseDomainXml } from "./parse";
export { applyDomainXml } from "./apply";
export type { ApplyOptions } from "./apply";
export { deviceXml, findDevice } from "./device-xml";
export type { DeviceKindName, DeviceTypes, DeviceXmlOptions } from "./device-xml";
export { canonicalOsType, sameMachine } from "./os";
export { TUNING_ELEMENTS } from "./tuning";
export type { DomainTuning } from "./tuning";
export { canonicalDeviceXml, extraDeviceMatches } from "./devices/extra";
export { canonicalMetadataXml, metadataPrefixProblem, metadataXmlProblem, sameMetadataXml } from "./metadata";
export type { DomainMetadataElement } from "./metadata";
export type {
  BootDevice,
  DomainCpu,
  DomainDevices,
  DomainFeatures,
  DomainLoader,
  DomainModel,
  DomainNvram,
  DomainOs,
  DomainType,
  DomainVcpu,
  LifecycleAction,
  OsType,
  XenFeatures,
} from "./model";
export type { DeviceAddress, DeviceInfo } from "./util";
export type { DiskBus, DiskDevice, DiskDriver, DiskSource, DomainDisk, NetworkDiskHost } from "./devices/disk";
export type { BridgeInterface, DirectInterface, DomainInterface, NetworkInterface } from "./devices/interface";
export type { DomainGraphics, DomainVideo } from "./devices/graphics";
export type { DomainChannel, DomainChardev, FileChardev, PtyChardev } from "./devices/chardev";
export type { DomainMemballoon, DomainRng, DomainTpm } from "./devices/misc";
export type { DomainFilesystem } from "./devices/filesystem";
