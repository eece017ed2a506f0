import assert from "node:assert/strict";
import { errorFromRemote, InvalidArgumentError, OperationInvalidError } from "../../../provider/libvirt";
import { isPoolBusy, whilePoolBusy } from "../../../provider/resources/retry";

const remote = (code: number, message: string) => ({ code, domain: 18, message, level: 2, str1: null, str2: null, str3: null, int1: -1, int2: -1 });

describe("waiting out a busy pool", () => {
  it("retries only libvirt's busy-pool refusals, then returns the result", async () => {
    let calls = 0;
    const busy = new OperationInvalidError(remote(55, "Requested operation is not valid: pool 'p' has asynchronous jobs running."));
    const r = await whilePoolBusy(async () => {
      if (++calls < 3) throw busy;
      return "done";
    });
    assert.equal(r, "done");
    assert.equal(calls, 3);
    assert.ok(isPoolBusy(busy));
  });

  it("throws any other error at once, even another code 55", async () => {
    let calls = 0;
    const other = new OperationInvalidError(remote(55, "Requested operation is not valid: storage pool 'p' is not active"));
    await assert.rejects(whilePoolBusy(async () => { calls++; throw other; }), other);
    assert.equal(calls, 1);
    assert.ok(!isPoolBusy(new InvalidArgumentError(remote(8, "volume is still being allocated"))), "only codes 55 and 1 count");
  });

  it("also waits out a pool refresh refused with an internal error while an upload runs", async () => {
    let calls = 0;
    const refresh = errorFromRemote(remote(1, "internal error: pool 'p' has asynchronous jobs running."));
    assert.ok(isPoolBusy(refresh));
    assert.equal(await whilePoolBusy(async () => (++calls < 2 ? Promise.reject(refresh) : "refreshed")), "refreshed");
  });

  it("gives up after its time limit", async () => {
    const busy = new OperationInvalidError(remote(55, "volume 'v' is still being allocated"));
    const t = Date.now();
    await assert.rejects(whilePoolBusy(async () => { throw busy; }, 300), busy);
    assert.ok(Date.now() - t < 1000);
  });
});
