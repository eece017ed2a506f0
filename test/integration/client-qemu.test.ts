import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Libvirt } from "../../provider/libvirt/client";
import {
  DomainEventType,
  DomainUndefineFlags,
  DomainXMLFlags,
  MemoryFlags,
  NetworkUpdateCommand,
  NetworkUpdateFlags,
  NetworkUpdateSection,
  StoragePoolState,
  VcpuFlags,
} from "../../provider/libvirt/constants";
import { isNotFound, OperationInvalidError } from "../../provider/libvirt/errors";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe, waitFor } from "../../tools/support/host";
import { ACCEL } from "../../tools/support/accel";

const URI = "qemu:///system";

describe("client against QEMU (qemu:///system)", function () {
  this.timeout(120000);
  let lv: Libvirt;
  before(async () => {
    lv = await Libvirt.connect(URI);
  });
  after(async () => {
    await lv?.close();
  });

  it("reads the host: QEMU driver, the accelerator in the capabilities", async () => {
    assert.equal(await lv.host.getType(), "QEMU");
    assert.ok((await lv.host.getVersion()) > 2000000);
    assert.match(await lv.host.getCapabilities(), new RegExp(`<domain type='${ACCEL()}'`));
  });

  describe(`a tiny ${ACCEL()} domain (no disk, 128 MiB, virtio balloon)`, () => {
    const name = uniqueName("dom");
    const xml = `<domain type='${ACCEL()}'>
  <name>${name}</name>
  <memory unit='KiB'>262144</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><memballoon model='virtio'/></devices>
</domain>`;
    after(async () => {
      await cleanupAll([
        async () => {
          const d = await lv.domains.lookupByName(name).catch((e) => (isNotFound(e) ? null : Promise.reject(e)));
          if (!d) return;
          await lv.domains.destroy(d).catch(() => undefined);
          await lv.domains.undefine(d, DomainUndefineFlags.NVRAM | DomainUndefineFlags.MANAGED_SAVE | DomainUndefineFlags.SNAPSHOTS_METADATA);
        },
      ]);
    });

    it("defines, starts, sets memory and vCPUs live, reads XML, destroys and undefines, with lifecycle events", async () => {
      const events: number[] = [];
      const sub = await lv.events.onDomainLifecycle((e) => {
        if (e.dom.name === name) events.push(e.event);
      });
      try {
        let dom = await lv.domains.defineXML(xml);
        assert.equal(virsh(URI, "domstate", name), "shut off");

        dom = await lv.domains.create(dom);
        assert.ok(dom.id > 0);
        assert.equal(virsh(URI, "domstate", name), "running");
        const pid = virsh(URI, "qemu-monitor-command", name, "--hmp", "info status");
        assert.match(pid, /running/);

        // Live setmem succeeds; without a guest balloon driver QEMU does not change, so check the config too.
        await lv.domains.setMemoryFlags(dom, 196608, MemoryFlags.LIVE | MemoryFlags.CONFIG);
        assert.match(await lv.domains.getXMLDesc(dom, DomainXMLFlags.INACTIVE), /<currentMemory unit='KiB'>196608</);
        // Above the maximum is refused by the daemon.
        await assert.rejects(lv.domains.setMemoryFlags(dom, 1048576, MemoryFlags.LIVE), /cannot set memory higher than max memory|memory/i);

        await lv.domains.setVcpusFlags(dom, 2, VcpuFlags.LIVE);
        assert.equal(await lv.domains.getVcpusFlags(dom, VcpuFlags.LIVE), 2);
        assert.match(virsh(URI, "vcpucount", name, "--live", "--active"), /^2$/);
        assert.equal((await lv.domains.getInfo(dom)).nrVirtCpu, 2);
        const live = await lv.domains.getXMLDesc(dom);
        assert.match(live, /<memballoon model='virtio'>/);
        assert.match(live, /<alias name='balloon0'\/>/, "the live XML carries what libvirt added");

        await lv.domains.destroy(dom);
        assert.equal(virsh(URI, "domstate", name), "shut off");
        await assert.rejects(lv.domains.destroy(dom), OperationInvalidError);
        await lv.domains.undefine(dom, DomainUndefineFlags.NVRAM | DomainUndefineFlags.MANAGED_SAVE | DomainUndefineFlags.SNAPSHOTS_METADATA);
        assert.equal(virshMaybe(URI, "domstate", name), null);
        await assert.rejects(lv.domains.lookupByName(name), (e: Error) => isNotFound(e));

        await waitFor("lifecycle events", () => events.includes(DomainEventType.UNDEFINED), 10000);
        // QEMU also reports RESUMED after start and SHUTDOWN before STOPPED; the four below come in this order.
        const main: number[] = [DomainEventType.DEFINED, DomainEventType.STARTED, DomainEventType.STOPPED, DomainEventType.UNDEFINED];
        assert.deepEqual(
          events.filter((e) => main.includes(e)),
          main,
        );
      } finally {
        await sub.close();
      }
    });
  });

  describe("an isolated network (no IP)", () => {
    const name = uniqueName("net");
    after(async () => {
      const n = await lv.networks.lookupByName(name).catch(() => null);
      if (n) {
        await lv.networks.destroy(n).catch(() => undefined);
        await lv.networks.undefine(n);
      }
    });

    it("defines, starts, updates live and in config, stops and undefines", async () => {
      const net = await lv.networks.defineXML(`<network><name>${name}</name><bridge name='pvtbr${randomBytes(2).toString("hex")}'/></network>`);
      assert.equal(await lv.networks.isActive(net), false);
      await lv.networks.create(net);
      assert.equal(await lv.networks.isActive(net), true);
      assert.match(await lv.networks.getBridgeName(net), /^pvtbr/);

      await lv.networks.update(
        net,
        NetworkUpdateCommand.ADD_LAST,
        NetworkUpdateSection.PORTGROUP,
        -1,
        "<portgroup name='pvt-pg'/>",
        NetworkUpdateFlags.LIVE | NetworkUpdateFlags.CONFIG,
      );
      assert.match(virsh(URI, "net-dumpxml", name), /<portgroup name='pvt-pg'/);
      assert.match(virsh(URI, "net-dumpxml", name, "--inactive"), /<portgroup name='pvt-pg'/);

      await lv.networks.setAutostart(net, true);
      assert.equal(await lv.networks.getAutostart(net), true);
      await lv.networks.setAutostart(net, false);

      await lv.networks.destroy(net);
      await lv.networks.undefine(net);
      assert.equal(virshMaybe(URI, "net-info", name), null);
    });
  });

  describe("a dir pool in a temporary directory", () => {
    const name = uniqueName("pool");
    const dir = tempDir("pool");
    const target = `${dir.path}/images`;
    after(async () => {
      await cleanupAll([
        async () => {
          const p = await lv.pools.lookupByName(name).catch(() => null);
          if (!p) return;
          if (await lv.pools.isActive(p)) {
            for (const v of await lv.pools.listAllVolumes(p)) await lv.volumes.delete(v);
            await lv.pools.destroy(p);
          }
          await lv.pools.undefine(p);
        },
        () => dir.remove(),
      ]);
    });

    it("builds and starts the pool, creates, grows, streams and deletes volumes", async () => {
      const pool = await lv.pools.defineXML(`<pool type='dir'><name>${name}</name><target><path>${target}</path></target></pool>`);
      await lv.pools.build(pool);
      await lv.pools.create(pool);
      assert.equal((await lv.pools.getInfo(pool)).state, StoragePoolState.RUNNING);

      // qcow2 volume: create and grow in place
      const q = await lv.volumes.createXML(
        pool,
        `<volume><name>disk.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`,
      );
      assert.equal(q.key, `${target}/disk.qcow2`);
      assert.equal((await lv.volumes.getInfo(q)).capacity, 16n << 20n);
      await lv.volumes.resize(q, 32n << 20n);
      assert.equal((await lv.volumes.getInfo(q)).capacity, 32n << 20n);
      assert.match(virsh(URI, "vol-info", "--pool", name, "disk.qcow2", "--bytes"), /Capacity:\s+33554432 bytes/);
      assert.match(await lv.volumes.getXMLDesc(q), /<format type='qcow2'\/>/);

      // raw volume: upload 8 MiB, download it whole and a range, compare bytes
      const raw = await lv.volumes.createXML(
        pool,
        `<volume><name>data.raw</name><capacity unit='MiB'>8</capacity><target><format type='raw'/></target></volume>`,
      );
      const data = randomBytes(8 << 20);
      assert.equal(await lv.volumes.upload(raw, data), data.length);
      const back = await lv.volumes.downloadToBuffer(raw);
      assert.equal(back.length, data.length);
      assert.ok(back.equals(data), "downloaded bytes equal the uploaded ones");
      const part = await lv.volumes.downloadToBuffer(raw, { offset: 1000, length: 5000 });
      assert.ok(part.equals(data.subarray(1000, 6000)));

      // clone (copy) into qcow2
      const clone = await lv.volumes.createXMLFrom(
        pool,
        `<volume><name>clone.qcow2</name><capacity unit='MiB'>8</capacity><target><format type='qcow2'/></target></volume>`,
        raw,
      );
      assert.deepEqual((await lv.pools.listAllVolumes(pool)).map((v) => v.name).sort(), ["clone.qcow2", "data.raw", "disk.qcow2"]);

      for (const v of [q, raw, clone]) await lv.volumes.delete(v);
      await assert.rejects(lv.volumes.delete(raw), (e: Error) => isNotFound(e));
      await lv.pools.destroy(pool);
      await lv.pools.delete(pool);
      await lv.pools.undefine(pool);
      assert.equal(virshMaybe(URI, "pool-info", name), null);
    });
  });
});
