import type { Connection } from "../connection";
import { Proc } from "../protocol/procedures";
import type { InterfaceRef } from "../protocol/types";

/** Host interface calls (virInterface*). Read-only: listing, lookup, XML and state. */
export class InterfaceApi {
  constructor(private readonly conn: Connection) {}

  /**
   * virConnectListAllInterfaces: the host's interfaces with their MAC addresses (flags ListInterfacesFlags;
   * 0 = active and inactive). The udev backend leaves out bridge ports and tap devices.
   */
  async listAll(flags = 0): Promise<InterfaceRef[]> {
    return (await this.conn.call(Proc.CONNECT_LIST_ALL_INTERFACES, { needResults: 1, flags })).ifaces;
  }

  /** virInterfaceLookupByName: any network device of the host, bridge ports included (error 57 NO_INTERFACE when absent). */
  async lookupByName(name: string): Promise<InterfaceRef> {
    return (await this.conn.call(Proc.INTERFACE_LOOKUP_BY_NAME, { name })).iface;
  }

  /** virInterfaceGetXMLDesc (InterfaceXMLFlags.INACTIVE for the saved config where the backend has one). */
  async getXMLDesc(iface: InterfaceRef, flags = 0): Promise<string> {
    return (await this.conn.call(Proc.INTERFACE_GET_XML_DESC, { iface, flags })).xml;
  }

  /** virInterfaceIsActive: for the udev backend, whether the kernel's operstate is "up". */
  async isActive(iface: InterfaceRef): Promise<boolean> {
    return (await this.conn.call(Proc.INTERFACE_IS_ACTIVE, { iface })).active === 1;
  }
}
