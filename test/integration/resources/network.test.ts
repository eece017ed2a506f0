import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import { Libvirt } from "../../../provider/libvirt";
import { closeAll } from "../../../provider/resources/connections";
import { attachedDomains, network } from "../../../provider/resources/network";
import { Props, setReporter } from "../../../provider/resources/provider";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { ACCEL } from "../../../tools/support/accel";

const URI = "qemu:///system";

/** The host's IPv4 addresses and routes, to keep test subnets clear of them. */
function hostIpv4(): string {
  return execFileSync("ip", ["-4", "addr"], { encoding: "utf8" }) + execFileSync("ip", ["-4", "route"], { encoding: "utf8" });
}

const taken = new Set<number>();
/** A 10.213.N.0/24 prefix ("10.213.N") no interface, route or earlier pick of this run uses; N random per run. */
function freeSubnet(): string {
  const used = hostIpv4();
  for (let tries = 0; tries < 200; tries++) {
    const n = randomInt(20, 250);
    if (taken.has(n) || used.includes(`10.213.${n}.`)) continue;
    taken.add(n);
    return `10.213.${n}`;
  }
  throw new Error("no free 10.213.N.0/24 subnet on this host");
}

/** The pid of the dnsmasq libvirt runs for a network (its pid file, checked against the process list). */
function dnsmasqPid(name: string): number {
  const pid = Number(readFileSync(`/run/libvirt/network/${name}.pid`, "utf8").trim());
  const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  assert.match(cmd, new RegExp(`dnsmasq.*/${name}\\.conf`), `pid ${pid} is the dnsmasq of ${name}`);
  return pid;
}

/**
 * libvirt 9.0 leaves a stopped network's dnsmasq pid file behind, and an empty ports directory when a guest was
 * still attached when the network went away: remove them once the network is gone (and the pid is not its dnsmasq).
 */
function removeStaleRuntimeFiles(name: string): void {
  if (virshMaybe(URI, "net-info", name) !== null) return;
  const dir = "/run/libvirt/network";
  const pidFile = `${dir}/${name}.pid`;
  if (existsSync(pidFile)) {
    const pid = readFileSync(pidFile, "utf8").trim();
    const cmd = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
    if (!cmd.includes(`/${name}.conf`)) rmSync(pidFile);
  }
  for (const d of [`${dir}/${name}/ports`, `${dir}/${name}`]) if (existsSync(d)) rmdirSync(d); // only when empty
}

const field = (info: string, key: string): string => new RegExp(`^${key}:\\s+(.*)$`, "m").exec(info)?.[1]?.trim() ?? "";

describe("virt:Network against qemu:///system", function () {
  this.timeout(120000);
  const lines: string[] = [];
  let lv: Libvirt;
  const nets: string[] = [];
  const doms: string[] = [];
  const tmp = tempDir("net-res");

  before(async () => {
    setReporter((l) => lines.push(l));
    lv = await Libvirt.connect(URI);
  });
  after(async () => {
    await cleanupAll([
      () => {
        for (const d of doms) {
          virshMaybe(URI, "destroy", d);
          virshMaybe(URI, "undefine", d);
        }
      },
      () => {
        for (const n of nets) {
          if (virshMaybe(URI, "net-info", n) === null) continue;
          virshMaybe(URI, "net-destroy", n);
          virshMaybe(URI, "net-undefine", n);
        }
      },
      () => nets.forEach(removeStaleRuntimeFiles),
      () => tmp.remove(),
      () => lv.close(),
      () => closeAll(),
    ]);
  });

  async function checked(news: Props, olds: Props = {}): Promise<Props> {
    const r = await network.check(olds, { connection: { uri: URI }, ...news });
    assert.deepEqual(r.failures, []);
    return r.inputs;
  }

  describe("an isolated network with DHCP and DNS hosts", () => {
    const name = uniqueName("net");
    const sub = freeSubnet();
    const dom = uniqueName("dom");
    const web = { mac: "52:54:00:d5:00:10", name: "web", ip: `${sub}.10` };
    const db = { mac: "52:54:00:D5:00:11", name: "db", ip: `${sub}.11` };
    const cache = { mac: "52:54:00:d5:00:12", name: "cache", ip: `${sub}.12` };
    const spec = (hosts: unknown[], dnsHosts: unknown[], more: Props = {}): Props => ({
      name,
      mode: "isolated",
      ips: [{ address: `${sub}.1`, prefix: 24, dhcp: { ranges: [{ start: `${sub}.100`, end: `${sub}.199` }], hosts } }],
      dnsHosts,
      ...more,
    });
    let id = "";
    let state: Props = {};
    let bridge = "";
    let inputs: Props = {};
    before(() => nets.push(name));

    it("creates it: defined, started, autostart on, no <forward>, the static hosts in the XML", async () => {
      inputs = await checked(spec([web, db], [{ ip: `${sub}.10`, hostnames: ["web", "www"] }]));
      const r = await network.create(inputs);
      id = r.id;
      state = r.outs;
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal(state["uuid"], id);
      assert.equal(state["uri"], URI);
      bridge = state["bridgeName"] as string;
      assert.match(bridge, /^virbr\d+$/);
      const info = virsh(URI, "net-info", name);
      assert.equal(field(info, "UUID"), id);
      assert.equal(field(info, "Active"), "yes");
      assert.equal(field(info, "Autostart"), "yes");
      assert.equal(field(info, "Bridge"), bridge);
      const xml = virsh(URI, "net-dumpxml", name);
      assert.doesNotMatch(xml, /<forward/);
      assert.match(xml, new RegExp(`<host mac='52:54:00:d5:00:10' name='web' ip='${sub}\\.10'/>`));
      assert.match(xml, new RegExp(`<host mac='52:54:00:d5:00:11' name='db' ip='${sub}\\.11'/>`));
      assert.match(execFileSync("ip", ["-4", "addr", "show", bridge], { encoding: "utf8" }), new RegExp(`inet ${sub}\\.1/24`));
    });

    it("reads it back with no diff", async () => {
      const r = await network.read(id, state);
      assert.equal(r.id, id);
      assert.equal(r.props["bridgeName"], bridge);
      assert.equal(r.props["autostart"], true);
      assert.equal(r.props["bridge"], undefined, "libvirt's own bridge settings are not reported when not declared");
      lines.length = 0;
      assert.deepEqual(await network.diff(id, r.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
      assert.deepEqual(lines, []);
      state = r.props;
    });

    it("adds a DHCP host and changes a DNS host live and in the config, without restarting the network", async () => {
      const pid = dnsmasqPid(name);
      const news = await checked(
        spec(
          [web, db, cache],
          [
            { ip: `${sub}.10`, hostnames: ["web"] },
            { ip: `${sub}.12`, hostnames: ["cache"] },
          ],
        ),
        inputs,
      );
      lines.length = 0;
      assert.deepEqual(await network.diff(id, state, news), { changes: true, replaces: [], deleteBeforeReplace: false });
      assert.ok(lines.includes(`virt:Network ${name}: ips[${sub}.1].dhcp.hosts +${sub}.12 (updated live, network not restarted)`), lines.join("\n"));
      assert.ok(lines.includes(`virt:Network ${name}: dnsHosts +${sub}.12 (updated live, network not restarted)`), lines.join("\n"));
      assert.ok(
        lines.includes(`virt:Network ${name}: dnsHosts[${sub}.10].hostnames ["web","www"] → ["web"] (updated live, network not restarted)`),
        lines.join("\n"),
      );

      const up = await network.update(id, state, news);
      assert.equal(up.outs["bridgeName"], bridge);
      for (const xml of [virsh(URI, "net-dumpxml", name), virsh(URI, "net-dumpxml", "--inactive", name)]) {
        assert.match(xml, new RegExp(`<host mac='52:54:00:d5:00:12' name='cache' ip='${sub}\\.12'/>`));
        assert.match(xml, new RegExp(`<host ip='${sub}\\.12'>\\s*<hostname>cache</hostname>\\s*</host>`));
        assert.match(xml, new RegExp(`<host ip='${sub}\\.10'>\\s*<hostname>web</hostname>\\s*</host>`));
        assert.doesNotMatch(xml, /<hostname>www<\/hostname>/);
      }
      // dnsmasq got them (its hosts files), and is the same process: the network was not restarted.
      assert.match(readFileSync(`/var/lib/libvirt/dnsmasq/${name}.hostsfile`, "utf8"), new RegExp(`52:54:00:d5:00:12,${sub}\\.12,cache`));
      assert.match(readFileSync(`/var/lib/libvirt/dnsmasq/${name}.addnhosts`, "utf8"), new RegExp(`${sub}\\.12\\s+cache`));
      assert.equal(dnsmasqPid(name), pid, "dnsmasq was not restarted");
      assert.equal(field(virsh(URI, "net-info", name), "Bridge"), bridge);
      assert.equal(field(virsh(URI, "net-info", name), "Active"), "yes");

      const r = await network.read(id, up.outs);
      assert.deepEqual(await network.diff(id, r.props, news), { changes: false, replaces: [], deleteBeforeReplace: false });
      state = r.props;
      inputs = news;
    });

    it("shows a DHCP host added with virsh as drift, and removes it on update", async () => {
      virsh(URI, "net-update", name, "add", "ip-dhcp-host", `<host mac='52:54:00:d5:00:13' name='drift' ip='${sub}.13'/>`, "--live", "--config");
      const r = await network.read(id, state);
      const hosts = ((r.props["ips"] as Props[])[0]!["dhcp"] as { hosts: Props[] }).hosts;
      assert.deepEqual(hosts[hosts.length - 1], { mac: "52:54:00:d5:00:13", name: "drift", ip: `${sub}.13` });
      lines.length = 0;
      assert.deepEqual(await network.diff(id, r.props, inputs), { changes: true, replaces: [], deleteBeforeReplace: false });
      assert.deepEqual(lines, [`virt:Network ${name}: ips[${sub}.1].dhcp.hosts -${sub}.13 (updated live, network not restarted)`]);
      const up = await network.update(id, r.props, inputs);
      assert.doesNotMatch(virsh(URI, "net-dumpxml", name), /drift/);
      assert.doesNotMatch(virsh(URI, "net-dumpxml", "--inactive", name), /drift/);
      state = (await network.read(id, up.outs)).props;
    });

    it("plans an address change as a replacement (old one deleted first), naming the running domains attached", async () => {
      const moved = await checked({ ...inputs, ips: [{ ...(inputs["ips"] as Props[])[0]!, address: `${sub}.2` }] }, inputs);
      lines.length = 0;
      assert.deepEqual(await network.diff(id, state, moved), { changes: true, replaces: ["ips"], deleteBeforeReplace: true });
      assert.deepEqual(lines, [
        `virt:Network ${name}: ips +${sub}.2 -${sub}.1 (replaces it)`,
        `virt:Network ${name}: no running domains are attached, so replacing it disconnects none`,
      ]);

      doms.push(dom);
      const xml =
        `<domain type='${ACCEL()}'><name>${dom}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
        `<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>` +
        `<devices><interface type='network'><source network='${name}'/><model type='virtio'/></interface></devices></domain>`;
      await lv.domains.create(await lv.domains.defineXML(xml));
      assert.deepEqual(await attachedDomains(lv, name), [dom]);
      lines.length = 0;
      await network.diff(id, state, moved);
      assert.equal(
        lines[1],
        `virt:Network ${name}: replacing it disconnects the running domains attached to it: ${dom}; the replacement is refused unless forceDelete is true`,
      );
    });

    it("sets autostart live", async () => {
      const news = await checked({ ...inputs, autostart: false }, inputs);
      lines.length = 0;
      assert.deepEqual(await network.diff(id, state, news), { changes: true, replaces: [], deleteBeforeReplace: false });
      assert.deepEqual(lines, [`virt:Network ${name}: autostart true → false (set live)`]);
      const up = await network.update(id, state, news);
      assert.equal(field(virsh(URI, "net-info", name), "Autostart"), "no");
      assert.equal(field(virsh(URI, "net-info", name), "Active"), "yes");
      state = (await network.read(id, up.outs)).props;
      assert.equal(state["autostart"], false);
    });

    it("deletes it with forceDelete (a running guest on it keeps running); deleting again and reading find it gone", async () => {
      await assert.rejects(network.delete(id, state), new RegExp(`running domains are attached to it and would lose their link: ${dom}`));
      state = { ...state, forceDelete: true };
      await network.delete(id, state);
      assert.equal(virshMaybe(URI, "net-info", name), null);
      assert.equal(virsh(URI, "domstate", dom), "running");
      assert.deepEqual(await network.read(id, state), { id: "", props: {} });
      await network.delete(id, state);
    });
  });

  it("runs a NAT network (firewall rules in place), reads it back with no diff, changes a range live, and only the config while stopped", async () => {
    const name = uniqueName("net");
    nets.push(name);
    const sub = freeSubnet();
    const inputs = await checked({
      name,
      ips: [{ address: `${sub}.1`, prefix: 24, dhcp: { ranges: [{ start: `${sub}.50`, end: `${sub}.60` }] } }],
      autostart: false,
    });
    assert.equal(inputs["mode"], "nat");
    const { id, outs } = await network.create(inputs);
    const info = virsh(URI, "net-info", name);
    assert.equal(field(info, "Active"), "yes");
    assert.equal(field(info, "Autostart"), "no");
    assert.match(virsh(URI, "net-dumpxml", name), /<forward mode='nat'>\s*<nat>\s*<port start='1024' end='65535'\/>/);
    assert.match(
      execFileSync("iptables", ["-t", "nat", "-S"], { encoding: "utf8" }),
      new RegExp(`-s ${sub.replace(/\./g, "\\.")}\\.0/24 ! -d ${sub.replace(/\./g, "\\.")}\\.0/24 -j MASQUERADE`),
    );
    let r = await network.read(id, outs);
    assert.equal(r.props["mode"], "nat");
    assert.deepEqual(await network.diff(id, r.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });

    // A range cannot be modified: it is deleted and added again, live. libvirt restarts the network's dnsmasq for
    // a range (the plan's wording says so); the bridge and the network stay up.
    const bridge = field(info, "Bridge");
    const pid = dnsmasqPid(name);
    const wider = await checked(
      { ...inputs, ips: [{ address: `${sub}.1`, prefix: 24, dhcp: { ranges: [{ start: `${sub}.50`, end: `${sub}.90` }] } }] },
      inputs,
    );
    lines.length = 0;
    await network.diff(id, r.props, wider);
    assert.deepEqual(lines, [
      `virt:Network ${name}: ips[${sub}.1].dhcp.ranges[${sub}.50].end ${sub}.60 → ${sub}.90 (updated live; the network keeps running, its DHCP server restarts)`,
    ]);
    r = { id, props: (await network.update(id, r.props, wider)).outs };
    for (const flags of [[], ["--inactive"]])
      assert.match(virsh(URI, "net-dumpxml", ...flags, name), new RegExp(`<range start='${sub}\\.50' end='${sub}\\.90'/>`));
    assert.equal(field(virsh(URI, "net-info", name), "Active"), "yes");
    assert.equal(field(virsh(URI, "net-info", name), "Bridge"), bridge);
    assert.notEqual(dnsmasqPid(name), pid, "libvirt restarts dnsmasq for a range change");

    // Stopped behind our back: DHCP changes go to the persistent config only, and it stays stopped.
    virsh(URI, "net-destroy", name);
    const withHost = await checked(
      {
        ...wider,
        ips: [{ address: `${sub}.1`, prefix: 24, dhcp: { ranges: [{ start: `${sub}.50`, end: `${sub}.90` }], hosts: [{ name: "stopped", ip: `${sub}.5` }] } }],
      },
      wider,
    );
    r = { id, props: (await network.update(id, (await network.read(id, r.props)).props, withHost)).outs };
    assert.match(virsh(URI, "net-dumpxml", "--inactive", name), new RegExp(`<host name='stopped' ip='${sub}\\.5'/>`));
    assert.equal(field(virsh(URI, "net-info", name), "Active"), "no");
    await network.delete(id, r.props);
    assert.equal(virshMaybe(URI, "net-info", name), null);
    assert.doesNotMatch(execFileSync("iptables", ["-t", "nat", "-S"], { encoding: "utf8" }), new RegExp(`${sub.replace(/\./g, "\\.")}\\.0/24`));
  });

  it("refuses an existing name unless adopt is set, then brings the network to the spec and starts it", async () => {
    const name = uniqueName("net");
    nets.push(name);
    const sub = freeSubnet();
    writeFileSync(`${tmp.path}/${name}.xml`, `<network><name>${name}</name><ip address='${sub}.1' prefix='24'/></network>`);
    virsh(URI, "net-define", `${tmp.path}/${name}.xml`);
    const inputs = await checked({
      name,
      mode: "isolated",
      ips: [{ address: `${sub}.1`, prefix: 24, dhcp: { hosts: [{ mac: "52:54:00:d5:01:10", ip: `${sub}.10` }] } }],
    });
    await assert.rejects(network.create(inputs), /virt:Network .*: a network named ".*" already exists on qemu:\/\/\/system; set adopt: true/);
    const { id, outs } = await network.create({ ...inputs, adopt: true });
    assert.equal(id, virsh(URI, "net-uuid", name));
    const info = virsh(URI, "net-info", name);
    assert.equal(field(info, "Active"), "yes");
    assert.equal(field(info, "Autostart"), "yes");
    assert.match(virsh(URI, "net-dumpxml", name), new RegExp(`<host mac='52:54:00:d5:01:10' ip='${sub}\\.10'/>`));
    const r = await network.read(id, outs);
    assert.deepEqual(await network.diff(id, r.props, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
    await network.delete(id, outs);
    assert.equal(virshMaybe(URI, "net-info", name), null);
  });

  it("removes the definition again when the network cannot start, and says why", async () => {
    const holder = uniqueName("net");
    const name = uniqueName("net");
    nets.push(holder, name);
    const sub = freeSubnet();
    const held = await network.create(await checked({ name: holder, mode: "isolated", ips: [{ address: `${sub}.1`, prefix: 24 }], autostart: false }));
    // Same subnet as a running network: libvirt refuses to start the second one.
    await assert.rejects(network.create(await checked({ name, mode: "isolated", ips: [{ address: `${sub}.1`, prefix: 24 }] })), (e: Error) =>
      /virt:Network .*: could not start the network, so its definition was removed again: .*in use/i.test(e.message),
    );
    assert.equal(virshMaybe(URI, "net-info", name), null);
    await network.delete(held.id, held.outs);
    assert.equal(virshMaybe(URI, "net-info", holder), null);
  });
});
