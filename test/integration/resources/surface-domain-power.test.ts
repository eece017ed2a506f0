import assert from "node:assert/strict";
import { closeAll } from "../../../provider/resources/connections";
import { domain } from "../../../provider/resources/domain";
import { Props, setReporter } from "../../../provider/resources/provider";
import { cleanupAll, uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

const URI = "qemu:///system";

// A domain with no OS (it ignores ACPI), type qemu: what a paused domain reads as, and what delete says before it waits.
describe("virt:Domain paused state and the destroy wait (qemu:///system)", function () {
  this.timeout(120000);
  const name = uniqueName("srf-pow");
  const lines: { line: string; state: string | null }[] = [];
  let id = "";
  let state: Props = {};
  before(async () => {
    // Each line with the domain's state at the moment it was said.
    setReporter((line) => lines.push({ line, state: virshMaybe(URI, "domstate", name) }));
    const r = await domain.check({}, { connection: { uri: URI }, name, type: "qemu", memory: "64MiB", shutdownTimeout: 2 });
    assert.deepEqual(r.failures, []);
    const made = await domain.create(r.inputs);
    id = made.id;
    state = { ...r.inputs, ...made.outs };
  });
  after(async () => {
    await cleanupAll([
      () => {
        virshMaybe(URI, "destroy", name);
        virshMaybe(URI, "undefine", name);
      },
      () => closeAll(),
    ]);
  });

  it("a domain paused with virsh reads as powerState paused (drift, said in words); resumed, it reads as running again", async () => {
    assert.equal(state["running"], true);
    assert.equal(state["powerState"], "running");
    virsh(URI, "suspend", name);
    lines.length = 0;
    const paused = await domain.read(id, state);
    assert.equal(paused.props["state"], "paused");
    assert.equal(paused.props["powerState"], "paused");
    assert.equal(paused.props["running"], true, "paused is not shut off: running stays true, powerState carries the drift");
    assert.deepEqual(
      lines.map((l) => l.line),
      [`virt:Domain ${name}: is paused but declared running: up brings it back to running`],
    );
    virsh(URI, "resume", name);
    const resumed = await domain.read(id, state);
    assert.equal(resumed.props["powerState"], "running");
    assert.equal(resumed.props["state"], "running");
  });

  it("delete says what it waits for and how to shorten it, before the wait, while the domain still runs", async () => {
    lines.length = 0;
    await domain.delete(id, state);
    assert.equal(virshMaybe(URI, "dominfo", name), null);
    assert.equal(lines.length, 2, JSON.stringify(lines));
    assert.equal(lines[0]!.state, "running", "said before the shutdown wait");
    // A domain with no OS ignores ACPI: after the 2 s it is forced off, and delete says so.
    assert.equal(lines[1]!.line, `virt:Domain ${name}: did not power off within 2 s: forced off`);
    assert.match(
      lines[0]!.line,
      new RegExp(
        `^virt:Domain ${name}: asking the guest to shut down \\(ACPI power button\\) and waiting up to 2 s for it to power off, then forcing it off\\. A guest that ignores ACPI .* always takes the whole 2 s: set shutdownTimeout lower \\(0 forces it off at once\\) and run up before destroying$`,
      ),
    );
  });
});
