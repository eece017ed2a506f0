import assert from "node:assert/strict";
import { ConnectionClosedError, DaemonUnavailableError, OperationInvalidError } from "../../../provider/libvirt/errors";
import { markUuid, uuidMark } from "../../../provider/resources/ownership";
import { ResourceInputError } from "../../../provider/resources/provider";
import { reported } from "../../../provider/resources/resource";
import { undo, undoOutcome, whileReconnecting } from "../../../provider/resources/retry";

describe("fault handling (pure parts)", () => {
  it("a delete or refresh error prints once, without our stack trace, the way Pulumi's dynamic provider host prints it", () => {
    const e = reported(new ResourceInputError("virt:StoragePool p: not deleted: it still holds 2 volume(s)"), { name: "p" }, "delete") as Error;
    // cmd/dynamic-provider prints `${e}: ${e.stack}` to stderr, then the engine shows e.message.
    const printed = `${e}: ${e.stack}`;
    assert.equal(printed.includes("still holds"), false, printed);
    assert.doesNotMatch(printed, /\n\s+at /);
    assert.equal(printed, "pulumi-virt: delete of p failed: the reason is in the error message");
    assert.ok(e instanceof ResourceInputError, "the class is kept");
    assert.equal(e.message, "virt:StoragePool p: not deleted: it still holds 2 volume(s)");
  });

  it("marks: one UUID per owner, kind and name; only that UUID counts as ours; no owner, no mark", () => {
    const u = markUuid("domain", "proj/dev/virt:Domain/web", "web");
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(markUuid("domain", "proj/dev/virt:Domain/web", "web"), u);
    assert.notEqual(markUuid("network", "proj/dev/virt:Domain/web", "web"), u);
    assert.notEqual(markUuid("domain", "proj/prod/virt:Domain/web", "web"), u);
    const m = uuidMark("domain", { name: "web", __owner: "proj/dev/virt:Domain/web" });
    assert.equal(m.uuid, u);
    assert.equal(m.ours(u.toUpperCase()), true);
    assert.equal(m.ours("00000000-0000-0000-0000-000000000000"), false);
    const none = uuidMark("domain", { name: "web" });
    assert.equal(none.uuid, undefined);
    assert.equal(none.ours(u), false);
  });

  it("an undo waits out a lost connection, and says so truthfully when it could not happen", async () => {
    let tries = 0;
    const ok = await undo(async () => {
      if (++tries < 3) throw new ConnectionClosedError("connection closed");
    });
    assert.deepEqual(ok, { done: true });
    assert.equal(tries, 3);
    const failed = await undo(() => Promise.reject(new DaemonUnavailableError("no libvirt daemon listens on /x")), 300);
    assert.equal(failed.done, false);
    assert.equal(undoOutcome(failed, "removed", "left"), "left (undoing it failed: no libvirt daemon listens on /x)");
    assert.equal(undoOutcome(ok, "removed", "left"), "removed");
    // Other errors are not retried.
    let calls = 0;
    await assert.rejects(
      whileReconnecting(async () => {
        calls++;
        throw new OperationInvalidError({ code: 55, domain: 0, message: "nope", level: 2, str1: null, str2: null, str3: null, int1: -1, int2: -1 });
      }),
      OperationInvalidError,
    );
    assert.equal(calls, 1);
  });
});
