// Fine-tune jobs and their status lifecycle, driven by the emulator clock:
//   pending → queued → running → compressing → uploading → completed     (fineTuneStepMs per stage)
//   cancel: cancel_requested → cancelled one step later; a configured failure ends a stage in error/user_error.
// A job's status is a function of the time, so it is brought up to date whenever it is read: there are no timers
// to leak, and close() has nothing to clear. Each transition appends FineTuneEvents stamped with the time it
// happened, not the time it was observed.
import type { FineTuneFailure } from '../config.js';
import { idGenerator } from '../files/ids.js';
import type { JobParams } from './params.js';

export const JOB_STAGES = ['pending', 'queued', 'running', 'compressing', 'uploading', 'completed'] as const;
export type JobStatus = (typeof JOB_STAGES)[number] | 'cancel_requested' | 'cancelled' | 'error' | 'user_error';
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'cancelled', 'error', 'user_error']);

export type EventType =
  | 'job_pending'
  | 'job_start'
  | 'job_stopped'
  | 'model_downloading'
  | 'model_download_complete'
  | 'training_data_downloading'
  | 'training_data_download_complete'
  | 'validation_data_downloading'
  | 'validation_data_download_complete'
  | 'training_start'
  | 'checkpoint_save'
  | 'epoch_complete'
  | 'training_complete'
  | 'model_compressing'
  | 'model_compression_complete'
  | 'model_uploading'
  | 'model_upload_complete'
  | 'job_complete'
  | 'job_error'
  | 'cancel_requested';

/** OpenAPI `FineTuneEvent`: every field but `level` is required, so unknown numbers are 0 and strings empty. */
export interface FineTuneEvent {
  object: 'fine-tune-event';
  created_at: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  type: EventType;
  param_count: number;
  token_count: number;
  total_steps: number;
  wandb_url: string;
  step: number;
  checkpoint_path: string;
  model_path: string;
  training_offset: number;
  hash: string;
}

export interface Job {
  id: string;
  owner: string;
  ownerName: string;
  params: JobParams;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  status: JobStatus;
  /** When the current status began (the next transition is `stepMs` later). */
  statusSince: number;
  events: FineTuneEvent[];
  failure?: { at: JobStatus; status: 'error' | 'user_error'; message: string };
  trainingLines: number;
  trainingBytes: number;
  outputName: string;
  epochsCompleted: number;
}

export type CancelResult = { ok: true; job: Job } | { ok: false; job: Job };

function modelBaseName(model: string): string {
  return model.split('/').at(-1) ?? model;
}

export class FineTuneStore {
  private readonly jobs = new Map<string, Job>();
  private readonly nextId: () => string;

  constructor(
    seed: number,
    private readonly stepMs: number,
    private readonly failures: readonly FineTuneFailure[],
    private readonly now: () => number,
  ) {
    this.nextId = idGenerator(seed, 'ft');
  }

  create(owner: string, ownerName: string, params: JobParams, training: { lines: number; bytes: number }): Job {
    const id = this.nextId();
    const at = this.now();
    const rule = this.failures.find((f) => (f.model === undefined || f.model === params.model) && (f.suffix === undefined || f.suffix === params.suffix));
    const failStatus = rule?.status ?? 'error';
    const job: Job = {
      id,
      owner,
      ownerName,
      params,
      createdAt: at,
      updatedAt: at,
      status: 'pending',
      statusSince: at,
      events: [],
      ...(rule
        ? { failure: { at: rule.at ?? 'running', status: failStatus, message: rule.message ?? `Job failed during the ${rule.at ?? 'running'} stage (injected by the emulator config).` } }
        : {}),
      trainingLines: training.lines,
      trainingBytes: training.bytes,
      outputName: `${ownerName}/${modelBaseName(params.model)}${params.suffix ? `-${params.suffix}` : ''}-${id.slice(3, 11)}`,
      epochsCompleted: 0,
    };
    this.log(job, at, 'job_pending', 'Fine-tune request created');
    this.jobs.set(id, job);
    return job;
  }

  /** A job by id, only for its owner, brought up to date. */
  get(owner: string, id: string): Job | undefined {
    const job = this.jobs.get(id);
    if (!job || job.owner !== owner) return undefined;
    this.advance(job);
    return job;
  }

  /** The owner's jobs in creation order, brought up to date. */
  list(owner: string): Job[] {
    const jobs = [...this.jobs.values()].filter((j) => j.owner === owner);
    for (const job of jobs) this.advance(job);
    return jobs;
  }

  /** Request cancellation; a job that already ended cannot be cancelled. Cancelling twice is harmless. */
  cancel(job: Job): CancelResult {
    this.advance(job);
    if (TERMINAL_STATUSES.has(job.status)) return { ok: false, job };
    if (job.status !== 'cancel_requested') {
      const at = this.now();
      this.enter(job, 'cancel_requested', at);
      this.log(job, at, 'cancel_requested', 'Cancellation requested by the user');
    }
    return { ok: true, job };
  }

  delete(owner: string, id: string): boolean {
    if (!this.get(owner, id)) return false;
    return this.jobs.delete(id);
  }

  clear(): void {
    this.jobs.clear();
  }

  /** Seconds until the job's next status, while one is expected. */
  secondsRemaining(job: Job): number | undefined {
    if (TERMINAL_STATUSES.has(job.status)) return undefined;
    const stagesLeft = job.status === 'cancel_requested' ? 1 : JOB_STAGES.length - 1 - JOB_STAGES.indexOf(job.status as (typeof JOB_STAGES)[number]);
    const left = job.statusSince + this.stepMs * stagesLeft - this.now();
    return Math.max(0, Math.ceil(left / 1000));
  }

  totalSteps(job: Job): number {
    return Math.max(1, Math.ceil((job.trainingLines * job.params.n_epochs) / job.params.batch_size));
  }

  /** Tokens trained on: about 4 bytes a token, once per epoch. */
  tokenCount(job: Job): number {
    return Math.ceil(job.trainingBytes / 4) * job.params.n_epochs;
  }

  private enter(job: Job, status: JobStatus, at: number): void {
    job.status = status;
    job.statusSince = at;
    job.updatedAt = at;
  }

  private log(job: Job, at: number, type: EventType, message: string, extra: Partial<FineTuneEvent> = {}): void {
    job.events.push({
      object: 'fine-tune-event',
      created_at: new Date(at).toISOString(),
      level: type === 'job_error' ? 'error' : 'info',
      message,
      type,
      param_count: 0,
      token_count: 0,
      total_steps: 0,
      wandb_url: '',
      step: 0,
      checkpoint_path: '',
      model_path: '',
      training_offset: 0,
      hash: '',
      ...extra,
    });
  }

  /** Apply every transition due by now. */
  private advance(job: Job): void {
    const now = this.now();
    while (!TERMINAL_STATUSES.has(job.status)) {
      const at = job.statusSince + this.stepMs;
      if (now < at) return;
      if (job.status === 'cancel_requested') {
        this.enter(job, 'cancelled', at);
        this.log(job, at, 'job_stopped', 'Job cancelled by the user');
        return;
      }
      if (job.failure && job.failure.at === job.status) {
        this.enter(job, job.failure.status, at);
        this.log(job, at, 'job_error', job.failure.message);
        return;
      }
      const next = JOB_STAGES[JOB_STAGES.indexOf(job.status as (typeof JOB_STAGES)[number]) + 1] as JobStatus;
      this.enter(job, next, at);
      this.onEnter(job, next, at);
    }
  }

  private onEnter(job: Job, status: JobStatus, at: number): void {
    const totalSteps = this.totalSteps(job);
    const tokens = this.tokenCount(job);
    switch (status) {
      case 'queued':
        this.log(job, at, 'job_pending', 'Job queued');
        return;
      case 'running':
        job.startedAt = at;
        this.log(job, at, 'job_start', 'Job started');
        this.log(job, at, 'model_downloading', `Downloading model ${job.params.model}`);
        this.log(job, at, 'model_download_complete', 'Model downloaded');
        this.log(job, at, 'training_data_downloading', `Downloading training file ${job.params.training_file}`);
        this.log(job, at, 'training_data_download_complete', 'Training data downloaded');
        if (job.params.validation_file) {
          this.log(job, at, 'validation_data_downloading', `Downloading validation file ${job.params.validation_file}`);
          this.log(job, at, 'validation_data_download_complete', 'Validation data downloaded');
        }
        this.log(job, at, 'training_start', 'Training started', { total_steps: totalSteps, token_count: tokens });
        return;
      case 'compressing': {
        // Training happened during `running`; its epochs and checkpoints are reported as it ends.
        const epochs = job.params.n_epochs;
        for (let epoch = 1; epoch <= epochs; epoch++) {
          job.epochsCompleted = epoch;
          this.log(job, at, 'epoch_complete', `Epoch ${epoch}/${epochs} completed`, { step: Math.round((totalSteps * epoch) / epochs), total_steps: totalSteps });
        }
        this.log(job, at, 'checkpoint_save', `Checkpoint saved at step ${totalSteps}`, {
          step: totalSteps,
          total_steps: totalSteps,
          checkpoint_path: `${job.outputName}/checkpoint-${totalSteps}`,
        });
        this.log(job, at, 'training_complete', 'Training completed', { step: totalSteps, total_steps: totalSteps, token_count: tokens });
        this.log(job, at, 'model_compressing', 'Compressing the model');
        return;
      }
      case 'uploading':
        this.log(job, at, 'model_compression_complete', 'Model compressed');
        this.log(job, at, 'model_uploading', 'Uploading the model');
        return;
      case 'completed':
        this.log(job, at, 'model_upload_complete', 'Model uploaded', { model_path: job.outputName });
        this.log(job, at, 'job_complete', `Fine-tuning completed: the model is available as ${job.outputName}`, { model_path: job.outputName, token_count: tokens });
        return;
      default:
        return;
    }
  }
}
