// Long timers that almost never fire and come one or two per request: the gateway's 15-minute deadline and the
// 10-minute attempt timeout. A Node Timeout costs about 0.4 µs to set and clear, plus its object; these instead join
// one list that a single interval sweeps, a link and an unlink each. They fire up to COARSE_TICK_MS late, which on a
// timer of at least COARSE_MIN_MS is under 2%. Shorter timers, and any on an injected clock, stay on the clock.
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/** Timers at least this long may be coarse. */
export const COARSE_MIN_MS = 30_000;
/** How often the list is swept while it holds timers: the most a coarse timer fires late. */
export const COARSE_TICK_MS = 500;

/** A coarse timer: a link in the swept list. */
export class CoarseTimer {
  prev: CoarseTimer | undefined = undefined;
  next: CoarseTimer | undefined = undefined;
  linked = true;
  constructor(
    readonly at: number,
    readonly callback: () => void,
  ) {}
}

let head: CoarseTimer | undefined;
let interval: ReturnType<typeof setInterval> | undefined;

function unlink(timer: CoarseTimer): void {
  if (!timer.linked) return;
  timer.linked = false;
  if (timer.prev) timer.prev.next = timer.next;
  else head = timer.next;
  if (timer.next) timer.next.prev = timer.prev;
  timer.prev = timer.next = undefined;
}

/** Fires every timer that is due. The interval stops once the list is empty (clearCoarse does that too). */
function sweep(): void {
  const now = Date.now();
  let due: CoarseTimer[] | undefined;
  for (let timer = head; timer; timer = timer.next) if (timer.at <= now) (due ??= []).push(timer);
  if (due !== undefined) {
    for (const timer of due) unlink(timer);
    for (const timer of due) {
      try {
        timer.callback();
      } catch (error) {
        // As a throwing Timeout callback would: reported, and the other due timers still fire.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
  if (head === undefined) stop();
}

function stop(): void {
  if (interval === undefined) return;
  clearInterval(interval);
  interval = undefined;
}

/**
 * A timer of `ms` on `clock`: coarse (swept) when the clock is the system's and `ms` is at least COARSE_MIN_MS,
 * else the clock's own. Clear it with clearCoarse. Reads the globals at call time, as the system clock does, so
 * node:test's mocked timers drive it too.
 */
export function setCoarse(clock: Clock, callback: () => void, ms: number): unknown {
  if (clock !== systemClock || ms < COARSE_MIN_MS) return clock.setTimeout(callback, ms);
  const timer = new CoarseTimer(Date.now() + ms, callback);
  timer.next = head;
  if (head) head.prev = timer;
  head = timer;
  // Like the Timeout it replaces, a pending coarse timer keeps the process alive: the interval is not unref'd.
  interval ??= setInterval(sweep, COARSE_TICK_MS);
  return timer;
}

export function clearCoarse(clock: Clock, handle: unknown): void {
  if (handle instanceof CoarseTimer) {
    unlink(handle);
    if (head === undefined) stop();
  } else {
    clock.clearTimeout(handle);
  }
}

/** Coarse timers pending (for tests: a policy that cleaned up after itself leaves none of its own). */
export function pendingCoarseTimers(): number {
  let count = 0;
  for (let timer = head; timer; timer = timer.next) count++;
  return count;
}
