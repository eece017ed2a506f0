import { OperationInvalidError } from "../libvirt";

/**
 * libvirt refuses some storage calls while another job runs in the same pool — "pool has asynchronous jobs
 * running" (a refresh or pool stop while a volume is being allocated), "volume ... is still being allocated" —
 * with the generic code 55 (OPERATION_INVALID), no number of their own. Those few refusals are waited out here;
 * every other error, including other code-55 refusals, is thrown at once.
 */
const BUSY = /asynchronous jobs running|still being allocated|is busy/i;

export function isPoolBusy(err: unknown): boolean {
  return err instanceof OperationInvalidError && BUSY.test(err.message);
}

/** Runs `fn`, retrying while the pool is busy, with backoff (50 ms doubling to 2 s) for at most `limitMs`. */
export async function whilePoolBusy<T>(fn: () => Promise<T>, limitMs = 300000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 2000)) {
    try {
      return await fn();
    } catch (e) {
      if (!isPoolBusy(e) || Date.now() + wait > deadline) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
