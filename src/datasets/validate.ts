// validateFile(): one streaming pass over a fine-tuning file. The main thread reads chunks cut at line
// breaks; a small worker pool checks them (or this thread, for small files); results merge in file order.
import { stat } from 'node:fs/promises';
import type { AsyncBuffer } from 'hyparquet';
import { extname } from 'node:path';
import { DatasetInputError } from './errors.js';
import { runChunk } from './job.js';
import { startWorkers, takeEarlyWorkers, workersForFile } from './early-workers.js';
import type { ChunkJob } from './job.js';
import type { WorkerPool } from './pool.js';
import { MergeQueue } from './merge-queue.js';
import type { Merge } from './merge-queue.js';
import type { ChunkResult } from './chunk.js';
import { BufferPool, DEFAULT_CHUNK_SIZE, readChunks } from './reader.js';
import { ReportBuilder } from './report.js';
import type { ValidationReport } from './report.js';
import { DEFAULT_MAX_ERRORS, DEFAULT_RULE_OPTIONS } from './types.js';
import type { Issue, RuleOptions, ValidationProfile } from './types.js';
import type { FineTuneModel } from './model.js';

/** Together's Python SDK refuses files larger than 50.1 GiB (strictly greater). */
export const MAX_FILE_BYTES = 50.1 * 2 ** 30;
/** Chunks in flight per worker: one being checked, one waiting, so a worker never idles between chunks. */
const PER_WORKER = 2;
/**
 * Checked chunks that may wait, unmerged, behind the oldest one a worker still has: how far this thread may run
 * ahead of a slow worker. Each is a small result (issues are capped per rule), not a buffer; with --model, fewer.
 */
const REORDER_WINDOW = 32;
export { DEFAULT_MAX_ERRORS };

export interface ValidateOptions {
  /** Which of Together's rule sets to apply (default `current`). */
  profile?: ValidationProfile;
  allowSameRoleRuns?: boolean;
  /** Errors (and warnings) kept per rule; the rest are only counted. Default 20. */
  maxErrors?: number;
  /** Count tokens with this model's tokenizer and check examples against its fine-tuning context. */
  model?: string;
  /**
   * With `model`: count every example with the tokenizer, for exact totals. By default an example whose UTF-8
   * size alone proves it fits the context (a token is at least one byte) is not counted.
   */
  exactTokens?: boolean;
  /** Worker threads; 0 checks on this thread. Default: one per core idle right now beyond this one (at most 3), for files of 32 MiB or more (threads.ts). */
  threads?: number;
  chunkSize?: number;
  /** Called after each chunk with the bytes checked so far and the file size. */
  onProgress?: (done: number, total: number) => void;
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new DatasetInputError(`${path} is not a regular file`);
    return info.size;
  } catch (error) {
    if (error instanceof DatasetInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetInputError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path} (${code ?? String(error)})`);
  }
}

/**
 * The model's fine-tuning limits, with --model. Loaded only then: the model catalog costs start-up time that a run
 * without --model never needs.
 */
async function fineTuneModel(id: string | undefined): Promise<FineTuneModel | undefined> {
  if (id === undefined) return undefined;
  const { resolveFineTuneModel } = await import('./model.js');
  return resolveFineTuneModel(id);
}

/** Problems of the file as a whole, from its name and size. */
export function fileLevelIssues(path: string, size: number): Issue[] {
  const issues: Issue[] = [];
  const ext = extname(path);
  if (ext !== '.jsonl' && ext !== '.parquet') {
    const lower = ext.toLowerCase();
    const hint = lower === '.jsonl' || lower === '.parquet' ? ' (the check is case-sensitive)' : '';
    issues.push({
      line: 0,
      rule: 'file.extension',
      message: `the file name ends in "${ext || '(no extension)'}"${hint}; Together fine-tunes on JSONL files named *.jsonl and pre-tokenized Parquet files named *.parquet. Rename it.`,
    });
  }
  if (size > MAX_FILE_BYTES) {
    issues.push({
      line: 0,
      rule: 'file.too-large',
      message: `the file is ${(size / 2 ** 30).toFixed(2)} GiB; Together accepts at most 50.1 GiB. Split it into several files.`,
    });
  }
  return issues;
}

async function checkOnThisThread(path: string, job: ChunkJob, buffers: BufferPool, chunkSize: number, merge: Merge): Promise<void> {
  for await (const chunk of readChunks(path, buffers, chunkSize)) {
    const result = await runChunk(chunk.bytes, chunk.final, job);
    // The result holds nothing of the buffer: it can be read into again at once.
    buffers.release(chunk.bytes.buffer as ArrayBuffer);
    await merge(result, chunk.bytes.length);
  }
}

/** Counts, on this thread, the examples a chunk's check left to count exactly (with --model). */
async function countLeft(result: ChunkResult, model: FineTuneModel | undefined, cap: number): Promise<void> {
  const left = result.toCount;
  if (model === undefined || left === undefined) return;
  delete result.toCount;
  const { countChunkTokens } = await import('./example-tokens.js');
  await countChunkTokens(result, left, model, cap);
}

/**
 * Hands chunks to the workers, and checks a chunk on this thread whenever no worker can take it (while they
 * start, or when all are busy), so no core idles. Results merge in file order (MergeQueue: this thread runs at
 * most REORDER_WINDOW chunks ahead of a slow worker). Buffers go back to the pool as soon as a chunk is checked,
 * so memory stays flat however fast the disk is.
 */
async function checkWithWorkers(path: string, job: ChunkJob, pool: WorkerPool, buffers: BufferPool, chunkSize: number, merge: Merge): Promise<void> {
  pool.start(job);
  // With --model a result may carry a chunk's examples, parsed, for exact counting: keep few of them waiting.
  const queue = new MergeQueue(job.model ? pool.size * PER_WORKER + 2 : REORDER_WINDOW, merge);
  for await (const chunk of readChunks(path, buffers, chunkSize)) {
    const length = chunk.bytes.length;
    const submitted = pool.trySubmit(chunk, PER_WORKER);
    if (submitted === undefined) {
      queue.addReady(await runChunk(chunk.bytes, chunk.final, job), length);
      buffers.release(chunk.bytes.buffer as ArrayBuffer);
    } else {
      queue.addPending(
        submitted.then(({ result, buffer }) => {
          buffers.release(buffer);
          return result;
        }),
        length,
      );
    }
    await queue.drain();
  }
  await queue.drain(true);
}

/** Validates a fine-tuning JSONL file in one streaming pass and reports every problem found. */
export async function validateFile(path: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  // Workers started early for this file (startWorkersEarly: the CLI does), else started as soon as their number is
  // known, before the model is loaded: a worker takes ~45 ms to start, time this thread spends on other things.
  const early = takeEarlyWorkers(path, options.threads);
  let pool = early ?? undefined;
  try {
    const cap = options.maxErrors ?? DEFAULT_MAX_ERRORS;
    if (!Number.isInteger(cap) || cap < 1) throw new DatasetInputError(`maxErrors must be a positive integer, got ${cap}`);
    const size = await fileSize(path);
    const parquet = extname(path) === '.parquet';
    if (early === undefined && !parquet) pool = await startWorkers(await workersForFile(size, options.threads));
    const rules: RuleOptions = {
      profile: options.profile ?? DEFAULT_RULE_OPTIONS.profile,
      allowSameRoleRuns: options.allowSameRoleRuns ?? DEFAULT_RULE_OPTIONS.allowSameRoleRuns,
    };
    const model = await fineTuneModel(options.model);
    const builder = new ReportBuilder(cap);
    for (const issue of fileLevelIssues(path, size)) builder.add(issue);
    if (parquet) {
      // Loaded only for Parquet files: the reader and its decompressors cost start-up time a JSONL run never needs.
      const { asyncBufferFromFile } = await import('hyparquet');
      await mergeParquet(await asyncBufferFromFile(path), builder, cap, model, (rows, total) => options.onProgress?.(total > 0 ? Math.round((size * rows) / total) : size, size));
      return builder.build(size, rules, model);
    }
    const job: ChunkJob = { options: rules, cap, ...(model ? { model } : {}), ...(options.exactTokens ? { exactTokens: true } : {}) };
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const buffers = new BufferPool(chunkSize);
    let done = 0;
    const merge: Merge = async (result, length) => {
      await countLeft(result, model, cap);
      builder.addChunk(result);
      done += length;
      options.onProgress?.(done, size);
    };
    if (pool === undefined) await checkOnThisThread(path, job, buffers, chunkSize, merge);
    else await checkWithWorkers(path, job, pool, buffers, chunkSize, merge);
    return builder.build(size, rules, model);
  } finally {
    await pool?.close();
  }
}

/** Checks a Parquet file row window by row window into `builder`; `progress` gets the rows done so far and the total. */
async function mergeParquet(file: AsyncBuffer, builder: ReportBuilder, cap: number, model: FineTuneModel | undefined, progress?: (rows: number, total: number) => void): Promise<void> {
  let rows = 0;
  let total = 0;
  const { checkParquet } = await import('./parquet.js');
  for await (const result of checkParquet(file, { cap, ...(model ? { model } : {}), onRowCount: (count) => (total = count) })) {
    builder.addChunk(result);
    rows += result.lines;
    progress?.(rows, total);
  }
}

/** An in-memory file as hyparquet reads it. */
function bufferSource(bytes: Uint8Array): AsyncBuffer {
  return {
    byteLength: bytes.byteLength,
    slice: (start, end) => bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + (end ?? bytes.byteLength)) as ArrayBuffer,
  };
}

/**
 * Validates a file already in memory, named `name` (the name decides JSONL or Parquet, as for a path), with
 * the same rules as validateFile; the emulator's server-side check is this.
 */
export async function validateBytes(name: string, bytes: Uint8Array, options: Omit<ValidateOptions, 'threads' | 'chunkSize' | 'onProgress'> = {}): Promise<ValidationReport> {
  const cap = options.maxErrors ?? DEFAULT_MAX_ERRORS;
  const rules: RuleOptions = {
    profile: options.profile ?? DEFAULT_RULE_OPTIONS.profile,
    allowSameRoleRuns: options.allowSameRoleRuns ?? DEFAULT_RULE_OPTIONS.allowSameRoleRuns,
  };
  const model = await fineTuneModel(options.model);
  const builder = new ReportBuilder(cap);
  for (const issue of fileLevelIssues(name, bytes.length)) builder.add(issue);
  if (extname(name) === '.parquet') {
    await mergeParquet(bufferSource(bytes), builder, cap, model);
  } else {
    const job: ChunkJob = { options: rules, cap, ...(model ? { model } : {}), ...(options.exactTokens ? { exactTokens: true } : {}) };
    const result = await runChunk(bytes, true, job);
    await countLeft(result, model, cap);
    builder.addChunk(result);
  }
  return builder.build(bytes.length, rules, model);
}
