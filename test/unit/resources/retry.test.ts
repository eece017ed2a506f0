import assert from "node:assert/strict";
import { errorFromRemote, InvalidArgumentError, OperationInvalidError } from "../../../provider/libvirt";
import { isPoolBusy, whilePoolBusy } from "../../../provider/resources/retry";
import { fakeClock, withClock } from "../../support/clock";

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
    await assert.rejects(
      whilePoolBusy(async () => {
        calls++;
        throw other;
      }),
      other,
    );
    assert.equal(calls, 1);
    assert.ok(!isPoolBusy(new InvalidArgumentError(remote(8, "volume is still being allocated"))), "only codes 55 and 1 count");
  });

  it("also waits out a pool refresh refused with an internal error while an upload runs", async () => {
    let calls = 0;
    const refresh = errorFromRemote(remote(1, "internal error: pool 'p' has asynchronous jobs running."));
    assert.ok(isPoolBusy(refresh));
    assert.equal(await whilePoolBusy(async () => (++calls < 2 ? Promise.reject(refresh) : "refreshed")), "refreshed");
  });

  it("gives up after its time limit: waits double from 50 ms and stop before the limit would pass", async () => {
    const busy = new OperationInvalidError(remote(55, "volume 'v' is still being allocated"));
    const c = fakeClock();
    let calls = 0;
    await assert.rejects(
      withClock(c, () =>
        whilePoolBusy(async () => {
          calls++;
          throw busy;
        }, 300),
      ),
      busy,
    );
    // 50 + 100 = 150 ms waited; the next wait (200 ms) would end past 300 ms, so it gives up after the third try.
    assert.deepEqual(c.sleeps, [50, 100]);
    assert.equal(calls, 3);
  });

  it("caps the wait at 2 s and keeps trying until the limit", async () => {
    const busy = new OperationInvalidError(remote(55, "pool 'p' has asynchronous jobs running"));
    const c = fakeClock();
    let calls = 0;
    const result = await withClock(c, () => whilePoolBusy(async () => (++calls < 10 ? Promise.reject(busy) : "done"), 300000));
    assert.equal(result, "done");
    assert.deepEqual(c.sleeps, [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });
});
