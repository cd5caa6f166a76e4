// `tether run` as a function: check every line of the input, attach to the job's checkpoint, run what is left,
// and write the output from the checkpoint once every request has a result.
import { readFile, stat } from 'node:fs/promises';
import { DEFAULT_MAX_FILE_BYTES } from '../api/index.js';
import { createBatchApiPath, removeBatchPathState } from './batch-path.js';
import type { Via } from './batch-path.js';
import { snapshotCostBound, snapshotPrices } from './cost.js';
import type { PriceLookup } from './cost.js';
import type { Transport } from '../api/index.js';
import type { KeySource } from '../errors/index.js';
import { parseBatchInput } from './input.js';
import type { InputIssue } from './input.js';
import { openStore, parseStoreSpec } from './open-store.js';
import { writeJobOutput } from './output.js';
import { runJob } from './runner.js';
import type { RunJobOptions, RunOutcome } from './runner.js';
import type { SendFn } from './send.js';

export interface RunFileOptions {
  inputPath: string;
  outputPath: string;
  /** The --store value (see parseStoreSpec); default SQLite at `OUT.tether.sqlite`. */
  store?: string | undefined;
  send: SendFn;
  concurrency?: number | undefined;
  maxCostUsd?: number | undefined;
  /** Use this model for every request. */
  model?: string | undefined;
  /** Redo failed requests whose failure was retryable (rate limit, overload, timeout…). */
  retryFailed?: boolean | undefined;
  onProgress?: RunJobOptions['onProgress'];
  /** Called once the job is attached, before anything is sent. */
  onStart?: (info: { total: number; done: number; checkpoint: string; durable: boolean; joining: boolean }) => void;
  signal?: AbortSignal | undefined;
  pollMs?: number | undefined;
  costBound?: RunJobOptions['costBound'];
  /** live (default): every request through the pipeline. auto: discount-eligible models through the Batch API. batch: every batchable model. */
  via?: Via | undefined;
  /** For --via auto|batch: the Batch API, the deadline (epoch ms) and the margin before it when what is left goes live. */
  batch?: {
    transport: Transport;
    keySource?: KeySource | undefined;
    deadline: number;
    marginMs: number;
    pollMs: number;
    prices?: PriceLookup | undefined;
  } | undefined;
}

export type RunFileResult =
  | { kind: 'invalid'; issues: InputIssue[]; requests: number }
  | { kind: 'ran'; outcome: RunOutcome; checkpoint: string; durable: boolean; outputWritten: boolean };

/** The input file could not be read (missing, unreadable, not UTF-8 text). */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
}

/**
 * The largest input `tether run` reads (it holds the whole file): 500 MiB, just under V8's longest string, five times
 * Together's 100 MB batch input limit. A device such as /dev/zero is refused before any read: it was read until the
 * process ran out of memory.
 */
export const MAX_RUN_INPUT_BYTES = DEFAULT_MAX_FILE_BYTES;

export async function readInputFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputFileError(`${path} is not a regular file; give the path of a JSONL file`);
    if (info.size > MAX_RUN_INPUT_BYTES) {
      throw new InputFileError(`${path} is ${info.size} bytes; tether run reads at most ${MAX_RUN_INPUT_BYTES} (500 MiB). Split it into smaller files`);
    }
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(code === 'ENOENT' ? `${path}: file not found` : `cannot read ${path} (${code ?? (error as Error).message})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputFileError(`${path} is not UTF-8 text; save it as UTF-8 JSONL`);
  }
}

/** Where `--via auto|batch` records the batches it submitted, beside the output. */
export function batchStatePath(outputPath: string): string {
  return `${outputPath}.tether-batches.json`;
}

export async function runFile(options: RunFileOptions): Promise<RunFileResult> {
  const parsed = parseBatchInput(await readInputFile(options.inputPath), { model: options.model });
  if (parsed.issues.length) return { kind: 'invalid', issues: parsed.issues, requests: parsed.requests.length };
  const store = openStore(parseStoreSpec(options.store, options.outputPath));
  try {
    const total = parsed.requests.length;
    const via = options.via ?? 'live';
    const batchPath =
      via !== 'live' && options.batch
        ? createBatchApiPath({
            transport: options.batch.transport,
            keySource: options.batch.keySource,
            prices: options.batch.prices ?? snapshotPrices(),
            via,
            sendLiveAt: options.batch.deadline - options.batch.marginMs,
            pollMs: options.batch.pollMs,
            statePath: batchStatePath(options.outputPath),
            fingerprint: parsed.fingerprint,
          })
        : undefined;
    const before = await store.open({ fingerprint: parsed.fingerprint, total }, { retryFailed: options.retryFailed ?? false });
    // Other live workers on a shared job: this one joins their run (their progress is not something to resume).
    const joining = (before.heldElsewhere ?? 0) > 0;
    options.onStart?.({ total, done: before.done, checkpoint: store.location, durable: store.durable, joining });
    const outcome = await runJob({
      requests: parsed.requests,
      store,
      send: options.send,
      concurrency: options.concurrency,
      maxCostUsd: options.maxCostUsd,
      costBound: options.costBound ?? snapshotCostBound,
      onProgress: options.onProgress,
      signal: options.signal,
      pollMs: options.pollMs,
      ...(batchPath ? { batchPath } : {}),
    });
    if (outcome.complete) await writeJobOutput(store, options.outputPath, total);
    if (outcome.complete && batchPath) await removeBatchPathState(batchStatePath(options.outputPath));
    return { kind: 'ran', outcome, checkpoint: store.location, durable: store.durable, outputWritten: outcome.complete };
  } finally {
    await store.close();
  }
}
