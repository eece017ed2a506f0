import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, forwarder, ownerInput } from "./provider";

const provider = forwarder("network", "network");

/** A static DHCP lease. Hosts are matched by `ip`: changing a host's address removes it and adds it anew (both live). */
export interface DhcpHostArgs {
  /** The guest NIC's MAC address (IPv4). */
  mac?: pulumi.Input<string>;
  /** The client's DUID (IPv6 hosts, which libvirt identifies by id or name, not MAC). */
  id?: pulumi.Input<string>;
  /** Host name handed out with the lease. */
  name?: pulumi.Input<string>;
  /** The address to give it (inside the subnet). */
  ip: pulumi.Input<string>;
}

/** An address of the network's bridge, with optional DHCP. */
export interface NetworkIpArgs {
  /** The bridge's address, e.g. "10.0.50.1" or "fd00:50::1". A change replaces the network. */
  address: pulumi.Input<string>;
  /** Prefix length, e.g. 24. A change replaces the network. */
  prefix: pulumi.Input<number>;
  /** "ipv4" or "ipv6"; derived from the address when omitted. */
  family?: pulumi.Input<"ipv4" | "ipv6">;
  /** DHCP: address ranges and static hosts. Changed live, without restarting the network. */
  dhcp?: pulumi.Input<{
    ranges?: pulumi.Input<pulumi.Input<{ start: pulumi.Input<string>; end: pulumi.Input<string> }>[]>;
    hosts?: pulumi.Input<pulumi.Input<DhcpHostArgs>[]>;
  }>;
}

export interface NetworkArgs {
  /** The network's name, unique on the host. A change replaces the network. */
  name: pulumi.Input<string>;
  /** "nat" (default), "route", "open", "isolated" (no forwarding), or "bridge" (an existing host bridge). A change replaces it. */
  mode?: pulumi.Input<"nat" | "route" | "open" | "isolated" | "bridge">;
  /**
   * The bridge: its name (assigned when omitted; required for mode "bridge": an existing Linux bridge of the host, looked up at
   * check — see `getHostInterfaces`), STP and forward delay. A change replaces it.
   */
  bridge?: pulumi.Input<{ name?: pulumi.Input<string>; stp?: pulumi.Input<boolean>; delay?: pulumi.Input<number> }>;
  /** MTU of the bridge. A change replaces the network. */
  mtu?: pulumi.Input<number>;
  /** DNS domain of the network. A change replaces the network. */
  domain?: pulumi.Input<{ name: pulumi.Input<string>; localOnly?: pulumi.Input<boolean> }>;
  /** The bridge's addresses with DHCP. Addresses replace the network; DHCP ranges and hosts change live. */
  ips?: pulumi.Input<pulumi.Input<NetworkIpArgs>[]>;
  /** DNS host entries served to guests. Changed live. */
  dnsHosts?: pulumi.Input<pulumi.Input<{ ip: pulumi.Input<string>; hostnames: pulumi.Input<pulumi.Input<string>[]> }>[]>;
  /** Start the network when the host boots. Default true. Applied live. */
  autostart?: pulumi.Input<boolean>;
  /**
   * Delete (or replace) the network even while running domains are attached to it (they lose their link). Default
   * false: the delete is refused and names them. Set it with an up before the destroy that needs it.
   */
  forceDelete?: pulumi.Input<boolean>;
  /** Where the network lives; defaults to stack config `virt:uri`, then `LIBVIRT_DEFAULT_URI`. */
  connection?: pulumi.Input<ConnectionArgs>;
  /** Take over an existing network of this name instead of failing. Default false. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A libvirt virtual network. DHCP hosts, DHCP ranges and DNS hosts change live and in the config with no restart
 * of the network and no effect on attached guests; autostart applies live; other changes replace the network,
 * and the plan names the running domains attached to it.
 */
export class Network extends pulumi.dynamic.Resource {
  /** The network's name. */
  declare readonly name: pulumi.Output<string>;
  /** The network's UUID. */
  declare readonly uuid: pulumi.Output<string>;
  /** The host bridge the network uses, e.g. "virbr3". */
  declare readonly bridgeName: pulumi.Output<string>;
  /** The libvirt URI the network lives on. */
  declare readonly uri: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { uuid: undefined, bridgeName: undefined, uri: undefined, ...args, __owner: ownerInput("Network", name, opts) }, opts, "virt", "Network");
  }
}
