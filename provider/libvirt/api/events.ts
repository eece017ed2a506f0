import type { Connection } from "../connection";
import { DomainEventID, NetworkEventID, StoragePoolEventID } from "../constants";
import { EventMsg, Proc } from "../protocol/procedures";
import type { DomainRef, NetworkRef, PoolRef } from "../protocol/types";
import { Codec, decodeAll } from "../xdr";

export interface DomainLifecycleEvent {
  dom: DomainRef;
  /** DomainEventType: 0 defined, 1 undefined, 2 started, 5 stopped, ... */
  event: number;
  detail: number;
}
export interface DomainDeviceRemovedEvent {
  dom: DomainRef;
  /** The removed device's alias, e.g. `virtio-disk1`, `net1`. */
  devAlias: string;
}
export interface DomainBalloonChangeEvent {
  dom: DomainRef;
  /** The balloon's new size in KiB. */
  actualKiB: bigint;
}
export interface NetworkLifecycleEvent {
  net: NetworkRef;
  event: number;
  detail: number;
}
export interface StoragePoolLifecycleEvent {
  pool: PoolRef;
  event: number;
  detail: number;
}

/** A registered event callback; `close()` deregisters it. */
export interface Subscription {
  close(): Promise<void>;
}

interface Sub {
  callbackID: number;
  register(): Promise<number>;
  deregister(id: number): Promise<void>;
  deliver(msg: unknown): void;
}

/**
 * Event subscriptions (the callback-id form: register → callbackID; the daemon sends MESSAGE packets carrying it).
 * After a reconnect every live subscription is registered again, so callers keep receiving events.
 */
export class EventApi {
  private readonly subs = new Map<number, Sub>();
  private readonly decoders = new Map<number, (buf: Buffer, start: number, end: number) => { callbackID: number }>();

  constructor(private readonly conn: Connection) {
    for (const m of Object.values(EventMsg)) {
      const codec = m.args as Codec<{ callbackID: number }>;
      this.decoders.set(m.number, (buf, start, end) => decodeAll(codec, buf, start, end));
    }
    conn.addEventHandler((proc, buf, start, end) => {
      const decode = this.decoders.get(proc);
      if (!decode) return; // an event kind nobody here registers for
      const msg = decode(buf, start, end);
      this.subs.get(msg.callbackID)?.deliver(msg);
    });
    conn.onReopen(async () => {
      const subs = [...this.subs.values()];
      this.subs.clear();
      for (const s of subs) {
        s.callbackID = await s.register();
        this.subs.set(s.callbackID, s);
      }
    });
  }

  private async add(sub: Omit<Sub, "callbackID">): Promise<Subscription> {
    const s: Sub = { ...sub, callbackID: await sub.register() };
    this.subs.set(s.callbackID, s);
    return {
      close: async () => {
        if (this.subs.get(s.callbackID) !== s) return;
        this.subs.delete(s.callbackID);
        await s.deregister(s.callbackID);
      },
    };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event program's message shape is its own (see the procedure table)
  private domain<T>(eventID: number, dom: DomainRef | undefined, deliver: (m: any) => void): Promise<Subscription> {
    return this.add({
      register: async () => (await this.conn.call(Proc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, { eventID, dom: dom ?? null })).callbackID,
      deregister: async (callbackID) => {
        await this.conn.call(Proc.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, { callbackID });
      },
      deliver: deliver as (m: unknown) => T,
    });
  }

  /** virConnectDomainEventRegisterAny(LIFECYCLE): defined, started, stopped, undefined, ... */
  onDomainLifecycle(handler: (e: DomainLifecycleEvent) => void, dom?: DomainRef): Promise<Subscription> {
    return this.domain(DomainEventID.LIFECYCLE, dom, (m) => handler({ dom: m.dom, event: m.event, detail: m.detail }));
  }

  /** virConnectDomainEventRegisterAny(DEVICE_REMOVED): a hot-unplug finished. */
  onDomainDeviceRemoved(handler: (e: DomainDeviceRemovedEvent) => void, dom?: DomainRef): Promise<Subscription> {
    return this.domain(DomainEventID.DEVICE_REMOVED, dom, (m) => handler({ dom: m.dom, devAlias: m.devAlias }));
  }

  /** virConnectDomainEventRegisterAny(BALLOON_CHANGE): the guest's balloon driver reported a new size. */
  onDomainBalloonChange(handler: (e: DomainBalloonChangeEvent) => void, dom?: DomainRef): Promise<Subscription> {
    return this.domain(DomainEventID.BALLOON_CHANGE, dom, (m) => handler({ dom: m.dom, actualKiB: m.actual }));
  }

  /** virConnectNetworkEventRegisterAny(LIFECYCLE) */
  onNetworkLifecycle(handler: (e: NetworkLifecycleEvent) => void, net?: NetworkRef): Promise<Subscription> {
    return this.add({
      register: async () => (await this.conn.call(Proc.CONNECT_NETWORK_EVENT_REGISTER_ANY, { eventID: NetworkEventID.LIFECYCLE, net: net ?? null })).callbackID,
      deregister: async (callbackID) => {
        await this.conn.call(Proc.CONNECT_NETWORK_EVENT_DEREGISTER_ANY, { callbackID });
      },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event program's message shape is its own (see the procedure table)
      deliver: (m: any) => handler({ net: m.net, event: m.event, detail: m.detail }),
    });
  }

  /** virConnectStoragePoolEventRegisterAny(LIFECYCLE) */
  onStoragePoolLifecycle(handler: (e: StoragePoolLifecycleEvent) => void, pool?: PoolRef): Promise<Subscription> {
    return this.add({
      register: async () =>
        (
          await this.conn.call(Proc.CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY, {
            eventID: StoragePoolEventID.LIFECYCLE,
            pool: pool ?? null,
          })
        ).callbackID,
      deregister: async (callbackID) => {
        await this.conn.call(Proc.CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, { callbackID });
      },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event program's message shape is its own (see the procedure table)
      deliver: (m: any) => handler({ pool: m.pool, event: m.event, detail: m.detail }),
    });
  }
}
