// `tether batch wait ID…`: poll until every batch reaches a terminal status, reporting each poll.
import type { Transport } from '../api/index.js';
import type { KeySource } from '../errors/index.js';
import { clampTimerMs } from '../policy/index.js';
import { getBatch, isTerminalBatchStatus } from './batch-api.js';
import type { BatchJob } from './batch-api.js';

/** Together's docs suggest polling every 30–60 s; a batch takes minutes to hours. */
export const DEFAULT_BATCH_POLL_MS = 30_000;

export interface WaitBatchesOptions {
  intervalMs?: number;
  /** Give up after this long (the batches keep running): rejects with a BatchWaitTimeoutError. */
  timeoutMs?: number;
  onPoll?: (jobs: readonly BatchJob[]) => void;
  signal?: AbortSignal;
  keySource?: KeySource;
}

export class BatchWaitTimeoutError extends Error {
  override readonly name = 'BatchWaitTimeoutError';
  constructor(readonly jobs: readonly BatchJob[]) {
    super(`gave up waiting: ${jobs.filter((j) => !isTerminalBatchStatus(j.status)).map((j) => `${j.id} is ${j.status}`).join(', ')}`);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, clampTimerMs(ms));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The batches as they were when the last of them ended. */
export async function waitForBatches(transport: Transport, ids: readonly string[], options: WaitBatchesOptions = {}): Promise<BatchJob[]> {
  const interval = options.intervalMs ?? DEFAULT_BATCH_POLL_MS;
  const started = Date.now();
  const jobs = new Map<string, BatchJob>();
  for (;;) {
    for (const id of ids) {
      const known = jobs.get(id);
      if (known && isTerminalBatchStatus(known.status)) continue;
      jobs.set(id, await getBatch(transport, id, { signal: options.signal, keySource: options.keySource }));
    }
    const current = ids.map((id) => jobs.get(id) as BatchJob);
    options.onPoll?.(current);
    if (current.every((j) => isTerminalBatchStatus(j.status))) return current;
    if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) throw new BatchWaitTimeoutError(current);
    await delay(interval, options.signal);
  }
}
