import type { Connection } from "../connection";
import { isUnknownProcedure } from "../errors";
import { Proc } from "../protocol/procedures";
import type { NetworkRef } from "../protocol/types";
import { uuidBytes } from "./convert";

export interface DhcpLease {
  iface: string;
  /** Seconds since the epoch. */
  expirytime: bigint;
  /** IPAddrType: 0 IPv4, 1 IPv6. */
  type: number;
  mac: string | null;
  iaid: string | null;
  ipaddr: string;
  prefix: number;
  hostname: string | null;
  clientid: string | null;
}

/** Network calls. */
export class NetworkApi {
  constructor(private readonly conn: Connection) {}

  /** virConnectListAllNetworks */
  async listAll(flags = 0): Promise<NetworkRef[]> {
    return (await this.conn.call(Proc.CONNECT_LIST_ALL_NETWORKS, { needResults: 1, flags })).nets;
  }

  /** virNetworkLookupByName */
  async lookupByName(name: string): Promise<NetworkRef> {
    return (await this.conn.call(Proc.NETWORK_LOOKUP_BY_NAME, { name })).net;
  }

  /** virNetworkLookupByUUID */
  async lookupByUUID(uuid: Buffer | string): Promise<NetworkRef> {
    return (await this.conn.call(Proc.NETWORK_LOOKUP_BY_UUID, { uuid: uuidBytes(uuid) })).net;
  }

  /** virNetworkDefineXMLFlags (libvirt >= 7.7), falling back to virNetworkDefineXML on older daemons. */
  async defineXML(xml: string, flags = 0): Promise<NetworkRef> {
    try {
      return (await this.conn.call(Proc.NETWORK_DEFINE_XML_FLAGS, { xml, flags })).net;
    } catch (e) {
      if (flags === 0 && isUnknownProcedure(e)) return (await this.conn.call(Proc.NETWORK_DEFINE_XML, { xml })).net;
      throw e;
    }
  }

  /** virNetworkCreateXMLFlags (libvirt >= 7.8): a transient network; falls back to virNetworkCreateXML. */
  async createXML(xml: string, flags = 0): Promise<NetworkRef> {
    try {
      return (await this.conn.call(Proc.NETWORK_CREATE_XML_FLAGS, { xml, flags })).net;
    } catch (e) {
      if (flags === 0 && isUnknownProcedure(e)) return (await this.conn.call(Proc.NETWORK_CREATE_XML, { xml })).net;
      throw e;
    }
  }

  /** virNetworkUndefine */
  async undefine(net: NetworkRef): Promise<void> {
    await this.conn.call(Proc.NETWORK_UNDEFINE, { net });
  }

  /** virNetworkCreate: starts a defined network. */
  async create(net: NetworkRef): Promise<void> {
    await this.conn.call(Proc.NETWORK_CREATE, { net });
  }

  /** virNetworkDestroy: stops it. */
  async destroy(net: NetworkRef): Promise<void> {
    await this.conn.call(Proc.NETWORK_DESTROY, { net });
  }

  /** virNetworkGetXMLDesc (NetworkXMLFlags.INACTIVE for the persistent config). */
  async getXMLDesc(net: NetworkRef, flags = 0): Promise<string> {
    return (await this.conn.call(Proc.NETWORK_GET_XML_DESC, { net, flags })).xml;
  }

  /** virNetworkGetBridgeName */
  async getBridgeName(net: NetworkRef): Promise<string> {
    return (await this.conn.call(Proc.NETWORK_GET_BRIDGE_NAME, { net })).name;
  }

  /** virNetworkGetAutostart */
  async getAutostart(net: NetworkRef): Promise<boolean> {
    return (await this.conn.call(Proc.NETWORK_GET_AUTOSTART, { net })).autostart === 1;
  }

  /** virNetworkSetAutostart */
  async setAutostart(net: NetworkRef, autostart: boolean): Promise<void> {
    await this.conn.call(Proc.NETWORK_SET_AUTOSTART, { net, autostart: autostart ? 1 : 0 });
  }

  /** virNetworkIsActive */
  async isActive(net: NetworkRef): Promise<boolean> {
    return (await this.conn.call(Proc.NETWORK_IS_ACTIVE, { net })).active === 1;
  }

  /** virNetworkIsPersistent */
  async isPersistent(net: NetworkRef): Promise<boolean> {
    return (await this.conn.call(Proc.NETWORK_IS_PERSISTENT, { net })).persistent === 1;
  }

  /**
   * virNetworkUpdate (NetworkUpdateCommand, NetworkUpdateSection, NetworkUpdateFlags LIVE|CONFIG).
   *
   * libvirt's public API long passed command and section to drivers swapped. Daemons that report feature 16
   * (NETWORK_UPDATE_HAS_CORRECT_ORDER) read the wire fields in declared order; for older ones we swap them so
   * the daemon's swap undoes ours.
   */
  async update(net: NetworkRef, command: number, section: number, parentIndex: number, xml: string, flags: number): Promise<void> {
    const swap = !this.conn.features.networkUpdateCorrectOrder;
    await this.conn.call(Proc.NETWORK_UPDATE, {
      net,
      command: swap ? section : command,
      section: swap ? command : section,
      parentIndex,
      xml,
      flags,
    });
  }

  /** virNetworkGetDHCPLeases (all leases, or those of one MAC). */
  async getDHCPLeases(net: NetworkRef, mac?: string): Promise<DhcpLease[]> {
    return (await this.conn.call(Proc.NETWORK_GET_DHCP_LEASES, { net, mac: mac ?? null, needResults: 1, flags: 0 })).leases;
  }
}
