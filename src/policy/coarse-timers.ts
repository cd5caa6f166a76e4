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

/**
 * A coarse timer: a link in the swept list. The object that owns the timeout extends it (a deadline, an attempt
 * scope), so arming one allocates nothing: no Timeout, no callback closure.
 */
export abstract class CoarseTimer {
  /** Date.now() time it fires at, once armed. */
  coarseAt = 0;
  coarsePrev: CoarseTimer | undefined = undefined;
  coarseNext: CoarseTimer | undefined = undefined;
  coarseArmed = false;
  /** Called (once) by the sweep when the time has come; the timer is already disarmed. */
  abstract onCoarseTimeout(): void;
}

let head: CoarseTimer | undefined;
let interval: ReturnType<typeof setInterval> | undefined;

/** Whether a timer of `ms` on `clock` may be coarse: the system clock's, and long enough for a tick not to matter. */
export function canBeCoarse(clock: Clock, ms: number): boolean {
  return clock === systemClock && ms >= COARSE_MIN_MS;
}

/**
 * Arms `timer` to fire in `ms` (call only when canBeCoarse). Reads the globals at call time, as the system clock
 * does, so node:test's mocked timers drive it too.
 */
export function armCoarse(timer: CoarseTimer, ms: number): void {
  if (timer.coarseArmed) disarmCoarse(timer);
  timer.coarseAt = Date.now() + ms;
  timer.coarseArmed = true;
  timer.coarseNext = head;
  if (head) head.coarsePrev = timer;
  head = timer;
  // Like the Timeout it replaces, a pending coarse timer keeps the process alive: the interval is not unref'd.
  interval ??= setInterval(sweep, COARSE_TICK_MS);
}

/** Disarms `timer` (a second call is a no-op); the interval stops with the last one. */
export function disarmCoarse(timer: CoarseTimer): void {
  if (!timer.coarseArmed) return;
  unlink(timer);
  if (head === undefined) stop();
}

function unlink(timer: CoarseTimer): void {
  timer.coarseArmed = false;
  if (timer.coarsePrev) timer.coarsePrev.coarseNext = timer.coarseNext;
  else head = timer.coarseNext;
  if (timer.coarseNext) timer.coarseNext.coarsePrev = timer.coarsePrev;
  timer.coarsePrev = timer.coarseNext = undefined;
}

/** Fires every timer that is due. The interval stops once the list is empty (disarmCoarse does that too). */
function sweep(): void {
  const now = Date.now();
  let due: CoarseTimer[] | undefined;
  for (let timer = head; timer; timer = timer.coarseNext) if (timer.coarseAt <= now) (due ??= []).push(timer);
  if (due !== undefined) {
    for (const timer of due) unlink(timer);
    for (const timer of due) {
      try {
        timer.onCoarseTimeout();
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

/** Coarse timers pending (for tests: a policy that cleaned up after itself leaves none of its own). */
export function pendingCoarseTimers(): number {
  let count = 0;
  for (let timer = head; timer; timer = timer.coarseNext) count++;
  return count;
}
