import type { Connection } from "../connection";
import { Proc } from "../protocol/procedures";
import type { PoolRef, VolRef } from "../protocol/types";
import type { RpcStream } from "../rpc/stream";
import { toU64, uuidBytes } from "./convert";

export interface PoolInfo {
  /** StoragePoolState: 0 inactive, 2 running, ... */
  state: number;
  /** Bytes. */
  capacity: bigint;
  allocation: bigint;
  available: bigint;
}

export interface VolInfo {
  /** StorageVolType: 0 file, 1 block, ... */
  type: number;
  /** Bytes. */
  capacity: bigint;
  allocation: bigint;
}

/** Storage pool calls. */
export class PoolApi {
  constructor(private readonly conn: Connection) {}

  /** virConnectListAllStoragePools */
  async listAll(flags = 0): Promise<PoolRef[]> {
    return (await this.conn.call(Proc.CONNECT_LIST_ALL_STORAGE_POOLS, { needResults: 1, flags })).pools;
  }

  /** virStoragePoolLookupByName */
  async lookupByName(name: string): Promise<PoolRef> {
    return (await this.conn.call(Proc.STORAGE_POOL_LOOKUP_BY_NAME, { name })).pool;
  }

  /** virStoragePoolLookupByUUID */
  async lookupByUUID(uuid: Buffer | string): Promise<PoolRef> {
    return (await this.conn.call(Proc.STORAGE_POOL_LOOKUP_BY_UUID, { uuid: uuidBytes(uuid) })).pool;
  }

  /** virStoragePoolLookupByVolume */
  async lookupByVolume(vol: VolRef): Promise<PoolRef> {
    return (await this.conn.call(Proc.STORAGE_POOL_LOOKUP_BY_VOLUME, { vol })).pool;
  }

  /** virStoragePoolDefineXML */
  async defineXML(xml: string, flags = 0): Promise<PoolRef> {
    return (await this.conn.call(Proc.STORAGE_POOL_DEFINE_XML, { xml, flags })).pool;
  }

  /** virStoragePoolCreateXML: a transient pool. */
  async createXML(xml: string, flags = 0): Promise<PoolRef> {
    return (await this.conn.call(Proc.STORAGE_POOL_CREATE_XML, { xml, flags })).pool;
  }

  /** virStoragePoolBuild (dir pools: creates the target directory). */
  async build(pool: PoolRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.STORAGE_POOL_BUILD, { pool, flags });
  }

  /** virStoragePoolCreate: starts a defined pool. */
  async create(pool: PoolRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.STORAGE_POOL_CREATE, { pool, flags });
  }

  /** virStoragePoolDestroy: stops it (volumes stay). */
  async destroy(pool: PoolRef): Promise<void> {
    await this.conn.call(Proc.STORAGE_POOL_DESTROY, { pool });
  }

  /** virStoragePoolDelete: removes the underlying storage (dir pools: the empty directory). */
  async delete(pool: PoolRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.STORAGE_POOL_DELETE, { pool, flags });
  }

  /** virStoragePoolUndefine */
  async undefine(pool: PoolRef): Promise<void> {
    await this.conn.call(Proc.STORAGE_POOL_UNDEFINE, { pool });
  }

  /** virStoragePoolRefresh: rescans the volumes. */
  async refresh(pool: PoolRef): Promise<void> {
    await this.conn.call(Proc.STORAGE_POOL_REFRESH, { pool, flags: 0 });
  }

  /** virStoragePoolGetInfo */
  async getInfo(pool: PoolRef): Promise<PoolInfo> {
    return this.conn.call(Proc.STORAGE_POOL_GET_INFO, { pool });
  }

  /** virStoragePoolGetXMLDesc (StorageXMLFlags.INACTIVE for the persistent config). */
  async getXMLDesc(pool: PoolRef, flags = 0): Promise<string> {
    return (await this.conn.call(Proc.STORAGE_POOL_GET_XML_DESC, { pool, flags })).xml;
  }

  /** virStoragePoolGetAutostart */
  async getAutostart(pool: PoolRef): Promise<boolean> {
    return (await this.conn.call(Proc.STORAGE_POOL_GET_AUTOSTART, { pool })).autostart === 1;
  }

  /** virStoragePoolSetAutostart */
  async setAutostart(pool: PoolRef, autostart: boolean): Promise<void> {
    await this.conn.call(Proc.STORAGE_POOL_SET_AUTOSTART, { pool, autostart: autostart ? 1 : 0 });
  }

  /** virStoragePoolIsActive */
  async isActive(pool: PoolRef): Promise<boolean> {
    return (await this.conn.call(Proc.STORAGE_POOL_IS_ACTIVE, { pool })).active === 1;
  }

  /** virStoragePoolIsPersistent */
  async isPersistent(pool: PoolRef): Promise<boolean> {
    return (await this.conn.call(Proc.STORAGE_POOL_IS_PERSISTENT, { pool })).persistent === 1;
  }

  /** virStoragePoolListAllVolumes */
  async listAllVolumes(pool: PoolRef): Promise<VolRef[]> {
    return (await this.conn.call(Proc.STORAGE_POOL_LIST_ALL_VOLUMES, { pool, needResults: 1, flags: 0 })).vols;
  }
}

/** Data for an upload: one buffer, or chunks from a stream or generator. */
export type UploadSource = Buffer | AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer>;

/** Storage volume calls, including streamed upload and download. */
export class VolumeApi {
  constructor(private readonly conn: Connection) {}

  /** virStorageVolCreateXML */
  async createXML(pool: PoolRef, xml: string, flags = 0): Promise<VolRef> {
    return (await this.conn.call(Proc.STORAGE_VOL_CREATE_XML, { pool, xml, flags })).vol;
  }

  /** virStorageVolCreateXMLFrom: a new volume with the content of `clone` (format conversion allowed). */
  async createXMLFrom(pool: PoolRef, xml: string, clone: VolRef, flags = 0): Promise<VolRef> {
    return (await this.conn.call(Proc.STORAGE_VOL_CREATE_XML_FROM, { pool, xml, clonevol: clone, flags })).vol;
  }

  /** virStorageVolDelete */
  async delete(vol: VolRef, flags = 0): Promise<void> {
    await this.conn.call(Proc.STORAGE_VOL_DELETE, { vol, flags });
  }

  /** virStorageVolLookupByName */
  async lookupByName(pool: PoolRef, name: string): Promise<VolRef> {
    return (await this.conn.call(Proc.STORAGE_VOL_LOOKUP_BY_NAME, { pool, name })).vol;
  }

  /** virStorageVolLookupByKey */
  async lookupByKey(key: string): Promise<VolRef> {
    return (await this.conn.call(Proc.STORAGE_VOL_LOOKUP_BY_KEY, { key })).vol;
  }

  /** virStorageVolLookupByPath */
  async lookupByPath(path: string): Promise<VolRef> {
    return (await this.conn.call(Proc.STORAGE_VOL_LOOKUP_BY_PATH, { path })).vol;
  }

  /** virStorageVolGetInfoFlags (flags 1 = GET_PHYSICAL: allocation is the host file size). */
  async getInfo(vol: VolRef, flags = 0): Promise<VolInfo> {
    if (flags === 0) return this.conn.call(Proc.STORAGE_VOL_GET_INFO, { vol });
    return this.conn.call(Proc.STORAGE_VOL_GET_INFO_FLAGS, { vol, flags });
  }

  /** virStorageVolGetXMLDesc */
  async getXMLDesc(vol: VolRef): Promise<string> {
    return (await this.conn.call(Proc.STORAGE_VOL_GET_XML_DESC, { vol, flags: 0 })).xml;
  }

  /** virStorageVolGetPath */
  async getPath(vol: VolRef): Promise<string> {
    return (await this.conn.call(Proc.STORAGE_VOL_GET_PATH, { vol })).name;
  }

  /** virStorageVolWipe */
  async wipe(vol: VolRef): Promise<void> {
    await this.conn.call(Proc.STORAGE_VOL_WIPE, { vol, flags: 0 });
  }

  /** virStorageVolResize: new capacity in bytes (StorageVolResizeFlags: ALLOCATE, DELTA, SHRINK). */
  async resize(vol: VolRef, capacity: bigint | number, flags = 0): Promise<void> {
    await this.conn.call(Proc.STORAGE_VOL_RESIZE, { vol, capacity: toU64(capacity, "capacity"), flags });
  }

  /**
   * virStorageVolUpload: streams `data` into the volume at `offset` (length 0 = as much as is sent). Resolves
   * when the daemon confirmed the end of the stream; a failure aborts the stream and rejects.
   */
  async upload(vol: VolRef, data: UploadSource, opts: { offset?: bigint | number; length?: bigint | number } = {}): Promise<number> {
    const length = opts.length ?? (Buffer.isBuffer(data) ? data.length : 0);
    const stream = await this.conn.openStream(Proc.STORAGE_VOL_UPLOAD, {
      vol,
      offset: toU64(opts.offset ?? 0, "offset"),
      length: toU64(length, "length"),
      flags: 0,
    });
    let sent = 0;
    try {
      const chunks: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer> = Buffer.isBuffer(data) ? [data] : data;
      for await (const chunk of chunks) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        await stream.write(buf);
        sent += buf.length;
      }
    } catch (e) {
      await stream.abort();
      throw e;
    }
    await stream.finish();
    return sent;
  }

  /**
   * virStorageVolDownload: the volume's bytes from `offset` (length 0 = to the end) as a stream of chunks.
   * Iterate it to the end (or call `abort()`), or the stream stays open on the connection.
   */
  async download(vol: VolRef, opts: { offset?: bigint | number; length?: bigint | number } = {}): Promise<RpcStream> {
    return this.conn.openStream(Proc.STORAGE_VOL_DOWNLOAD, {
      vol,
      offset: toU64(opts.offset ?? 0, "offset"),
      length: toU64(opts.length ?? 0, "length"),
      flags: 0,
    });
  }

  /** Downloads into one buffer (for small volumes and tests). */
  async downloadToBuffer(vol: VolRef, opts: { offset?: bigint | number; length?: bigint | number } = {}): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of await this.download(vol, opts)) parts.push(chunk);
    return Buffer.concat(parts);
  }
}
