import { LibvirtError, OperationInvalidError } from "../libvirt";

/**
 * libvirt refuses some storage calls while another job runs in the same pool — "pool has asynchronous jobs
 * running" (a refresh or pool stop while a volume is being allocated), "volume ... is still being allocated" —
 * with the generic code 55 (OPERATION_INVALID), or 1 (INTERNAL_ERROR, a pool refresh), no number of their own. Those few refusals are waited out here;
 * every other error, including other code-55 refusals, is thrown at once.
 */
const BUSY = /asynchronous jobs running|still being allocated|is busy/i;

/** libvirt's VIR_ERR_INTERNAL_ERROR: what a pool refresh reports while an upload into the pool runs (seen in CI). */
const INTERNAL_ERROR = 1;

export function isPoolBusy(err: unknown): boolean {
  const refusal = err instanceof OperationInvalidError || (err instanceof LibvirtError && err.libvirtCode === INTERNAL_ERROR);
  return refusal && BUSY.test((err as Error).message);
}

/** Runs `fn`, retrying while the pool is busy, with backoff (50 ms doubling to 2 s) for at most `limitMs`. */
export function whilePoolBusy<T>(fn: () => Promise<T>, limitMs = 300000): Promise<T> {
  return retrying(fn, isPoolBusy, limitMs, 50, 2000);
}

/** Runs `fn` until it succeeds or fails with an error `again` does not accept, or `limitMs` would pass; waits double from `firstMs` up to `maxMs`. */
async function retrying<T>(fn: () => Promise<T>, again: (e: unknown) => boolean, limitMs: number, firstMs: number, maxMs: number): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (let wait = firstMs; ; wait = Math.min(wait * 2, maxMs)) {
    try {
      return await fn();
    } catch (e) {
      if (!again(e) || Date.now() + wait > deadline) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** libvirt's VIR_ERR_OPERATION_TIMEOUT: a call waited 30 s for the domain's job ("state change") lock in vain. */
const OPERATION_TIMEOUT = 68;

export function isDomainLocked(err: unknown): boolean {
  return err instanceof LibvirtError && err.libvirtCode === OPERATION_TIMEOUT;
}

/**
 * Runs `fn`, retrying while the domain's job lock is held by the daemon, for at most `limitMs`. On Xen, once a
 * guest has shut itself down libvirt's libxl driver keeps the lock while it tears the domain down (its disk and
 * vif hotplug scripts run in dom0, seconds to tens of seconds), so a start right after a graceful shutdown can
 * fail with "cannot acquire state change lock (held by monitor=shutdown-event)". Each failed try has usually
 * waited 30 s inside libvirt already; the pause between tries only guards against a daemon that answers at once.
 */
export function whileDomainLocked<T>(fn: () => Promise<T>, limitMs = 180000): Promise<T> {
  return retrying(fn, isDomainLocked, limitMs, 1000, 1000);
}
