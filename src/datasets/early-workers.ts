// Workers for a validation, started before the validator's code is loaded: a worker takes ~45 ms to start (Node's
// bootstrap in a new thread), about as long as loading the validator's modules, so `tether validate` starts them
// first and both happen at once, on two cores. This module is light on purpose: it loads only what deciding how
// many workers, and starting them, needs.
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { WorkerPool } from './pool.js';
import { defaultWorkers } from './threads.js';

/** More workers than this only cost memory. */
export const MAX_THREADS = 16;

/** Workers started for a file, not yet taken by validateFile. */
interface Started {
  path: string;
  /** What the caller asked for (undefined: the default for the file and the machine). */
  asked: number | undefined;
  pool: WorkerPool | undefined;
}

let started: Started | undefined;

/** The workers validateFile starts for a JSONL file of `size` bytes: `threads` if given, else one per idle core. */
export async function workersForFile(size: number, threads: number | undefined): Promise<number> {
  return Math.min(threads ?? (await defaultWorkers(size)), MAX_THREADS);
}

/**
 * Starts now the workers the next validateFile(path, {threads}) would start, so that they are ready when it needs
 * them; it takes them over (and stops them if it is not called for that path and thread count). Starts none for a
 * file it cannot read (validateFile reports that), a Parquet file or a small one. Unused, they never keep the
 * process alive.
 */
export async function startWorkersEarly(path: string, threads?: number): Promise<void> {
  stopEarlyWorkers();
  if (extname(path) === '.parquet') return;
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return;
    size = info.size;
  } catch {
    return;
  }
  started = { path, asked: threads, pool: await startWorkers(await workersForFile(size, threads)) };
}

/** `count` workers, or undefined for none. The pool's module (and worker_threads) is loaded only then. */
export async function startWorkers(count: number): Promise<WorkerPool | undefined> {
  if (count <= 0) return undefined;
  const { WorkerPool } = await import('./pool.js');
  return new WorkerPool(count);
}

/**
 * The workers started early for `path` with the same `threads` request: a pool, or null when the decision was none.
 * undefined when none were started for it (any started for something else are stopped).
 */
export function takeEarlyWorkers(path: string, threads: number | undefined): WorkerPool | null | undefined {
  const early = started;
  if (early === undefined || early.path !== path || early.asked !== threads) {
    stopEarlyWorkers();
    return undefined;
  }
  started = undefined;
  return early.pool ?? null;
}

/** Stops workers started early and not taken. */
export function stopEarlyWorkers(): void {
  const early = started;
  started = undefined;
  void early?.pool?.close();
}
