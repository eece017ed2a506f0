import { DomainApi } from "./api/domains";
import { EventApi } from "./api/events";
import { HostApi } from "./api/host";
import { InterfaceApi } from "./api/interfaces";
import { NetworkApi } from "./api/networks";
import { PoolApi, VolumeApi } from "./api/storage";
import { Connection, ConnectionOptions } from "./connection";

/**
 * The libvirt client: one connection and the typed calls, grouped by object kind.
 *
 * ```ts
 * const lv = await Libvirt.connect("qemu:///system");
 * const dom = await lv.domains.lookupByName("web");
 * await lv.domains.setMemoryFlags(dom, 524288n, MemoryFlags.LIVE | MemoryFlags.CONFIG);
 * await lv.close();
 * ```
 */
export class Libvirt {
  readonly host: HostApi;
  readonly domains: DomainApi;
  readonly networks: NetworkApi;
  readonly pools: PoolApi;
  readonly volumes: VolumeApi;
  readonly events: EventApi;
  readonly interfaces: InterfaceApi;

  constructor(readonly connection: Connection) {
    this.host = new HostApi(connection);
    this.domains = new DomainApi(connection);
    this.networks = new NetworkApi(connection);
    this.pools = new PoolApi(connection);
    this.volumes = new VolumeApi(connection);
    this.events = new EventApi(connection);
    this.interfaces = new InterfaceApi(connection);
  }

  /** Connects to a libvirt URI (see README "Connecting") and completes the handshake. */
  static async connect(uri: string, options?: ConnectionOptions): Promise<Libvirt> {
    return new Libvirt(await Connection.open(uri, options));
  }

  get uri(): string {
    return this.connection.uri;
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
