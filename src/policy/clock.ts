/**
 * Time source for the policies. The default reads the globals at call time (not at import), so node:test's
 * `mock.timers` (with `Date` mocked) drives every policy in fake time; tests may also pass their own clock.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
