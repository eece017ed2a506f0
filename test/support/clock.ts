import { Clock, realClock, useClock } from "../../provider/resources/clock";

/** A clock whose time moves only when the code under test sleeps on it: waits cost nothing and are recorded. */
export interface FakeClock extends Clock {
  /** Every wait asked for, in order, in ms. */
  readonly sleeps: number[];
  /** Total of the waits. */
  slept(): number;
}

export function fakeClock(start = 1_000_000): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    slept: () => sleeps.reduce((a, b) => a + b, 0),
  };
}

/** Real time, with every wait recorded: integration tests assert how the provider waited, not the wall clock. */
export function recordingClock(): FakeClock {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => realClock.now(),
    sleep: (ms) => {
      sleeps.push(ms);
      return realClock.sleep(ms);
    },
    slept: () => sleeps.reduce((a, b) => a + b, 0),
  };
}

/** Runs `fn` with `c` as the provider's clock. */
export async function withClock<T>(c: Clock, fn: () => Promise<T>): Promise<T> {
  const restore = useClock(c);
  try {
    return await fn();
  } finally {
    restore();
  }
}
