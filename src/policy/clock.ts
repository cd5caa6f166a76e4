/**
 * Time source for the policies. The default reads the globals at call time (not at import), so node:test's
 * `mock.timers` (with `Date` mocked) drives every policy in fake time; tests may also pass their own clock.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's longest timer (2^31 − 1 ms, about 24.8 days): a longer one fires after 1 ms instead, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay Node's timers can keep: at most MAX_TIMER_MS, at least 0, and 0 for NaN. Every timer tether sets from a
 * number it did not choose itself (a header, a config value) goes through this, so a `reset: 99999999` cannot
 * overflow into a timer that fires at once, again and again.
 */
export function clampTimerMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, clampTimerMs(ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
