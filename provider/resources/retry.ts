import { clock } from "./clock";
import { ConnectionClosedError, DaemonUnavailableError, LibvirtError, OperationInvalidError } from "../libvirt";

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
  const c = clock();
  const deadline = c.now() + limitMs;
  for (let wait = firstMs; ; wait = Math.min(wait * 2, maxMs)) {
    try {
      return await fn();
    } catch (e) {
      if (!again(e) || c.now() + wait > deadline) throw e;
      await c.sleep(wait);
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

/**
 * The connection to the daemon was lost (the channel closed, the daemon restarted or is not up yet). The
 * connection layer dials again on the next call, so a caller that can wait simply tries again.
 */
export function isConnectionLost(err: unknown): boolean {
  return err instanceof ConnectionClosedError || err instanceof DaemonUnavailableError;
}

/**
 * Runs `fn`, trying again while the daemon is unreachable (restarting), for at most `limitMs`: 200 ms doubling
 * to 2 s between tries. Any other error is thrown at once; so is the last connection error once the time is up.
 */
export function whileReconnecting<T>(fn: () => Promise<T>, limitMs = 30000): Promise<T> {
  return retrying(fn, isConnectionLost, limitMs, 200, 2000);
}

/** What an undo step of a failed create achieved: callers say so truthfully in their error. */
export type Undo = { done: true } | { done: false; error: unknown };

/**
 * Undoes a step of a failed create (undefine what was defined, delete a partial volume), waiting out a daemon
 * restart for up to `limitMs`. Never throws: the result says whether the undo happened.
 */
export async function undo(fn: () => Promise<unknown>, limitMs = 30000): Promise<Undo> {
  try {
    await whileReconnecting(fn, limitMs);
    return { done: true };
  } catch (error) {
    return { done: false, error };
  }
}

/** The end of a create error after an undo: what happened to the object, truthfully, and what to do. */
export function undoOutcome(u: Undo, done: string, left: string): string {
  if (u.done) return done;
  return `${left} (undoing it failed: ${u.error instanceof Error ? u.error.message : String(u.error)})`;
}
