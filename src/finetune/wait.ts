// waitForJob(): poll a job until it reaches a terminal status (completed, error, user_error, cancelled),
// reporting each poll and the events that appeared since the last one. A terminal failure is returned, not
// thrown: the caller decides what a failed job means. Transient API failures (retryable TogetherErrors) are
// ridden out for a few polls in a row; anything else is thrown.
import type { Transport } from '../api/index.js';
import { TogetherError, fineTuneWaitTimeoutError } from '../errors/index.js';
import { getJob, listEvents } from './jobs.js';
import { sleep } from '../policy/index.js';
import { isTerminalStatus } from './types.js';
import type { FineTuneEvent, FineTuneJob, RequestOptions } from './types.js';

export interface WaitProgress {
  job: FineTuneJob;
  /** Events not reported by an earlier poll, oldest first. */
  newEvents: FineTuneEvent[];
  /** The status differs from the previous poll's (always true on the first). */
  statusChanged: boolean;
}

export interface WaitOptions extends RequestOptions {
  /** Between polls; default 10 s (Together's jobs take minutes to hours). */
  intervalMs?: number;
  /** Give up after this long (a TogetherError, category timeout); default: never. */
  timeoutMs?: number;
  onProgress?: (progress: WaitProgress) => void;
  /** Retryable failures tolerated in a row before giving up (default 3). */
  maxConsecutiveErrors?: number;
}

export const DEFAULT_WAIT_INTERVAL_MS = 10_000;

function eventKey(event: FineTuneEvent): string {
  return `${event.created_at ?? ''}\u0000${event.type ?? ''}\u0000${event.message ?? ''}`;
}

/** Resolves with the job in its terminal status; rejects on abort (the signal's reason), timeout or a hard API error. */
export async function waitForJob(transport: Transport, id: string, options: WaitOptions = {}): Promise<FineTuneJob> {
  const interval = options.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS;
  const maxErrors = options.maxConsecutiveErrors ?? 3;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const seen = new Set<string>();
  let lastStatus: string | undefined;
  let errors = 0;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      const job = await getJob(transport, id, options);
      // The full job carries its events; when a server leaves them out, ask for them.
      const events = job.events ?? (await listEvents(transport, id, options));
      const newEvents = events.filter((event) => !seen.has(eventKey(event)));
      for (const event of newEvents) seen.add(eventKey(event));
      options.onProgress?.({ job, newEvents, statusChanged: job.status !== lastStatus });
      lastStatus = job.status;
      errors = 0;
      if (isTerminalStatus(job.status)) return job;
    } catch (error) {
      if (!(error instanceof TogetherError) || !error.retryable || ++errors > maxErrors) throw error;
    }
    if (Date.now() + interval > deadline) {
      throw fineTuneWaitTimeoutError(id, lastStatus, options.timeoutMs ?? 0);
    }
    await sleep(interval, options.signal);
  }
}
