/**
 * The one clock the provider's wait loops read (retries, graceful shutdown, hot-unplug, wait-for-IP). Real time
 * by default; tests swap in a fake clock (the loops then run without waiting) or one that records every wait,
 * so a test asserts how the provider waited, never how long the wall clock took.
 */
export interface Clock {
  /** Milliseconds, monotonic enough for deadlines. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock. */
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

let current: Clock = realClock;

/** The clock in use now. */
export function clock(): Clock {
  return current;
}

/** Uses `c` until the returned function is called (tests: call it in `finally`/`afterEach`). */
export function useClock(c: Clock): () => void {
  const previous = current;
  current = c;
  return () => {
    current = previous;
  };
}
