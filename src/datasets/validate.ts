// validateFile(): one streaming pass over a fine-tuning file. The main thread reads chunks cut at line
// breaks; a small worker pool checks them (or this thread, for small files); results merge in file order.
import { stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { extname } from 'node:path';
import { DatasetInputError } from './errors.js';
import { runChunk } from './job.js';
import type { ChunkJob } from './job.js';
import { resolveFineTuneModel } from './model.js';
import { WorkerPool } from './pool.js';
import type { ChunkDone } from './pool.js';
import type { ChunkResult } from './chunk.js';
import { BufferPool, DEFAULT_CHUNK_SIZE, readChunks } from './reader.js';
import { ReportBuilder } from './report.js';
import type { ValidationReport } from './report.js';
import { DEFAULT_RULE_OPTIONS } from './types.js';
import type { Issue, RuleOptions, ValidationProfile } from './types.js';

/** Together's Python SDK refuses files larger than 50.1 GiB (strictly greater). */
export const MAX_FILE_BYTES = 50.1 * 2 ** 30;
/** More workers than this only cost memory. */
const MAX_THREADS = 16;
/** Chunks in flight per worker: one being checked, one waiting, so a worker never idles between chunks. */
const PER_WORKER = 2;
/** Below this size, starting workers costs more than it saves. */
const WORKER_MIN_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_ERRORS = 20;

export interface ValidateOptions {
  /** Which of Together's rule sets to apply (default `current`). */
  profile?: ValidationProfile;
  allowSameRoleRuns?: boolean;
  /** Errors (and warnings) kept per rule; the rest are only counted. Default 20. */
  maxErrors?: number;
  /** Count tokens with this model's tokenizer and check examples against its fine-tuning context. */
  model?: string;
  /** Worker threads; 0 checks on this thread. Default: one per idle core beyond this one (at most 3), for files of 8 MiB or more. */
  threads?: number;
  chunkSize?: number;
  /** Called after each chunk with the bytes checked so far and the file size. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Workers to start: one per idle core beyond this thread's (which checks chunks too), at most 3, and at least
 * one wherever there is a second core. The load average only decides the extra ones: it trails by a minute (a
 * previous run of tether itself raises it), and one worker cannot make things much worse, since this thread
 * checks a chunk itself whenever the worker is still busy.
 */
function defaultThreads(size: number): number {
  if (size < WORKER_MIN_BYTES) return 0;
  const cores = availableParallelism();
  const idle = cores - Math.round(loadavg()[0] ?? 0);
  return Math.max(cores >= 2 ? 1 : 0, Math.min(3, idle - 1));
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

/** Problems of the file as a whole, from its name and size. */
export function fileLevelIssues(path: string, size: number): Issue[] {
  const issues: Issue[] = [];
  const ext = extname(path);
  if (ext !== '.jsonl') {
    const hint = ext.toLowerCase() === '.jsonl' ? ' (the check is case-sensitive)' : '';
    issues.push({
      line: 0,
      rule: 'file.extension',
      message: `the file name ends in "${ext || '(no extension)'}"${hint}; Together's upload accepts JSONL data only in a file named *.jsonl. Rename it.`,
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

/** Takes a checked chunk's result, in file order, and the buffer for reuse. */
type Merge = (result: ChunkResult, buffer: ArrayBuffer, length: number) => void;

async function checkOnThisThread(path: string, job: ChunkJob, buffers: BufferPool, chunkSize: number, merge: Merge): Promise<void> {
  for await (const chunk of readChunks(path, buffers, chunkSize)) {
    merge(await runChunk(chunk.bytes, chunk.final, job), chunk.bytes.buffer as ArrayBuffer, chunk.bytes.length);
  }
}

/**
 * Hands chunks to the workers, and checks a chunk on this thread whenever no worker can take it (while
 * they start, or when all are busy), so no core idles. Results merge in file order; the queue is bounded,
 * so memory stays flat however fast the disk is.
 */
async function checkWithWorkers(path: string, job: ChunkJob, threads: number, buffers: BufferPool, chunkSize: number, merge: Merge): Promise<void> {
  const pool = new WorkerPool(threads, job);
  const queue: { done: Promise<ChunkDone>; length: number; settled: boolean }[] = [];
  const maxQueued = threads * PER_WORKER + 2;
  try {
    for await (const chunk of readChunks(path, buffers, chunkSize)) {
      const submitted = pool.trySubmit(chunk, PER_WORKER);
      if (submitted === undefined) {
        const result = await runChunk(chunk.bytes, chunk.final, job);
        queue.push({ done: Promise.resolve({ result, buffer: chunk.bytes.buffer as ArrayBuffer }), length: chunk.bytes.length, settled: true });
      } else {
        const entry = { done: submitted, length: chunk.bytes.length, settled: false };
        // Awaited in order below; the handlers also keep a failure from going unhandled meanwhile.
        submitted.then(
          () => (entry.settled = true),
          () => (entry.settled = true),
        );
        queue.push(entry);
      }
      while (queue.length >= maxQueued || queue[0]?.settled) {
        const next = queue.shift()!;
        const { result, buffer } = await next.done;
        merge(result, buffer, next.length);
      }
    }
    for (const next of queue) {
      const { result, buffer } = await next.done;
      merge(result, buffer, next.length);
    }
  } finally {
    await pool.close();
  }
}

/** Validates a fine-tuning JSONL file in one streaming pass and reports every problem found. */
export async function validateFile(path: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const cap = options.maxErrors ?? DEFAULT_MAX_ERRORS;
  if (!Number.isInteger(cap) || cap < 1) throw new DatasetInputError(`maxErrors must be a positive integer, got ${cap}`);
  const size = await fileSize(path);
  const rules: RuleOptions = {
    profile: options.profile ?? DEFAULT_RULE_OPTIONS.profile,
    allowSameRoleRuns: options.allowSameRoleRuns ?? DEFAULT_RULE_OPTIONS.allowSameRoleRuns,
  };
  const model = options.model !== undefined ? resolveFineTuneModel(options.model) : undefined;
  const job: ChunkJob = { options: rules, cap, ...(model ? { model } : {}) };
  const builder = new ReportBuilder(cap);
  for (const issue of fileLevelIssues(path, size)) builder.add(issue);
  const threads = Math.min(options.threads ?? defaultThreads(size), MAX_THREADS);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const buffers = new BufferPool(chunkSize);
  let done = 0;
  const merge: Merge = (result, buffer, length) => {
    builder.addChunk(result);
    buffers.release(buffer);
    done += length;
    options.onProgress?.(done, size);
  };

  if (threads <= 0) await checkOnThisThread(path, job, buffers, chunkSize, merge);
  else await checkWithWorkers(path, job, threads, buffers, chunkSize, merge);
  return builder.build(size, rules, model);
}
