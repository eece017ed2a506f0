import assert from "node:assert/strict";
import { LibvirtError, OperationInvalidError } from "../../../provider/libvirt";
import { isDomainLocked, whileDomainLocked } from "../../../provider/resources/retry";

const remote = (code: number, message: string) => ({ code, domain: 43, message, level: 2, str1: null, str2: null, str3: null, int1: -1, int2: -1 });
// What libvirt's libxl driver answered a start right after a graceful shutdown on the Xen test host (code 68,
// VIR_ERR_OPERATION_TIMEOUT, from VIR_FROM_LIBXL).
const locked = () =>
  new LibvirtError(remote(68, "Timed out during operation: cannot acquire state change lock (held by monitor=shutdown-event-1)"), "DOMAIN_CREATE");

describe("waiting out a domain lock held by the daemon (Xen: libxl tearing a stopped guest down)", () => {
  it("retries the start while libvirt times out on the domain's job lock, then returns its result", async () => {
    let calls = 0;
    const r = await whileDomainLocked(async () => {
      if (++calls < 2) throw locked();
      return "started";
    });
    assert.equal(r, "started");
    assert.equal(calls, 2);
    assert.ok(isDomainLocked(locked()));
  });

  it("throws any other error at once", async () => {
    let calls = 0;
    const other = new OperationInvalidError(remote(55, "Requested operation is not valid: domain is already running"));
    await assert.rejects(
      whileDomainLocked(async () => {
        calls++;
        throw other;
      }),
      other,
    );
    assert.equal(calls, 1);
    assert.ok(!isDomainLocked(new Error("Timed out during operation")), "only the libvirt code counts");
  });

  it("gives up after its time limit with the daemon's error", async () => {
    const err = locked();
    await assert.rejects(
      whileDomainLocked(async () => {
        throw err;
      }, 0),
      err,
    );
  });
});
