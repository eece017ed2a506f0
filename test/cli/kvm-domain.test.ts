import assert from "node:assert/strict";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupAll, tempDir, uniqueName, virsh, virshMaybe } from "../../tools/support/host";
import { cliOrSkip, CliProject, CliWorkspace, REPO } from "../../tools/support/pulumi-cli";
import { freeSubnet } from "../../tools/support/subnet";

// examples/kvm-domain under the real `pulumi` CLI (config type=auto: this host has no KVM, so it resolves to
// qemu). The domain has no guest OS; live balloon and vCPU changes need none. Judged with virsh, as
// test/integration/stacks/kvm-domain.test.ts judges the harness run.
const URI = "qemu:///system";
const qemuPid = (name: string) => readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();

describe("examples/kvm-domain under the real pulumi CLI (type auto, no guest OS)", function () {
  this.timeout(600000);
  const prefix = uniqueName("clikd");
  const vm = `${prefix}-vm`;
  const pool = `${prefix}-images`;
  const net = `${prefix}-net`;
  const dir = tempDir("clikd");
  chmodSync(dir.path, 0o755); // QEMU runs as libvirt-qemu and must reach the data volume in the pool below
  let p: CliProject;
  const domId = () => virsh(URI, "domid", vm);
  const onlyVm = (ops: Record<string, string>, op: string, text: string) => assert.deepEqual(ops, { images: "same", data: "same", lab: "same", vm: op }, text);

  before(async function () {
    const cli = cliOrSkip(this);
    p = await CliWorkspace.get(cli).project(
      "kvm-domain",
      join(REPO, "examples", "kvm-domain", "index.ts"),
      join(REPO, "examples", "kvm-domain", "Pulumi.yaml"),
    );
    Object.assign(p.config, { "virt:uri": URI, prefix, poolPath: join(dir.path, "images"), subnet: String(freeSubnet()), type: "auto" });
  });

  after(async () => {
    await cleanupAll([
      () => p?.cleanup(),
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

  it("pulumi up brings up a pool, a qcow2 volume, an isolated network and a running domain", async () => {
    const r = await p.up();
    assert.deepEqual(r.ops, { images: "create", data: "create", lab: "create", vm: "create" }, r.text);
    assert.equal(virsh(URI, "domstate", vm), "running");
    assert.match(virsh(URI, "dumpxml", vm), /^<domain type='qemu'/, "auto resolves to qemu on a host without KVM");
    assert.doesNotMatch(virsh(URI, "net-dumpxml", net), /<forward/);
    assert.match(virsh(URI, "vol-dumpxml", "--pool", pool, `${prefix}-data.qcow2`), /<format type='qcow2'\/>/);
    const out = await p.outputs();
    assert.equal(out["state"], "running");
    assert.equal(String(out["domainId"]), domId());
    assert.equal(out["uuid"], virsh(URI, "domuuid", vm));
    assert.deepEqual(out["pendingRestart"], []);
    [idBefore, pidBefore] = [domId(), qemuPid(vm)];
  });

  it("pulumi up again changes nothing", async () => {
    const r = await p.up();
    assert.deepEqual(new Set(Object.values(r.ops)), new Set(["same"]), r.text);
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore]);
  });

  it("pulumi preview shows the live balloon change; up applies it without restarting the domain", async () => {
    p.config["currentMemory"] = "96MiB";
    const pre = await p.preview();
    onlyVm(pre.ops, "update", pre.text);
    assert.match(pre.text, new RegExp(`virt:Domain ${vm}: currentMemory 128MiB → 96MiB \\(ballooned live\\)`), pre.text);
    const r = await p.up();
    onlyVm(r.ops, "update", r.text);
    assert.match(virsh(URI, "dumpxml", "--inactive", vm), /<currentMemory unit='KiB'>98304<\/currentMemory>/);
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore], "same domain id, same QEMU process");
  });

  it("pulumi up adds a vCPU live", async () => {
    p.config["vcpus"] = "2";
    const r = await p.up();
    onlyVm(r.ops, "update", r.text);
    assert.equal(virsh(URI, "vcpucount", vm, "--live", "--active"), "2");
    assert.equal(virsh(URI, "vcpucount", vm, "--config", "--active"), "2");
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore]);
  });

  it("pulumi refresh sees the balloon target changed with virsh; the next up puts it back live", async () => {
    virsh(URI, "setmem", vm, "112M", "--live", "--config");
    const r = await p.refresh();
    assert.equal(r.steps.find((s) => s.name === "vm")?.op, "refresh", r.text);
    // The engine diffs what was read against the program's inputs, through the provider: its plan line shows the drift.
    assert.match(r.text, new RegExp(`virt:Domain ${vm}: currentMemory 112MiB → 96MiB`), r.text);
    assert.match(r.text, /~ 1 updated/, r.text);
    const fixed = await p.up();
    onlyVm(fixed.ops, "update", fixed.text);
    assert.match(virsh(URI, "dumpxml", "--inactive", vm), /<currentMemory unit='KiB'>98304<\/currentMemory>/);
    assert.deepEqual([domId(), qemuPid(vm)], [idBefore, pidBefore], "nothing restarted");
  });

  it("pulumi destroy leaves nothing on the host", async () => {
    await p.destroy();
    const left = [virsh(URI, "list", "--all", "--name"), virsh(URI, "net-list", "--all", "--name"), virsh(URI, "pool-list", "--all", "--name")].join("\n");
    assert.ok(!left.includes(prefix), left);
    assert.equal(virshMaybe(URI, "domstate", vm), null);
  });
});
