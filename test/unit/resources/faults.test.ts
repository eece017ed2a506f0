import assert from "node:assert/strict";
import { ConnectionClosedError, DaemonUnavailableError, OperationInvalidError, UriError } from "../../../provider/libvirt/errors";
import { forwarder } from "../../../sdk/provider";
import { markPrefix, markUuid, uuidMark } from "../../../provider/resources/ownership";
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

  it("through the SDK forwarder, a failed delete prints one short line and keeps its message for the engine", async () => {
    const provider = forwarder("pool", "storagePool");
    // A URI that cannot be parsed fails before any host is reached.
    const err = (await provider.delete!("id", { name: "p", uri: "::not a uri" }).catch((e) => e)) as Error;
    assert.ok(err instanceof UriError, String(err));
    assert.match(err.message, /not a libvirt URI/);
    assert.equal(`${err}: ${err.stack}`, "pulumi-virt: delete of p failed: the reason is in the error message");
  });

  it("marks: a UUID whose first 60 bits name owner, kind and name, fresh for every create; no owner, no mark", () => {
    const owner = "proj/dev/virt:Domain/web";
    const u = markUuid("domain", owner, "web");
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(u.startsWith(`${markPrefix("domain", owner, "web")}-`));
    assert.notEqual(markUuid("domain", owner, "web"), u, "a replacement gets a new UUID");
    assert.notEqual(markPrefix("network", owner, "web"), markPrefix("domain", owner, "web"));
    assert.notEqual(markPrefix("domain", "proj/prod/virt:Domain/web", "web"), markPrefix("domain", owner, "web"));
    const m = uuidMark("domain", { name: "web", __owner: owner });
    assert.ok(m.uuid !== undefined && m.ours(m.uuid));
    assert.equal(m.ours(u.toUpperCase()), true, "any create of this resource made it");
    assert.equal(m.ours(markUuid("domain", "proj/dev/virt:Domain/other", "web")), false);
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
