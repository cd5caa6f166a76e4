// How many worker threads a validation starts: one per core that is idle right now, beyond this thread's own.
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

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
 * Threads that want a core right now, this one included: Linux's instantaneous count of runnable threads
 * (/proc/stat procs_running). Elsewhere, one plus the one-minute load average, which lags: a machine that has just
 * finished other work looks busy for a minute.
 */
export function busyThreads(): number {
  try {
    const match = /^procs_running (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux
  }
  return 1 + Math.floor(loadavg()[0] ?? 0);
}

/** The default number of workers for a file of `size` bytes, judged by how busy the machine is now. */
export function defaultWorkers(size: number): number {
  return size < WORKER_MIN_BYTES ? 0 : workersFor(size, availableParallelism(), busyThreads());
}
