// A job as the API shows it: `FinetuneResponseTruncated` (create, list, cancel) and the full `FinetuneResponse`
// (get), per the OpenAPI schemas. Ids are `ft-<uuid>` like Together's, although the OpenAPI file types the full
// response's `id` as a bare uuid (the download and cancel parameters say ids start with `ft-`).
import type { FineTuneStore, Job } from './store.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function truncatedJob(store: FineTuneStore, job: Job): Record<string, unknown> {
  const p = job.params;
  const seconds = store.secondsRemaining(job);
  return {
    id: job.id,
    status: job.status,
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    ...(job.startedAt !== undefined ? { started_at: iso(job.startedAt) } : {}),
    user_id: `user-${job.ownerName}`,
    owner_address: `${job.ownerName}@emulator.invalid`,
    // Together's unit for total_price is not documented; the emulator does not bill fine-tuning.
    total_price: 0,
    token_count: store.tokenCount(job),
    training_file: p.training_file,
    ...(p.validation_file !== undefined ? { validation_file: p.validation_file } : {}),
    packing: p.packing,
    ...(p.max_seq_length !== undefined ? { max_seq_length: p.max_seq_length } : {}),
    model: p.model,
    model_output_name: job.outputName,
    ...(p.suffix !== undefined ? { suffix: p.suffix } : {}),
    n_epochs: p.n_epochs,
    n_evals: p.n_evals,
    n_checkpoints: p.n_checkpoints,
    batch_size: p.batch_size,
    training_type: p.training_type,
    training_method: p.training_method,
    learning_rate: p.learning_rate,
    lr_scheduler: p.lr_scheduler,
    warmup_ratio: p.warmup_ratio,
    max_grad_norm: p.max_grad_norm,
    weight_decay: p.weight_decay,
    random_seed: p.random_seed,
    ...(p.wandb_project_name !== undefined ? { wandb_project_name: p.wandb_project_name } : {}),
    ...(p.wandb_name !== undefined ? { wandb_name: p.wandb_name } : {}),
    ...(p.from_checkpoint !== undefined ? { from_checkpoint: p.from_checkpoint } : {}),
    ...(p.from_hf_model !== undefined ? { from_hf_model: p.from_hf_model } : {}),
    ...(p.hf_model_revision !== undefined ? { hf_model_revision: p.hf_model_revision } : {}),
    progress: { estimate_available: seconds !== undefined, seconds_remaining: seconds ?? 0 },
  };
}

export function fullJob(store: FineTuneStore, job: Job): Record<string, unknown> {
  return {
    ...truncatedJob(store, job),
    job_id: job.id,
    events: job.events,
    ...(job.status === 'completed' ? { model_output_path: `s3://together-emulator/finetune/${job.id}/output` } : {}),
    trainingfile_numlines: job.trainingLines,
    trainingfile_size: job.trainingBytes,
    epochs_completed: job.epochsCompleted,
    queue_depth: job.status === 'queued' ? 1 : 0,
    param_count: 0,
    train_on_inputs: job.params.train_on_inputs,
  };
}
