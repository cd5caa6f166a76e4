// The live runner: every request of a job through the pipeline, `concurrency` at a time, each finished one
// checkpointed. It stops sending at once when the account cannot pay (402) or the key is refused (401): requests
// in flight finish and are kept, the rest stay for a resume. `maxCostUsd` never lets the spend pass the cap: a
// request is sent only when what is spent, plus a worst-case reservation for every request in flight, plus its own
// worst case fits; when only the reservations are in the way it waits for them to settle, and it stops when the
// next request's worst case does not fit even with nothing in flight (so a rerun under the same cap sends nothing).
import type { TogetherError} from '../errors/index.js';
import { batchStreamAnswerError, behaviourOf, isTogetherError } from '../errors/index.js';
import { clampTimerMs } from '../policy/index.js';
import type { BatchRequest } from './input.js';
import { formatUsd } from './progress.js';
import { errorLine, responseLine } from './result-line.js';
import type { SendFn } from './send.js';
import type { CheckpointStore, JobSummary, SavedResult } from './store.js';

export type StopReason = 'billing' | 'auth' | 'max_cost' | 'interrupted' | 'stopped_elsewhere' | 'store' | 'crash';

export interface RunStop {
  reason: StopReason;
  /** One sentence for a person. */
  message: string;
  error?: TogetherError;
}

export interface RunProgress extends JobSummary {
  inFlight: number;
  /** With a batch path (`--via auto|batch`): requests waiting on the Batch API, and how its batches stand. */
  batch?: BatchPathProgress;
  /** Requests finished by this process in this run. */
  finishedThisRun: number;
  elapsedMs: number;
}

export interface RunOutcome extends JobSummary {
  complete: boolean;
  stop?: RunStop;
  left: number;
  /** Requests this run sent (finished or not). */
  sent: number;
  finishedThisRun: number;
  /** Requests this run finished whose model has no known price: their cost is not in spentUsd (not free: unknown). */
  unpricedThisRun?: number;
}

export interface RunJobOptions {
  requests: readonly BatchRequest[];
  store: CheckpointStore;
  send: SendFn;
  concurrency?: number;
  maxCostUsd?: number;
  /**
   * An upper-bound guess of one request's cost before it is sent (0 when unknown). The reservation for a request
   * in flight is the larger of this and the most one request has cost so far; while neither is known (the first
   * request of a capped run), requests go one at a time.
   */
  costBound?: (request: BatchRequest) => number;
  onProgress?: (progress: RunProgress) => void;
  /** Aborting stops sending (like a 402); requests in flight finish and are kept. */
  signal?: AbortSignal;
  /** How long to wait before asking again when other workers hold every remaining request. */
  pollMs?: number;
  /** Answer some requests through the Batch API (`--via auto|batch`). */
  batchPath?: BatchPath;
}

/** What the batch path reports for the progress line. */
export interface BatchPathProgress {
  waiting: number;
  /** Requests the batch path has answered in this run. */
  answered: number;
  /** The batches' statuses, e.g. `IN_PROGRESS`. */
  status: string;
}

/** What a batch path may do with the requests given to it. */
export interface BatchPathHandle {
  /** A result for a request given to the batch path (its batch answered it). */
  settle(result: SavedResult): void;
  /** Send these requests live after all (the batch did not answer them in time, or could not). */
  sendLive(indexes: readonly number[]): void;
  report(progress: Pick<BatchPathProgress, 'status'>): void;
}

/**
 * A second way to answer requests (the Batch API): the runner claims the whole job first, gives the requests
 * `takes` accepts to `run`, and sends the rest live. Every request ends exactly once: settled from the batch or
 * sent live, never both. Only for stores one process owns (SQLite, memory).
 */
export interface BatchPath {
  takes(request: BatchRequest): boolean;
  /** Resolves when every request given to it is settled or handed back; `signal` aborts when the run stops. */
  run(requests: readonly BatchRequest[], handle: BatchPathHandle, signal: AbortSignal): Promise<void>;
}

export const DEFAULT_CONCURRENCY = 8;

/** Why a --max-cost run stopped, with the spend as every other line shows it (formatUsd). */
export function maxCostMessage(spentUsd: number, nextUsd: number, capUsd: number): string {
  return `${formatUsd(spentUsd)} spent; the next request could cost up to ${formatUsd(nextUsd)}, which would pass --max-cost ${formatUsd(capUsd)}`;
}

/** Failures after which sending anything more is pointless: the account or the key, not the request. */
export function stopReasonFor(error: TogetherError): 'billing' | 'auth' | undefined {
  return behaviourOf(error).stopsKey || undefined;
}

function asTogetherError(error: unknown): TogetherError | undefined {
  return isTogetherError(error) ? error : undefined;
}

/** Collects finished results and saves them in one transaction per event-loop turn. */
class ResultWriter {
  private pending: SavedResult[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  failure: Error | undefined;

  constructor(
    private readonly store: CheckpointStore,
    private readonly onSaved: (batch: readonly SavedResult[]) => void,
  ) {}

  add(result: SavedResult): void {
    this.pending.push(result);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length) {
      this.chain = this.chain
        .then(() => this.store.save(batch))
        .then(() => this.onSaved(batch), (error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        });
    }
    return this.chain;
  }
}

export async function runJob(options: RunJobOptions): Promise<RunOutcome> {
  const { requests, store, send } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const pollMs = options.pollMs ?? 1000;
  const started = performance.now();
  let summary = await store.summary();
  let stop: RunStop | undefined;
  let sent = 0;
  let finishedThisRun = 0;
  let unpriced = 0;
  let reserved = 0;
  /** The worst-case cost of the request that did not fit under --max-cost. */
  let nextEstimate = 0;
  let maxSeen = summary.maxRequestCostUsd;
  let spentSeen = summary.spentUsd;
  const inflight = new Map<number, Promise<void>>();
  const queue: number[] = [];

  const halt = (next: RunStop): void => {
    stop ??= next;
  };
  const onAbort = (): void => halt({ reason: 'interrupted', message: 'interrupted; sending stopped at once' });
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const parked = new Map<number, BatchRequest>();
  let batchAnswered = 0;
  let batchStatus = '';
  const report = (): void => {
    const batch = options.batchPath ? { batch: { waiting: parked.size, answered: batchAnswered, status: batchStatus } } : {};
    options.onProgress?.({ ...summary, inFlight: inflight.size, finishedThisRun, elapsedMs: performance.now() - started, ...batch });
  };
  // Progress counts what this process saved; other workers' work shows up with each claim's store-wide summary.
  const writer = new ResultWriter(store, (batch) => {
    summary = {
      ...summary,
      done: Math.min(summary.total, summary.done + batch.length),
      failed: summary.failed + batch.filter((r) => r.failed).length,
      spentUsd: summary.spentUsd + batch.reduce((sum, r) => sum + r.costUsd, 0),
    };
    report();
  });

  const estimate = (request: BatchRequest): number => Math.max(options.costBound?.(request) ?? 0, maxSeen);
  // Under a cost cap, nothing is known about what a request costs until one has been answered: send one first.
  let costKnown = summary.done > summary.failed;
  const limit = (): number => (options.maxCostUsd !== undefined && !costKnown ? 1 : concurrency);

  const finish = (result: SavedResult): void => {
    finishedThisRun++;
    spentSeen += result.costUsd;
    maxSeen = Math.max(maxSeen, result.costUsd);
    if (!result.failed) costKnown = true;
    writer.add(result);
  };

  async function runOne(request: BatchRequest, reservation: number): Promise<void> {
    try {
      const result = await send({ endpoint: request.endpoint, body: request.body, requestId: request.customId });
      if (result.kind !== 'json') {
        throw batchStreamAnswerError();
      }
      if (result.record.costUsd === undefined) unpriced++;
      const costUsd = result.record.costUsd ?? 0;
      finish({ index: request.index, line: responseLine(request.customId, result.body), costUsd, failed: false, retryable: false });
    } catch (thrown) {
      const error = asTogetherError(thrown);
      if (!error) {
        halt({ reason: 'crash', message: `unexpected failure: ${thrown instanceof Error ? thrown.message : String(thrown)}` });
        await store.release([request.index]).catch(() => undefined);
        return;
      }
      const reason = stopReasonFor(error);
      if (reason) {
        const message =
          reason === 'billing'
            ? `credits ran out (HTTP ${error.status ?? 402}); sending stopped at once`
            : `the API key was refused (HTTP ${error.status ?? 401}); sending stopped at once`;
        if (!stop) void store.stopAll(message).catch(() => undefined);
        halt({ reason, message, error });
        await store.release([request.index]).catch(() => undefined);
        return;
      }
      finish({ index: request.index, line: errorLine(request.customId, error), costUsd: 0, failed: true, retryable: error.retryable });
    } finally {
      reserved -= reservation;
    }
  }

  const start = (index: number): void => {
    const request = requests[index];
    if (!request) throw new Error(`the store handed out request ${index}, but the job has ${requests.length}`);
    const reservation = estimate(request);
    reserved += reservation;
    sent++;
    const task = runOne(request, reservation).finally(() => {
      inflight.delete(index);
      report();
    });
    inflight.set(index, task);
  };

  let exhausted: 'none' | 'later' | undefined;
  // The batch path: claim the whole job now, so the batch can be submitted at once; its requests wait apart.
  let wake: () => void = () => undefined;
  let woken = new Promise<void>((resolve) => (wake = resolve));
  const rewake = (): void => {
    wake();
    woken = new Promise<void>((resolve) => (wake = resolve));
  };
  let batchRun: Promise<void> | undefined;
  const batchAbort = new AbortController();
  if (options.batchPath && !stop) {
    const path = options.batchPath;
    const live: number[] = [];
    for (;;) {
      const claim = await store.claim(10_000);
      summary = claim.summary;
      if (claim.indexes.length === 0) break;
      for (const index of claim.indexes) {
        const request = requests[index];
        if (request && path.takes(request)) parked.set(index, request);
        else live.push(index);
      }
    }
    queue.push(...live);
    const handle: BatchPathHandle = {
      settle(result) {
        if (!parked.delete(result.index)) return; // not the batch's any more: sent live, or already settled
        batchAnswered++;
        finish(result);
        rewake();
      },
      sendLive(indexes) {
        const back = indexes.filter((i) => parked.delete(i));
        if (back.length === 0) return;
        queue.unshift(...back.sort((a, b) => a - b));
        rewake();
      },
      report(progress) {
        batchStatus = progress.status;
        report();
      },
    };
    batchRun = parked.size
      ? path.run([...parked.values()], handle, batchAbort.signal).then(
          // Whatever the batch path neither settled nor handed back is sent live: nothing waits forever.
          () => handle.sendLive([...parked.keys()]),
          (error: unknown) => {
            halt({ reason: 'crash', message: `the Batch API path failed: ${error instanceof Error ? error.message : String(error)}` });
            rewake();
          },
        )
      : undefined;
    exhausted = 'none';
  }

  while (true) {
    if (writer.failure) halt({ reason: 'store', message: writer.failure.message });
    while (!stop && (queue.length > 0 || exhausted === undefined) && inflight.size < limit()) {
      if (queue.length === 0) {
        let claim;
        try {
          claim = await store.claim(Math.max(1, limit() - inflight.size));
        } catch (error) {
          halt({ reason: 'store', message: (error as Error).message });
          break;
        }
        summary = claim.summary;
        spentSeen = Math.max(spentSeen, claim.summary.spentUsd);
        if (claim.stoppedBy !== undefined) {
          halt({ reason: 'stopped_elsewhere', message: `another worker stopped this job: ${claim.stoppedBy}` });
          break;
        }
        if (claim.indexes.length === 0) {
          exhausted = claim.more;
          break;
        }
        queue.push(...claim.indexes);
      }
      const next = requests[queue[0] as number];
      if (next && options.maxCostUsd !== undefined && spentSeen + reserved + estimate(next) > options.maxCostUsd) {
        // Requests in flight hold a worst-case reservation; most settle below it. Wait for them before deciding.
        if (inflight.size > 0) break;
        nextEstimate = estimate(next);
        halt({ reason: 'max_cost', message: 'max_cost' });
        break;
      }
      start(queue.shift() as number);
    }
    if (inflight.size > 0) {
      await Promise.race([...inflight.values(), ...(parked.size ? [woken] : [])]);
      if (exhausted === 'later') exhausted = undefined;
      continue;
    }
    if (!stop && !writer.failure && (queue.length > 0 || parked.size > 0)) {
      if (queue.length === 0) await woken; // the batch path settles requests or hands them back
      continue;
    }
    if (stop || exhausted === 'none' || writer.failure) break;
    if (exhausted === 'later') {
      // Other workers hold the rest: wait for them to finish, or for a crashed one's lease to run out.
      await writer.flush();
      await new Promise((resolve) => setTimeout(resolve, clampTimerMs(pollMs)));
      exhausted = undefined;
    }
  }
  options.signal?.removeEventListener('abort', onAbort);
  batchAbort.abort();
  await batchRun;
  if (parked.size) await store.release([...parked.keys()]).catch(() => undefined);
  if (queue.length) await store.release(queue).catch(() => undefined);
  await writer.flush();
  if (writer.failure) halt({ reason: 'store', message: writer.failure.message });
  summary = await store.summary();
  report();
  if (stop?.reason === 'max_cost' && options.maxCostUsd !== undefined) {
    // Worded from the final summary, so it states the same spend, at the same precision, as every other line.
    stop.message = maxCostMessage(summary.spentUsd, nextEstimate, options.maxCostUsd);
  }
  const left = summary.total - summary.done;
  return { ...summary, complete: left === 0, ...(stop && left > 0 ? { stop } : {}), left, sent, finishedThisRun, unpricedThisRun: unpriced };
}
