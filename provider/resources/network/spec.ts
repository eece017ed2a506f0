import type { PropType, ResourceSpec } from "../../diff";

export const NETWORK_MODES = ["nat", "route", "open", "isolated", "bridge"] as const;

const LIVE = "updated live, network not restarted";
/** libvirt restarts the network's dnsmasq for a range change (not for hosts): say so. */
const RANGE_LIVE = "updated live; the network keeps running, its DHCP server restarts";

/** `<dhcp><host>`: a static lease. Matched by ip, which libvirt requires and which is unique in a network. */
const dhcpHost: PropType = {
  kind: "object",
  name: "DhcpHost",
  properties: {
    mac: { type: { kind: "string", format: "mac" }, doc: "The guest NIC's MAC address (IPv4 only; read back lower-case).", update: "live", verb: LIVE },
    id: {
      type: { kind: "string" },
      doc: 'The client\'s DHCP identifier, hex digits and colons: for IPv6 its DUID, e.g. "0:3:0:1:52:54:0:a:b:10".',
      update: "live",
      verb: LIVE,
    },
    name: {
      type: { kind: "string" },
      doc: "Host name handed out with the lease. An IPv4 host needs mac or name; an IPv6 host id or name.",
      update: "live",
      verb: LIVE,
    },
    ip: {
      type: { kind: "string", format: "ip" },
      doc: "The address to give it, inside the subnet; identifies the entry.",
      required: true,
      update: "live",
      verb: LIVE,
    },
  },
};

/** `<dhcp><range>`: matched by start. */
const dhcpRange: PropType = {
  kind: "object",
  name: "DhcpRange",
  properties: {
    start: { type: { kind: "string", format: "ip" }, doc: "First address handed out, inside the subnet.", required: true, update: "live", verb: RANGE_LIVE },
    end: {
      type: { kind: "string", format: "ip" },
      doc: "Last address handed out (inclusive), not before start.",
      required: true,
      update: "live",
      verb: RANGE_LIVE,
    },
  },
};

/** `<ip>`: the address list and each address and prefix replace the network; DHCP inside it changes live. */
const ip: PropType = {
  kind: "object",
  name: "NetworkIp",
  properties: {
    address: {
      type: { kind: "string", format: "ip" },
      doc: 'The bridge\'s address on the network (the guests\' gateway), e.g. "10.0.50.1" or "fd00:50::1".',
      required: true,
      update: "replace",
    },
    prefix: { type: { kind: "integer", min: 1, max: 128 }, doc: "Prefix length: 1 to 32 for IPv4, 1 to 128 for IPv6.", required: true, update: "replace" },
    family: { type: { kind: "string", enum: ["ipv4", "ipv6"] }, doc: "ipv4 or ipv6; derived from the address when omitted.", update: "replace" },
    dhcp: {
      type: {
        kind: "object",
        properties: {
          ranges: {
            type: { kind: "array", items: dhcpRange, key: "start" },
            doc: "Address ranges handed out dynamically, matched by start.",
            default: [],
            update: "live",
            verb: RANGE_LIVE,
          },
          hosts: { type: { kind: "array", items: dhcpHost, key: "ip" }, doc: "Static leases, matched by ip.", default: [], update: "live", verb: LIVE },
        },
      },
      doc: "DHCP on this address (libvirt serves it on one IPv4 and one IPv6 address per network). Changed live.",
      update: "live",
      verb: LIVE,
    },
  },
};

/** virt:Network — the spec table. */
export const networkSpec: ResourceSpec = {
  token: "virt:Network",
  className: "Network",
  module: "network",
  doc:
    "A libvirt virtual network: NAT, routed, open, isolated (no forwarding), or an existing host bridge. Defined, " +
    "started and set to autostart. DHCP ranges, DHCP hosts and DNS hosts change live and in the config " +
    "(virNetworkUpdate) without restarting the network, so attached guests keep their links; autostart applies " +
    "live. A change of mode, bridge, MTU, domain or addresses replaces the network, and the plan names the " +
    "running domains attached to it. Deleting (or replacing) it is refused while running domains are attached, " +
    "naming them, unless `forceDelete` is set.",
  inputs: {
    name: { type: { kind: "string", format: "name" }, doc: "The network's name, unique on the host.", required: true, update: "replace" },
    mode: {
      type: { kind: "string", enum: NETWORK_MODES },
      doc: 'Forwarding: "nat" (default), "route", "open", "isolated" (no forwarding), or "bridge" (hand guests to an existing host bridge).',
      default: "nat",
      update: "replace",
    },
    bridge: {
      type: {
        kind: "object",
        properties: {
          name: {
            type: { kind: "string", format: "bridgeName" },
            doc: "Bridge device name; libvirt picks a free virbrN when omitted. Required for mode bridge: an existing Linux bridge of the host, which check looks up (refused when the host has none of that name, or it is not a bridge).",
            update: "replace",
          },
          stp: { type: { kind: "boolean" }, doc: "Spanning tree protocol on the bridge (libvirt's default: on).", update: "replace" },
          delay: { type: { kind: "integer", min: 0 }, doc: "Forward delay in seconds (libvirt's default: 0).", update: "replace" },
        },
      },
      doc: "The bridge device. For mode bridge, the existing host bridge (name only).",
      update: "replace",
    },
    mtu: { type: { kind: "integer", min: 68, max: 65535 }, doc: "MTU of the bridge in bytes; default: the kernel's (1500).", update: "replace" },
    domain: {
      type: {
        kind: "object",
        properties: {
          name: { type: { kind: "string" }, doc: 'DNS domain, e.g. "lab.internal".', required: true, update: "replace" },
          localOnly: { type: { kind: "boolean" }, doc: "Answer queries for the domain only locally, never forward them.", update: "replace" },
        },
      },
      doc: "The DNS domain of the network's DHCP/DNS server.",
      update: "replace",
    },
    ips: {
      type: { kind: "array", items: ip, key: "address" },
      doc: "The bridge's addresses, matched by address, each with optional DHCP. Adding or removing an address, or changing its prefix, replaces the network; DHCP ranges and hosts change live.",
      update: "replace",
    },
    dnsHosts: {
      type: {
        kind: "array",
        key: "ip",
        items: {
          kind: "object",
          name: "NetworkDnsHost",
          properties: {
            ip: { type: { kind: "string", format: "ip" }, doc: "The address the names resolve to.", required: true, update: "live", verb: LIVE },
            hostnames: {
              type: { kind: "array", items: { kind: "string" } },
              doc: "Names answered for ip; at least one.",
              required: true,
              update: "live",
              verb: LIVE,
            },
          },
        },
      },
      doc: "Extra names the network's DNS server answers, matched by ip. Changed live.",
      update: "live",
      verb: LIVE,
    },
    autostart: { type: { kind: "boolean" }, doc: "Start the network when the host boots.", default: true, update: "live", verb: "set live" },
    forceDelete: {
      type: { kind: "boolean" },
      doc:
        "Delete (or replace) the network even while running domains are attached to it: they lose their link. " +
        "Default false: the delete is refused and names them. Recorded by an up before a destroy uses it.",
      default: false,
      update: "live",
      control: true,
    },
  },
  outputs: {
    uuid: { type: { kind: "string" }, doc: "The network's UUID." },
    bridgeName: { type: { kind: "string" }, doc: 'The bridge device the network uses, e.g. "virbr3" (the host bridge for mode bridge).' },
    uri: { type: { kind: "string" }, doc: "The libvirt URI the network lives on." },
  },
};
