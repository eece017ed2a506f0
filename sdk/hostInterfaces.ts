import * as pulumi from "@pulumi/pulumi";
import type { HostInterfaces } from "../provider/resources/host-interfaces";
import { configuredUri } from "./provider";
import type { ConnectionArgs } from "./types";

export type { HostInterface, HostInterfacePort, HostInterfaces } from "../provider/resources/host-interfaces";
export type { HostInterfaceAddress } from "../provider/resources/host-interfaces";

/** Arguments of `getHostInterfaces`. */
export interface GetHostInterfacesArgs {
  /** The host to ask: `{ uri }`; defaults to stack config `virt:uri`, then `LIBVIRT_DEFAULT_URI`, as resources do. */
  connection?: { uri?: string };
}

/** Arguments of `getHostInterfacesOutput`: the same, as inputs (e.g. a URI that is another resource's output). */
export interface GetHostInterfacesOutputArgs {
  connection?: pulumi.Input<ConnectionArgs>;
}

/**
 * The host's network interfaces and bridges, read through libvirt (virConnectListAllInterfaces,
 * virInterfaceGetXMLDesc) on any connection the resources take — local, `qemu+ssh://`, `qemu+tls://`, ... It runs
 * when the program runs (preview and up alike), opening its own connection and closing it.
 *
 * Each interface has its name, type (`ethernet`, `bridge`, `bond`, `vlan`), MAC, MTU, whether libvirt calls it
 * active, its link state and speed where known, and for a bridge its ports and STP. What libvirt reports depends
 * on its interface backend. On Debian and Ubuntu (the udev backend):
 * - **no IP addresses** (`addresses` is always empty; use `ip addr` on the host);
 * - active means the kernel's operstate is `up`: a bridge without a running port and `lo` are inactive;
 * - bridge ports and tap devices are not listed on their own, and a bridge's `ports` leave out guests' taps
 *   (`vnet0`, `vnet1`, ...): a running guest on the bridge does not show here (`virsh domiflist` shows it);
 * - only libvirtd's own network namespace is seen.
 * The netcf backend (other distributions) also reports addresses. A connection with no interface driver fails
 * with an error saying so.
 *
 * ```ts
 * const host = await virt.getHostInterfaces({ connection: { uri: "qemu+ssh://root@hv1/system" } });
 * const br = host.bridges.find((b) => b.name === "br0");
 * ```
 */
export async function getHostInterfaces(args: GetHostInterfacesArgs = {}): Promise<HostInterfaces> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the lookup runs, not when the SDK is imported
  const impl: typeof import("../provider/resources/host-interfaces") = require("../provider/resources/host-interfaces");
  return impl.getHostInterfaces(args.connection !== undefined ? { connection: args.connection } : {}, configuredUri());
}

/** `getHostInterfaces` with inputs and an Output result, for use inside `apply` chains and as resource inputs. */
export function getHostInterfacesOutput(args: GetHostInterfacesOutputArgs = {}): pulumi.Output<HostInterfaces> {
  return pulumi
    .output(args)
    .apply((a) =>
      getHostInterfaces(a.connection !== undefined ? { connection: { ...(a.connection.uri !== undefined ? { uri: a.connection.uri } : {}) } } : {}),
    );
}
