/** pulumi-virt: libvirt domains, networks, storage pools and volumes as Pulumi resources. */
export { StoragePool } from "./storagePool";
export type { StoragePoolArgs, PermissionsArgs } from "./storagePool";
export type { ConnectionArgs } from "./provider";
