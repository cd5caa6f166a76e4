// How many worker threads a validation starts: one per core that is idle right now, beyond this thread's own.
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

/** Below this size, starting a worker (~30 ms of CPU, and its code warming up) costs more than it saves. */
export const WORKER_MIN_BYTES = 32 * 1024 * 1024;
/** More workers than this only cost memory: the main thread reads and merges for all of them. */
export const MAX_DEFAULT_WORKERS = 3;

/**
 * Workers for a file of `size` bytes on `cores` cores while `busy` threads want a core, this one included: one per
 * core left over. A worker on a core something else is using only competes with this thread for it; on a free core
 * it checks chunks alongside this thread.
 */
export function workersFor(size: number, cores: number, busy: number): number {
  if (size < WORKER_MIN_BYTES) return 0;
  return Math.max(0, Math.min(MAX_DEFAULT_WORKERS, cores - Math.max(1, busy)));
}

/**
 * Threads that want a core right now, this one included: Linux's instantaneous count of runnable threads (the
 * "running/total" field of /proc/loadavg, the same count as /proc/stat's procs_running, in a smaller file). Elsewhere,
 * one plus the one-minute load average, which lags: a machine that has just finished other work looks busy for a
 * minute.
 */
export function busyThreads(): number {
  try {
    const match = /^\S+ \S+ \S+ (\d+)\//.exec(readFileSync('/proc/loadavg', 'latin1'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return 1 + Math.floor(loadavg()[0] ?? 0);
}

/** Samples of busyThreads() a default thread count is judged on, BUSY_SAMPLE_GAP_MS apart. */
export const BUSY_SAMPLES = 5;
export const BUSY_SAMPLE_GAP_MS = 1;

/**
 * The fewest busy threads seen in up to `samples` samples `gapMs` apart; stops at 1 (only this thread: it cannot
 * go lower). One sample alone often catches a thread that runs for a moment (a compiler or I/O thread of this very
 * process, a short-lived process) and would start no worker beside a core that is free.
 */
export async function leastBusyThreads(sample: () => number = busyThreads, samples = BUSY_SAMPLES, gapMs = BUSY_SAMPLE_GAP_MS): Promise<number> {
  let least = sample();
  for (let k = 1; k < samples && least > 1; k++) {
    await delay(gapMs);
    least = Math.min(least, sample());
  }
  return least;
}

/** The default number of workers for a file of `size` bytes, judged by how busy the machine is now. */
export async function defaultWorkers(size: number): Promise<number> {
  return size < WORKER_MIN_BYTES ? 0 : workersFor(size, availableParallelism(), await leastBusyThreads());
}
