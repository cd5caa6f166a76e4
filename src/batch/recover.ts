// `tether batch recover JOB -o OUT`: a Batch API job that ended EXPIRED, FAILED or CANCELLED keeps what it
// finished. Its output and error files are read back, every finished result is kept in a checkpoint, only the
// requests the batch never answered (and, with `retryErrors`, the failed ones whose error is retryable) are sent
// again live through the pipeline, and one result file is written in input order. The checkpoint is the same
// store `tether run` uses, so a recover stopped by a 402, Ctrl-C or kill -9 continues where it stopped.
import { createHash } from 'node:crypto';
import type { Transport } from '../api/index.js';
import type { KeySource } from '../errors/index.js';
import { fileContent, getBatch, isTerminalBatchStatus } from './batch-api.js';
import type { BatchJob } from './batch-api.js';
import { parseBatchInput } from './input.js';
import type { BatchRequest, InputIssue } from './input.js';
import { openStore, parseStoreSpec } from './open-store.js';
import { writeJobOutput } from './output.js';
import { BatchNotFinishedError, batchLineResults } from './results.js';
import type { BatchLineResult } from './results.js';
import { createBatchApiPath, removeBatchPathState } from './batch-path.js';
import { snapshotPrices } from './cost.js';
import type { PriceLookup } from './cost.js';
import { runJob } from './runner.js';
import type { RunJobOptions, RunOutcome } from './runner.js';
import type { SendFn } from './send.js';
import type { SavedResult } from './store.js';

export interface RecoverOptions {
  transport: Transport;
  jobId: string;
  outputPath: string;
  /** The checkpoint (see parseStoreSpec); default SQLite at `OUT.tether.sqlite`. */
  store?: string | undefined;
  /** Where the requests are sent again: the pipeline's send, as for `tether run`. */
  send: SendFn;
  /** Also send again the requests the batch failed with a retryable error (rate limit, overload, timeout…). */
  retryErrors?: boolean | undefined;
  concurrency?: number | undefined;
  maxCostUsd?: number | undefined;
  costBound?: RunJobOptions['costBound'];
  onProgress?: RunJobOptions['onProgress'];
  /** Called once the batch's files are read and the checkpoint attached, before anything is sent. */
  onStart?: (info: RecoverPlan & { checkpoint: string; done: number }) => void;
  signal?: AbortSignal | undefined;
  keySource?: KeySource | undefined;
  /**
   * Resubmit what is sent again as a new batch (at the batch price) instead of live; what that batch has not
   * answered by `deadline` less `marginMs` is sent live after all.
   */
  resubmit?: { deadline: number; marginMs: number; pollMs: number; prices?: PriceLookup | undefined } | undefined;
}

/** What the batch left, and what recover does about it. */
export interface RecoverPlan {
  job: BatchJob;
  total: number;
  /** Answered by the batch: kept as they are. */
  answered: number;
  /** Failed in the batch and kept as failed (not retryable, or `retryErrors` not asked). */
  failedKept: number;
  /** Failed in the batch with a retryable error, sent again (only with `retryErrors`). */
  failedRetried: number;
  /** Never answered by the batch: sent again. */
  missing: number;
}

export type RecoverResult =
  | { kind: 'invalid'; job: BatchJob; issues: InputIssue[] }
  | { kind: 'ran'; plan: RecoverPlan; outcome: RunOutcome; checkpoint: string; durable: boolean; outputWritten: boolean };

/** A batch that has not ended: nothing can be recovered yet. */
export class BatchNotRecoverableError extends Error {
  override readonly name = 'BatchNotRecoverableError';
}

/** What to keep from the batch and what to send again (pure). */
export function planRecovery(
  requests: readonly BatchRequest[],
  results: ReadonlyMap<string, BatchLineResult>,
  retryErrors: boolean,
): { keep: SavedResult[]; counts: Omit<RecoverPlan, 'job' | 'total'> } {
  const keep: SavedResult[] = [];
  const counts = { answered: 0, failedKept: 0, failedRetried: 0, missing: 0 };
  for (const request of requests) {
    const result = results.get(request.customId);
    // A request the batch failed because the account stopped (402, 401) was never run: it counts as missing.
    if (!result || result.accountStop) counts.missing++;
    else if (!result.ok && retryErrors && result.retryable) counts.failedRetried++;
    else {
      if (result.ok) counts.answered++;
      else counts.failedKept++;
      // The batch's own cost is billed by Together at the batch price and is not part of this run's spend.
      keep.push({ index: request.index, line: result.line, costUsd: 0, failed: !result.ok, retryable: result.retryable });
    }
  }
  return { keep, counts };
}

export async function recoverBatch(options: RecoverOptions): Promise<RecoverResult> {
  const api = { keySource: options.keySource, signal: options.signal };
  const job = await getBatch(options.transport, options.jobId, api);
  if (!isTerminalBatchStatus(job.status)) throw new BatchNotFinishedError(job);
  if (!job.input_file_id) throw new BatchNotRecoverableError(`batch ${job.id} names no input_file_id, so its requests cannot be sent again`);
  const [input, output, errors] = await Promise.all([
    fileContent(options.transport, job.input_file_id, api),
    job.output_file_id ? fileContent(options.transport, job.output_file_id, api) : undefined,
    job.error_file_id ? fileContent(options.transport, job.error_file_id, api) : undefined,
  ]);
  const parsed = parseBatchInput(input);
  if (parsed.issues.length) return { kind: 'invalid', job, issues: parsed.issues };
  const retryErrors = options.retryErrors ?? false;
  const { keep, counts } = planRecovery(parsed.requests, batchLineResults({ input, output, errors }), retryErrors);
  const plan: RecoverPlan = { job, total: parsed.requests.length, ...counts };

  const store = openStore(parseStoreSpec(options.store, options.outputPath));
  try {
    // One checkpoint per batch and input: a recover of another batch into the same output is refused, not mixed.
    const fingerprint = createHash('sha256').update(`recover\n${job.id}\n${parsed.fingerprint}`).digest('hex');
    await store.open({ fingerprint, total: parsed.requests.length }, { retryFailed: retryErrors });
    // Saving what the batch finished is idempotent: a result already in the checkpoint (a resume) is kept as is.
    await store.save(keep);
    const before = await store.summary();
    options.onStart?.({ ...plan, checkpoint: store.location, done: before.done });
    const statePath = `${options.outputPath}.tether-batches.json`;
    const batchPath = options.resubmit
      ? createBatchApiPath({
          transport: options.transport,
          keySource: options.keySource,
          prices: options.resubmit.prices ?? snapshotPrices(),
          via: 'batch',
          sendLiveAt: options.resubmit.deadline - options.resubmit.marginMs,
          pollMs: options.resubmit.pollMs,
          statePath,
          fingerprint,
        })
      : undefined;
    const outcome = await runJob({
      ...(batchPath ? { batchPath } : {}),
      requests: parsed.requests,
      store,
      send: options.send,
      concurrency: options.concurrency,
      maxCostUsd: options.maxCostUsd,
      ...(options.costBound ? { costBound: options.costBound } : {}),
      onProgress: options.onProgress,
      signal: options.signal,
    });
    if (outcome.complete) await writeJobOutput(store, options.outputPath, parsed.requests.length);
    if (outcome.complete && batchPath) await removeBatchPathState(statePath);
    return { kind: 'ran', plan, outcome, checkpoint: store.location, durable: store.durable, outputWritten: outcome.complete };
  } finally {
    await store.close();
  }
}
