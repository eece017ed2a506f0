import assert from "node:assert/strict";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Stack } from "../../../tools/harness";
import type { OperationResult } from "../../../tools/harness";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";
import { ACCEL } from "../../../tools/support/accel";

// examples/kvm-domain run through the engine harness (the real Pulumi program runtime and the real
// dynamic-provider plugin), checked on the host with virsh — not with our own client. The domain has no guest
// OS: live memory, vCPU and hot-plug changes need none, but hot-UNplug does (the guest must release the
// device; with no OS it never does — see test/integration/resources/domain.test.ts), so it is not exercised here.
const URI = "qemu:///system";
const root = join(__dirname, "..", "..", "..", "..");
const qemuPid = (name: string) => readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();

describe(`examples/kvm-domain through the engine harness (type auto → ${ACCEL()}, no guest OS)`, function () {
  this.timeout(300000);
  const prefix = uniqueName("kd");
  const vm = `${prefix}-vm`;
  const pool = `${prefix}-images`;
  const net = `${prefix}-net`;
  const dir = tempDir("kd-state");
  chmodSync(dir.path, 0o755); // QEMU runs as libvirt-qemu and must reach the data volume in the pool below
  const subnet = 100 + Math.floor(Math.random() * 100);
  // The stack config; each test changes it and the next ones keep the change.
  const config: Record<string, string> = { "virt:uri": URI, prefix, poolPath: join(dir.path, "images"), subnet: String(subnet) };
  const stack = () =>
    new Stack({
      programDir: join(root, "examples", "kvm-domain"),
      entry: join(root, "dist", "examples", "kvm-domain", "index.js"),
      stateDir: join(dir.path, "state"),
      config: { ...config },
    });
  const ops = (r: OperationResult) => Object.fromEntries(r.steps.filter((s) => s.name !== "kvm-domain-dev").map((s) => [s.name, s.op]));
  const plan = (r: OperationResult) =>
    r.diagnostics
      .filter((d) => d.source === "plugin")
      .map((d) => d.text)
      .join("\n");
  const domId = () => virsh(URI, "domid", vm);
  const onlyVm = (r: OperationResult, op: string) => assert.deepEqual(ops(r), { images: "same", data: "same", lab: "same", vm: op }, plan(r));

  after(async () => {
    await cleanupAll([
      // Whatever a failed test left: destroy through the stack, then virsh for what is still there.
      () =>
        stack()
          .destroy()
          .catch(() => undefined),
      () => {
        virshMaybe(URI, "destroy", vm);
        virshMaybe(URI, "undefine", vm, "--nvram");
        virshMaybe(URI, "net-destroy", net);
        virshMaybe(URI, "net-undefine", net);
        virshMaybe(URI, "vol-delete", "--pool", pool, `${prefix}-data.qcow2`);
        virshMaybe(URI, "pool-destroy", pool);
        virshMaybe(URI, "pool-undefine", pool);
      },
      () => dir.remove(),
    ]);
  });

  let idBefore = "";
  let pidBefore = "";

  it("brings up a pool, a qcow2 volume, an isolated network and a running domain on the host's accelerator", async () => {
    const r = await stack().up();
    assert.deepEqual(ops(r), { images: "create", data: "create", lab: "create", vm: "create" });
    assert.equal(virsh(URI, "domstate", vm), "running");
    assert.match(virsh(URI, "dumpxml", vm), new RegExp(`^<domain type='${ACCEL()}'`), "type auto resolves to the host's accelerator");
    assert.doesNotMatch(virsh(URI, "net-dumpxml", net), /<forward/);
    assert.match(virsh(URI, "net-dumpxml", net), new RegExp(`<ip address='10\\.213\\.${subnet}\\.1' prefix='24'`));
    assert.match(virsh(URI, "vol-dumpxml", "--pool", pool, `${prefix}-data.qcow2`), /<format type='qcow2'\/>/);
    assert.equal(r.outputs["state"], "running");
    assert.equal(String(r.outputs["domainId"]), domId());
    assert.equal(r.outputs["uuid"], virsh(URI, "domuuid", vm));
    assert.equal((r.outputs["macs"] as string[]).length, 1);
    assert.deepEqual(r.outputs["pendingRestart"], []);
    [idBefore, pidBefore] = [domId(), qemuPid(vm)];
  });

  it("a second up changes nothing", async () => {
    const r = await stack().up();
    assert.deepEqual(new Set(Object.values(ops(r))), new Set(["same"]), plan(r));
  });

  it("balloons currentMemory 128 → 96 MiB live: same domain id, same QEMU process", async () => {
    config["currentMemory"] = "96MiB";
    const r = await stack().up();
    onlyVm(r, "update");
    assert.match(plan(r), new RegExp(`virt:Domain ${vm}: currentMemory 128MiB → 96MiB \\(ballooned live\\)`));
    assert.match(virsh(URI, "dumpxml", "--inactive", vm), /<currentMemory unit='KiB'>98304<\/currentMemory>/);
    // (The live XML shows what the guest has now, from the balloon: with no guest driver it never gives memory up, so all 256 MiB.)
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore]);
    assert.deepEqual(r.outputs["pendingRestart"], []);
  });

  it("adds a vCPU live", async () => {
    config["vcpus"] = "2";
    const r = await stack().up();
    onlyVm(r, "update");
    assert.equal(virsh(URI, "vcpucount", vm, "--live", "--active"), "2");
    assert.equal(virsh(URI, "vcpucount", vm, "--config", "--active"), "2");
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore]);
  });

  it("hot-plugs the data volume and a second NIC", async () => {
    config["hotplug"] = "true";
    const r = await stack().up();
    onlyVm(r, "update");
    const macs = r.outputs["macs"] as string[];
    assert.equal(macs.length, 2);
    assert.match(virsh(URI, "domblklist", vm), new RegExp(`vda\\s+${prefix}-data\\.qcow2`));
    const ifs = virsh(URI, "domiflist", vm);
    for (const mac of macs) assert.match(ifs, new RegExp(`network\\s+${net}\\s+virtio\\s+${mac}`));
    assert.match(virsh(URI, "dumpxml", "--inactive", vm), new RegExp(`<source pool='${pool}' volume='${prefix}-data\\.qcow2'/>`), "saved too");
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore]);
  });

  it("saves a new maximum memory for the next start without restarting", async () => {
    config["memory"] = "320MiB";
    const r = await stack().up();
    onlyVm(r, "update");
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore], "nothing restarted");
    assert.ok((r.outputs["pendingRestart"] as string[]).includes("memory"), String(r.outputs["pendingRestart"]));
    assert.match(plan(r), new RegExp(`virt:Domain ${vm}: saved, takes effect at the next start: .*memory`));
    assert.match(virsh(URI, "dominfo", vm), /Max memory:\s+262144 KiB/, "the running domain keeps its maximum");
    assert.match(virsh(URI, "dumpxml", "--inactive", vm), /<memory unit='KiB'>327680<\/memory>/);
  });

  it("restartPolicy restart applies it: the domain restarts and nothing is pending", async () => {
    config["restartPolicy"] = "restart";
    const r = await stack().up();
    onlyVm(r, "update");
    assert.match(plan(r), new RegExp(`virt:Domain ${vm}: restart\\w* to apply memory`));
    assert.notEqual(domId(), idBefore, "a new domain id");
    assert.notEqual(qemuPid(vm), pidBefore, "a new QEMU process");
    assert.equal(virsh(URI, "domstate", vm), "running");
    assert.match(virsh(URI, "dominfo", vm), /Max memory:\s+327680 KiB/);
    assert.deepEqual(r.outputs["pendingRestart"], []);
    assert.equal(String(r.outputs["domainId"]), domId());
  });

  // A replacing change that exists with and without KVM (a type change kvm → qemu needs KVM to begin with).
  it("replaces the domain when its firmware changes", async () => {
    const uuidBefore = virsh(URI, "domuuid", vm);
    config["firmware"] = "efi";
    const r = await stack().up();
    const vmOps = r.steps.filter((s) => s.name === "vm").map((s) => s.op);
    assert.deepEqual(vmOps, ["delete-replaced", "replace"], "delete before replace: the name is unique on the host");
    assert.deepEqual({ ...ops(r), vm: undefined }, { images: "same", data: "same", lab: "same", vm: undefined });
    assert.match(virsh(URI, "dumpxml", "--inactive", vm), /<os firmware='efi'>/);
    assert.match(virsh(URI, "dumpxml", vm), /<loader [^>]*>[^<]*OVMF/, "it runs the UEFI firmware");
    assert.notEqual(virsh(URI, "domuuid", vm), uuidBefore);
    assert.equal(virsh(URI, "domstate", vm), "running");
    assert.equal(r.outputs["uuid"], virsh(URI, "domuuid", vm));
  });

  it("destroy leaves nothing on the host", async () => {
    await stack().destroy();
    const left = [virsh(URI, "list", "--all", "--name"), virsh(URI, "net-list", "--all", "--name"), virsh(URI, "pool-list", "--all", "--name")].join("\n");
    assert.ok(!left.includes(prefix), left);
    assert.equal(virshMaybe(URI, "domstate", vm), null);
  });
});
