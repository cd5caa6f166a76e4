// Together's Batch API over the api module's transport: create (201 `{job, warning?}`), get, list (a bare array),
// cancel, and reading a file's content. Every non-2xx answer is thrown as a classified TogetherError (the batch
// endpoints' `{"error": "<string>"}` envelope included).
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { createdSince, isAmbiguousFailure, nothingCreatedError, outcomeUnknownError } from '../finetune/index.js';
import { DEFAULT_MAX_FILE_BYTES, PATHS, pathTo } from '../api/index.js';
import type { RawResponse, Transport } from '../api/index.js';
import { classify, notTogetherAnswerError } from '../errors/index.js';
import type { KeySource, TogetherError } from '../errors/index.js';

export const BATCH_STATUSES = ['VALIDATING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
const TERMINAL: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED']);

/** A terminal status: nothing more will happen to the batch. (The Python SDK's `CANCELING` is not one.) */
export function isTerminalBatchStatus(status: string): boolean {
  return TERMINAL.has(status);
}

/** OpenAPI `BatchJob` (every field optional there; `id` and `status` are what tether cannot do without). */
export const batchJobSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  user_id: z.string().optional(),
  input_file_id: z.string().optional(),
  file_size_bytes: z.number().optional(),
  job_deadline: z.string().optional(),
  created_at: z.string().optional(),
  completed_at: z.string().optional(),
  endpoint: z.string().optional(),
  progress: z.number().optional(),
  model_id: z.string().optional(),
  output_file_id: z.string().optional(),
  error_file_id: z.string().optional(),
  error: z.string().optional(),
});
export type BatchJob = z.infer<typeof batchJobSchema>;

export interface BatchRequestOptions {
  signal?: AbortSignal | undefined;
  keySource?: KeySource | undefined;
}

function unexpected(response: RawResponse, what: string): TogetherError {
  return notTogetherAnswerError({ status: response.status, message: `${response.url} answered ${response.status} but ${what}` });
}

async function readText(response: RawResponse, options: BatchRequestOptions): Promise<string> {
  const text = await response.body.text();
  if (response.status < 200 || response.status >= 300) {
    throw classify({ status: response.status, headers: response.headers, body: text, keySource: options.keySource });
  }
  return text;
}

async function readJson<T>(response: RawResponse, schema: z.ZodType<T>, what: string, options: BatchRequestOptions): Promise<T> {
  const text = await readText(response, options);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw unexpected(response, 'the body is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw unexpected(response, `the body is not ${what}`);
  return parsed.data;
}

export interface CreateBatchInput {
  inputFileId: string;
  /** Default `/v1/chat/completions`. */
  endpoint?: string;
  /** Together's window is fixed at 24h; the Python SDK always sends it. */
  completionWindow?: string;
  modelId?: string;
}

export interface CreateBatchOptions extends BatchRequestOptions {
  /** Told when an ambiguous failure turned out to have created the batch (see createBatch). */
  onRecovered?: (job: BatchJob, failure: TogetherError) => void;
  /** How long to wait before listing batches a second time when the first look finds none (default 1000 ms). */
  relookDelayMs?: number;
}

/**
 * POST /batches — once: a create is never retried. When it fails after its body was sent (a timeout, a dropped
 * connection), the account's batches are listed for one on the same input file created since the call started (two
 * looks): found, it is returned (and `onRecovered` told); not found, the error says nothing was created and a retry
 * is safe.
 */
export async function createBatch(
  transport: Transport,
  input: CreateBatchInput,
  options: CreateBatchOptions = {},
): Promise<{ job: BatchJob; warning?: string }> {
  const body = {
    endpoint: input.endpoint ?? '/v1/chat/completions',
    input_file_id: input.inputFileId,
    completion_window: input.completionWindow ?? '24h',
    ...(input.modelId ? { model_id: input.modelId } : {}),
  };
  const startedAt = Date.now();
  try {
    const response = await transport.send({ method: 'POST', path: PATHS.batches, body, signal: options.signal });
    const created = await readJson(response, z.looseObject({ job: batchJobSchema, warning: z.string().optional() }), 'a created batch ({"job": {...}})', options);
    return { job: created.job, ...(created.warning ? { warning: created.warning } : {}) };
  } catch (error) {
    if (!isAmbiguousFailure(error) || options.signal?.aborted === true) throw error;
    try {
      for (let look = 0; look < 2; look++) {
        if (look > 0) await delay(options.relookDelayMs ?? 1000, undefined, options.signal ? { signal: options.signal } : {});
        const found = (await listBatches(transport, options))
          .filter((job) => job.input_file_id === input.inputFileId && createdSince(job.created_at, startedAt))
          .sort((a, b) => Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? ''))[0];
        if (found !== undefined) {
          options.onRecovered?.(found, error);
          return { job: found };
        }
      }
    } catch (lookup) {
      throw outcomeUnknownError('batch create', 'batches', 'tether batch list', error, lookup);
    }
    throw nothingCreatedError('batch create', 'batches', 'tether batch list', error);
  }
}

export async function getBatch(transport: Transport, id: string, options: BatchRequestOptions = {}): Promise<BatchJob> {
  const response = await transport.send({ method: 'GET', path: pathTo.batch(id), signal: options.signal });
  return readJson(response, batchJobSchema, 'a batch job', options);
}

export async function listBatches(transport: Transport, options: BatchRequestOptions = {}): Promise<BatchJob[]> {
  const response = await transport.send({ method: 'GET', path: PATHS.batches, signal: options.signal });
  return readJson(response, z.array(batchJobSchema), 'a list of batch jobs (a JSON array)', options);
}

export async function cancelBatch(transport: Transport, id: string, options: BatchRequestOptions = {}): Promise<BatchJob> {
  const response = await transport.send({ method: 'POST', path: pathTo.batchCancel(id), signal: options.signal });
  return readJson(response, batchJobSchema, 'a batch job', options);
}

/** A file's content as text (input, output and error files are JSONL). */
export async function fileContent(transport: Transport, fileId: string, options: BatchRequestOptions = {}): Promise<string> {
  const response = await transport.send({
    method: 'GET',
    path: pathTo.fileContent(fileId),
    headers: { accept: 'application/binary' },
    signal: options.signal,
    // A batch's output file is far larger than any completion: the file limit, not the answer limit.
    maxResponseBytes: DEFAULT_MAX_FILE_BYTES,
  });
  return readText(response, options);
}
