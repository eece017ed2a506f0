import type { Connection } from "../connection";
import { Proc } from "../protocol/procedures";
import { toSafeNumber } from "./convert";

export interface NodeInfo {
  /** CPU model string, e.g. `x86_64`. */
  model: string;
  /** Host memory in KiB. */
  memoryKiB: bigint;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

/** Connection- and host-level calls. */
export class HostApi {
  constructor(private readonly conn: Connection) {}

  /** virConnectGetLibVersion: the daemon's libvirt version as major×1e6 + minor×1e3 + micro (9.0.0 → 9000000). */
  async getLibVersion(): Promise<number> {
    const r = await this.conn.call(Proc.CONNECT_GET_LIB_VERSION, undefined);
    return toSafeNumber(r.libVer, "library version");
  }

  /** virConnectGetVersion: the hypervisor's version (QEMU 7.2.0 → 7002000; 2 for the test driver). */
  async getVersion(): Promise<number> {
    const r = await this.conn.call(Proc.CONNECT_GET_VERSION, undefined);
    return toSafeNumber(r.hvVer, "hypervisor version");
  }

  /** virConnectGetType: the driver name, e.g. `QEMU`, `TEST`, `Xen`. */
  async getType(): Promise<string> {
    return (await this.conn.call(Proc.CONNECT_GET_TYPE, undefined)).type;
  }

  /** virConnectGetHostname */
  async getHostname(): Promise<string> {
    return (await this.conn.call(Proc.CONNECT_GET_HOSTNAME, undefined)).hostname;
  }

  /** virConnectGetURI: the URI as the daemon sees it. */
  async getURI(): Promise<string> {
    return (await this.conn.call(Proc.CONNECT_GET_URI, undefined)).uri;
  }

  /** virConnectIsSecure */
  async isSecure(): Promise<boolean> {
    return (await this.conn.call(Proc.CONNECT_IS_SECURE, undefined)).secure === 1;
  }

  /** virConnectGetCapabilities: the host capabilities XML (guest types, arches, machines). */
  async getCapabilities(): Promise<string> {
    return (await this.conn.call(Proc.CONNECT_GET_CAPABILITIES, undefined)).capabilities;
  }

  /** virConnectGetDomainCapabilities: what a domain of this emulator/arch/machine/virttype may use (XML). */
  async getDomainCapabilities(opts: { emulatorbin?: string; arch?: string; machine?: string; virttype?: string } = {}): Promise<string> {
    const r = await this.conn.call(Proc.CONNECT_GET_DOMAIN_CAPABILITIES, {
      emulatorbin: opts.emulatorbin ?? null,
      arch: opts.arch ?? null,
      machine: opts.machine ?? null,
      virttype: opts.virttype ?? null,
      flags: 0,
    });
    return r.capabilities;
  }

  /** virNodeGetInfo */
  async nodeGetInfo(): Promise<NodeInfo> {
    const r = await this.conn.call(Proc.NODE_GET_INFO, undefined);
    const { memory, ...rest } = r;
    return { ...rest, memoryKiB: memory };
  }

  /** virConnectSupportsFeature (internal driver features, e.g. 16 NETWORK_UPDATE_HAS_CORRECT_ORDER). */
  async supportsFeature(feature: number): Promise<boolean> {
    return (await this.conn.call(Proc.CONNECT_SUPPORTS_FEATURE, { feature })).supported === 1;
  }
}
