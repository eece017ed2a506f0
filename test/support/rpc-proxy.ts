/**
 * A unix-socket proxy between a libvirt client and a daemon that sees every packet, for fault tests that must
 * strike at an exact step: "kill the daemon when the client calls NETWORK_CREATE", "kill the provider once the
 * daemon answered DOMAIN_DEFINE_XML_FLAGS", "after the 5th data packet of an upload". Packets are forwarded
 * whole and unchanged; a rule fires once, before the packet it matched is forwarded (that packet is dropped).
 */
import { connect, createServer, Server, Socket } from "node:net";
import { join } from "node:path";
import { Framer } from "../../provider/libvirt/rpc/framer";
import { PacketType, Program, readHeader } from "../../provider/libvirt/rpc/packet";

export type Rule =
  | { on: "call"; procedure: number; then: () => void | Promise<void> }
  | { on: "reply"; procedure: number; then: () => void | Promise<void> }
  | { on: "stream"; count: number; then: () => void | Promise<void> };

export class RpcProxy {
  readonly socket: string;
  private server: Server | null = null;
  private rule: Rule | null = null;
  private readonly pairs: Socket[] = [];
  fired = false;
  /**
   * Sees every whole packet that is forwarded, in the order the proxy forwards it ("up": client to daemon,
   * "down": daemon to client); a copy the callee may keep. test/support/capture-packets.ts records golden packets here.
   */
  tap: ((direction: "up" | "down", packet: Buffer) => void) | null = null;

  constructor(
    dir: string,
    private readonly daemonSocket: string,
  ) {
    this.socket = join(dir, "proxy-sock");
  }

  /** The URI to give the client. */
  uri(driverUri = "qemu:///system"): string {
    return `${driverUri}?socket=${this.socket}`;
  }

  arm(rule: Rule): void {
    this.rule = rule;
    this.fired = false;
  }

  /** Drops every proxied connection (as a dying peer would). */
  dropAll(): void {
    for (const s of this.pairs.splice(0)) s.destroy();
  }

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((r) => this.server!.listen(this.socket, r));
  }

  async stop(): Promise<void> {
    this.dropAll();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }

  private accept(client: Socket): void {
    const daemon = connect(this.daemonSocket);
    this.pairs.push(client, daemon);
    const procBySerial = new Map<number, number>();
    let streamPackets = 0;
    const kill = (): void => {
      client.destroy();
      daemon.destroy();
    };
    client.on("error", kill);
    daemon.on("error", kill);
    client.on("close", kill);
    daemon.on("close", kill);
    const fire = (): boolean => {
      const rule = this.rule!;
      this.rule = null;
      this.fired = true;
      void Promise.resolve(rule.then()).finally(kill);
      return true;
    };
    const up = new Framer((buf, start, end) => {
      const h = readHeader(buf, start);
      if (h.program === Program.REMOTE && h.type === PacketType.CALL) procBySerial.set(h.serial, h.procedure);
      const r = this.rule;
      if (r?.on === "call" && h.type === PacketType.CALL && h.procedure === r.procedure && fire()) return;
      if (r?.on === "stream" && h.type === PacketType.STREAM && ++streamPackets >= r.count && fire()) return;
      const packet = Buffer.from(buf.subarray(start, end));
      this.tap?.("up", packet);
      if (!daemon.destroyed) daemon.write(packet);
    });
    const down = new Framer((buf, start, end) => {
      const h = readHeader(buf, start);
      const r = this.rule;
      if (r?.on === "reply" && h.type === PacketType.REPLY && procBySerial.get(h.serial) === r.procedure && fire()) return;
      const packet = Buffer.from(buf.subarray(start, end));
      this.tap?.("down", packet);
      if (!client.destroyed) client.write(packet);
    });
    client.on("data", (c: Buffer) => up.push(c));
    daemon.on("data", (c: Buffer) => down.push(c));
  }
}
