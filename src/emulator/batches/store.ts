// Batch jobs and Together's lifecycle on the emulator clock:
//   VALIDATING (one step) → IN_PROGRESS (`linesPerStep` requests per step) → COMPLETED
//   FAILED: the input file is bad, the batch's model cannot be batched, or a configured failure matches;
//   EXPIRED: the completion window ended first (what was finished is kept); CANCELLED: POST …/cancel while
//   VALIDATING or IN_PROGRESS (finished work kept). A configured ending stops a batch part-way (after N requests)
//   as EXPIRED, FAILED or CANCELLED, with a partial output file and an error file, as Together's do.
// A job's state is a function of the time, brought up to date whenever it is read (no timers to leak). Requests
// are processed when a read finds their time has come, with the emulator's chat logic; terminal jobs get an
// output file and an error file (purpose `batch-generated`) in the same file store as uploads.
import type { BatchesConfig, EmulatorKey } from '../config.js';
import { findSnapshotModel } from '../../catalog/index.js';
import { checkBatchInput } from './input.js';
import type { BatchInputLine } from './input.js';
import { processChatLine } from './process.js';
import { idGenerator } from '../files/ids.js';
import { requestIdGenerator } from '../ids.js';
import { seededRandom } from '../prng.js';
import type { EmulatorState } from '../state.js';

export type BatchStatus = 'VALIDATING' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'EXPIRED' | 'CANCELLED';
export const TERMINAL_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set(['COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED']);

export interface BatchJob {
  id: string;
  owner: string;
  ownerName: string;
  inputFileId: string;
  fileSizeBytes: number;
  endpoint: string;
  modelId?: string;
  createdAt: number;
  deadline: number;
  status: BatchStatus;
  startedAt?: number;
  completedAt?: number;
  error?: string;
  outputFileId?: string;
  errorFileId?: string;
  lines: BatchInputLine[];
  /** The model the batch targets: `model_id`, else the first request's. */
  model?: string;
  processed: number;
  outputLines: string[];
  errorLines: string[];
}

/** BatchJob as Together sends it (OpenAPI `BatchJob`). */
export interface BatchJobBody {
  id: string;
  user_id: string;
  input_file_id: string;
  file_size_bytes: number;
  status: BatchStatus;
  job_deadline: string;
  created_at: string;
  endpoint: string;
  progress: number;
  model_id?: string;
  output_file_id?: string;
  error_file_id?: string;
  error?: string;
  completed_at?: string;
}

export interface ResolvedBatchesConfig {
  stepMs: number;
  linesPerStep: number;
  windowMs: number;
  maxLines: number;
  failures: NonNullable<BatchesConfig['failures']>;
  endings: NonNullable<BatchesConfig['endings']>;
  lineErrors: NonNullable<BatchesConfig['lineErrors']>;
}

export const BATCH_DEFAULTS = { stepMs: 100, linesPerStep: 1000, windowMs: 24 * 60 * 60 * 1000, maxLines: 50_000 } as const;

export function resolveBatchesConfig(config: BatchesConfig | undefined): ResolvedBatchesConfig {
  return {
    stepMs: config?.stepMs ?? BATCH_DEFAULTS.stepMs,
    linesPerStep: config?.linesPerStep ?? BATCH_DEFAULTS.linesPerStep,
    windowMs: config?.windowMs ?? BATCH_DEFAULTS.windowMs,
    maxLines: config?.maxLines ?? BATCH_DEFAULTS.maxLines,
    failures: config?.failures ?? [],
    endings: config?.endings ?? [],
    lineErrors: config?.lineErrors ?? [],
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export type CancelOutcome = { ok: true; job: BatchJob } | { ok: false; job: BatchJob };

export class BatchStore {
  private readonly jobs = new Map<string, BatchJob>();
  private readonly nextId: () => string;
  private readonly nextRequestId: () => string;
  /** One advance at a time per job: two reads must not process the same request twice. */
  private readonly advancing = new Map<string, Promise<void>>();

  constructor(
    private readonly seed: number,
    readonly config: ResolvedBatchesConfig,
    private readonly now: () => number,
  ) {
    const ids = idGenerator(seed, 'batch');
    this.nextId = () => ids().slice('batch-'.length);
    this.nextRequestId = requestIdGenerator(seed + 1);
  }

  create(key: EmulatorKey, input: { inputFileId: string; fileSizeBytes: number; endpoint: string; modelId?: string | undefined }): BatchJob {
    const now = this.now();
    const job: BatchJob = {
      id: this.nextId(),
      owner: key.key,
      ownerName: key.name,
      inputFileId: input.inputFileId,
      fileSizeBytes: input.fileSizeBytes,
      endpoint: input.endpoint,
      ...(input.modelId ? { modelId: input.modelId } : {}),
      createdAt: now,
      deadline: now + this.config.windowMs,
      status: 'VALIDATING',
      lines: [],
      processed: 0,
      outputLines: [],
      errorLines: [],
    };
    this.jobs.set(job.id, job);
    return job;
  }

  /** A job by id, only for its owner, brought up to date (`state` runs its requests and stores its files). */
  async get(state: EmulatorState, owner: string, id: string): Promise<BatchJob | undefined> {
    const job = this.jobs.get(id);
    if (!job || job.owner !== owner) return undefined;
    await this.advance(state, job);
    return job;
  }

  /** The owner's jobs, newest first, brought up to date. */
  async list(state: EmulatorState, owner: string): Promise<BatchJob[]> {
    const jobs = [...this.jobs.values()].filter((j) => j.owner === owner);
    for (const job of jobs) await this.advance(state, job);
    return jobs.sort((a, b) => b.createdAt - a.createdAt);
  }

  async cancel(state: EmulatorState, owner: string, id: string): Promise<CancelOutcome | undefined> {
    const job = await this.get(state, owner, id);
    if (!job) return undefined;
    if (TERMINAL_BATCH_STATUSES.has(job.status)) return { ok: false, job };
    this.finish(state, job, 'CANCELLED', this.now());
    return { ok: true, job };
  }

  clear(): void {
    this.jobs.clear();
  }

  toBody(job: BatchJob): BatchJobBody {
    const total = job.lines.length;
    const progress = job.status === 'COMPLETED' ? 100 : total === 0 ? 0 : Math.round((job.processed / total) * 10000) / 100;
    return {
      id: job.id,
      user_id: `user_emulator_${job.ownerName}`,
      input_file_id: job.inputFileId,
      file_size_bytes: job.fileSizeBytes,
      status: job.status,
      job_deadline: iso(job.deadline),
      created_at: iso(job.createdAt),
      endpoint: job.endpoint,
      progress,
      ...(job.modelId ? { model_id: job.modelId } : {}),
      ...(job.outputFileId ? { output_file_id: job.outputFileId } : {}),
      ...(job.errorFileId ? { error_file_id: job.errorFileId } : {}),
      ...(job.error ? { error: job.error } : {}),
      ...(job.completedAt !== undefined ? { completed_at: iso(job.completedAt) } : {}),
    };
  }

  private advance(state: EmulatorState, job: BatchJob): Promise<void> {
    const running = this.advancing.get(job.id);
    if (running) return running;
    const next = this.step(state, job).finally(() => this.advancing.delete(job.id));
    this.advancing.set(job.id, next);
    return next;
  }

  private async step(state: EmulatorState, job: BatchJob): Promise<void> {
    const now = this.now();
    if (job.status === 'VALIDATING') {
      const validatedAt = job.createdAt + this.config.stepMs;
      if (now < validatedAt) return;
      if (validatedAt >= job.deadline) return this.finish(state, job, 'EXPIRED', job.deadline);
      this.validate(state, job, validatedAt);
    }
    if (job.status !== 'IN_PROGRESS' || job.startedAt === undefined) return;
    const { stepMs, linesPerStep } = this.config;
    const until = Math.min(now, job.deadline);
    const due = Math.min(job.lines.length, Math.floor(((until - job.startedAt) * linesPerStep) / stepMs));
    const key = state.keys.get(job.owner);
    while (job.processed < due && key && job.status === 'IN_PROGRESS') {
      const doneAt = job.startedAt + Math.ceil(((job.processed + 1) * stepMs) / linesPerStep);
      if (this.endPartWay(state, job, doneAt)) return;
      const line = job.lines[job.processed] as BatchInputLine;
      const injected = this.injectedError(job.processed, line.customId);
      const result = injected ?? (await processChatLine(state, key, line.customId, line.body, { id: this.nextRequestId(), created: Math.floor(doneAt / 1000) }));
      (result.ok ? job.outputLines : job.errorLines).push(result.line);
      job.processed++;
    }
    if (job.status !== 'IN_PROGRESS') return; // cancelled while a request was being processed
    if (job.processed < job.lines.length && this.endPartWay(state, job, Math.min(now, job.deadline))) return;
    if (job.processed === job.lines.length) this.finish(state, job, 'COMPLETED', job.startedAt + Math.ceil((job.lines.length * stepMs) / linesPerStep));
    else if (now >= job.deadline) this.finish(state, job, 'EXPIRED', job.deadline);
  }

  /** A configured ending that applies once `job.processed` requests are done: the batch stops there. */
  private endPartWay(state: EmulatorState, job: BatchJob, at: number): boolean {
    const ending = this.config.endings.find((e) => (e.model === undefined || e.model === job.model) && job.processed >= e.afterLines);
    if (!ending) return false;
    if (ending.status === 'FAILED') job.error = ending.message ?? `The batch failed after ${job.processed} of ${job.lines.length} requests.`;
    this.finish(state, job, ending.status, at);
    return true;
  }

  /** A configured per-request error for the request at `position`, as Together writes it to the error file. */
  private injectedError(position: number, customId: string): { ok: false; line: string } | undefined {
    const rule = this.config.lineErrors.find((r) => position % r.every === (r.offset ?? r.every - 1) % r.every);
    if (!rule) return undefined;
    const message = rule.message ?? `The request failed (${rule.code}).`;
    return { ok: false, line: JSON.stringify({ custom_id: customId, error: { message, code: rule.code } }) };
  }

  private validate(state: EmulatorState, job: BatchJob, at: number): void {
    const file = state.files.get(job.owner, job.inputFileId);
    if (!file?.bytes) return this.fail(state, job, at, `Invalid input file: ${job.inputFileId} no longer exists.`);
    const checked = checkBatchInput(file.bytes, this.config.maxLines);
    if (!checked.ok) return this.fail(state, job, at, checked.error);
    job.lines = checked.lines;
    const model = job.modelId ?? (checked.lines[0]?.body as { model?: unknown } | undefined)?.model;
    if (typeof model === 'string') job.model = model;
    const failure = this.config.failures.find((f) => f.model === undefined || f.model === model);
    if (failure) return this.fail(state, job, at, failure.message ?? 'The batch failed during validation.');
    // Some serverless models cannot be batched at all; a batch targeting one fails (together-api-facts.md §11).
    const known = typeof model === 'string' ? findSnapshotModel(model) : undefined;
    if (known?.serverless === true && !known.batch && known.type === 'chat') {
      return this.fail(state, job, at, `Model ${known.id} is not available for batch inference. Use a model listed at https://docs.together.ai/docs/batch-inference.`);
    }
    job.status = 'IN_PROGRESS';
    job.startedAt = at;
  }

  private fail(state: EmulatorState, job: BatchJob, at: number, error: string): void {
    job.error = error;
    this.finish(state, job, 'FAILED', at);
  }

  /** Enter a terminal status and write the output and error files of what was processed. */
  private finish(state: EmulatorState, job: BatchJob, status: BatchStatus, at: number): void {
    job.status = status;
    job.completedAt = at;
    // Together does not keep input order in the output file: shuffle (seeded by the job) so clients must match
    // lines on custom_id.
    const random = seededRandom(this.seed, 'batch-output', job.id);
    const shuffled = (lines: string[]): string[] => {
      const out = [...lines];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j] as string, out[i] as string];
      }
      return out;
    };
    const write = (suffix: string, lines: string[]): string | undefined => {
      if (lines.length === 0) return undefined;
      const bytes = Buffer.from(`${shuffled(lines).join('\n')}\n`);
      return state.files.createUploaded(job.owner, `batch_${job.id}_${suffix}.jsonl`, 'batch-generated', 'jsonl', bytes).id;
    };
    const outputFileId = write('output', job.outputLines);
    const errorFileId = write('error', job.errorLines);
    if (outputFileId) job.outputFileId = outputFileId;
    if (errorFileId) job.errorFileId = errorFileId;
  }
}
