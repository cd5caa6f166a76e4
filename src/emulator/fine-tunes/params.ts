// POST /v1/fine-tunes: the request body schema (Together's create parameters, OpenAPI + together-ai SDK) and
// the parameters a job runs with once Together's defaults are filled in (together-api-facts.md §2.4).
import { z } from 'zod';

const fullTraining = z.looseObject({ type: z.literal('Full') });
const loraTraining = z.looseObject({
  type: z.literal('Lora'),
  lora_r: z.number().int().min(1),
  lora_alpha: z.number().int().min(1),
  lora_dropout: z.number().min(0).lt(1).nullish(),
  lora_trainable_modules: z.string().min(1).nullish(),
});
const trainOnInputs = z.union([z.boolean(), z.literal('auto')]);
const sftMethod = z.looseObject({ method: z.literal('sft'), train_on_inputs: trainOnInputs.nullish() });
const dpoMethod = z.looseObject({
  method: z.literal('dpo'),
  dpo_beta: z.number().min(0).nullish(),
  rpo_alpha: z.number().min(0).nullish(),
  dpo_normalize_logratios_by_length: z.boolean().nullish(),
  dpo_reference_free: z.boolean().nullish(),
  simpo_gamma: z.number().min(0).nullish(),
});
const lrScheduler = z.looseObject({
  lr_scheduler_type: z.enum(['linear', 'cosine']),
  lr_scheduler_args: z.looseObject({ min_lr_ratio: z.number().min(0).max(1).nullish(), num_cycles: z.number().gt(0).nullish() }).nullish(),
});
const text = z.string().nullish();

/**
 * Bounds on the counts a job is created with. The job's event log holds one `epoch_complete` per epoch: n_epochs
 * 3,000,000 grew the emulator to 2.9 GB and froze it 9-26 s a request (1e9 would end it). UNCONFIRMED: Together gives
 * each model's max_num_epochs in GET /fine-tunes/models/limits; 20 is the estimate-price bound, n_evals as there.
 */
export const FINE_TUNE_COUNT_LIMITS = { maxEpochs: 20, maxCheckpoints: 100, maxEvals: 100 } as const;

export const createFineTuneSchema = z.looseObject({
  training_file: z.string().min(1),
  validation_file: z.string().min(1).nullish(),
  model: z.string().min(1),
  n_epochs: z.number().int().min(1).max(FINE_TUNE_COUNT_LIMITS.maxEpochs).nullish(),
  n_checkpoints: z.number().int().min(1).max(FINE_TUNE_COUNT_LIMITS.maxCheckpoints).nullish(),
  n_evals: z.number().int().min(0).max(FINE_TUNE_COUNT_LIMITS.maxEvals).nullish(),
  batch_size: z.union([z.number().int().min(1), z.literal('max')]).nullish(),
  learning_rate: z.number().gt(0).nullish(),
  lr_scheduler: lrScheduler.nullish(),
  warmup_ratio: z.number().min(0).max(1).nullish(),
  max_grad_norm: z.number().min(0).nullish(),
  weight_decay: z.number().min(0).nullish(),
  packing: z.boolean().nullish(),
  max_seq_length: z.number().int().min(1).nullish(),
  random_seed: z.number().int().nullish(),
  suffix: z.string().min(1).max(64).nullish(),
  train_on_inputs: trainOnInputs.nullish(),
  training_method: z.discriminatedUnion('method', [sftMethod, dpoMethod]).nullish(),
  training_type: z.discriminatedUnion('type', [fullTraining, loraTraining]).nullish(),
  multimodal_params: z.looseObject({ train_vision: z.boolean().nullish() }).nullish(),
  wandb_api_key: text,
  wandb_base_url: text,
  wandb_project_name: text,
  wandb_name: text,
  wandb_entity: text,
  from_checkpoint: text,
  from_hf_model: text,
  hf_model_revision: text,
  hf_api_token: text,
  hf_output_repo_name: text,
});
export type CreateFineTuneBody = z.infer<typeof createFineTuneSchema>;

export const CREATE_EXAMPLE = '{"model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", "training_file": "file-..."}';

export type TrainingType = { type: 'Full' } | { type: 'Lora'; lora_r: number; lora_alpha: number; lora_dropout: number; lora_trainable_modules: string };
export type TrainingMethod =
  | { method: 'sft'; train_on_inputs: boolean }
  | {
      method: 'dpo';
      dpo_beta: number;
      rpo_alpha: number;
      dpo_normalize_logratios_by_length: boolean;
      dpo_reference_free: boolean;
      simpo_gamma: number;
    };

/** What a job runs with: the request with every default filled. */
export interface JobParams {
  model: string;
  training_file: string;
  validation_file?: string;
  n_epochs: number;
  n_checkpoints: number;
  n_evals: number;
  /** `"max"` is resolved to a number: the truncated response types `batch_size` as an integer. */
  batch_size: number;
  learning_rate: number;
  lr_scheduler: { lr_scheduler_type: 'linear' | 'cosine'; lr_scheduler_args: Record<string, number> };
  warmup_ratio: number;
  max_grad_norm: number;
  weight_decay: number;
  packing: boolean;
  max_seq_length?: number;
  random_seed: number | null;
  suffix?: string;
  train_on_inputs: boolean | 'auto';
  training_method: TrainingMethod;
  training_type: TrainingType;
  wandb_project_name?: string;
  wandb_name?: string;
  from_checkpoint?: string;
  from_hf_model?: string;
  hf_model_revision?: string;
}

/** The batch size the emulator picks for `"max"` (Together's depends on the model; unknown here). */
export const MAX_BATCH_SIZE = 8;
/** LoRA rank and alpha when `training_type` is left out (Together defaults to LoRA; its rank depends on the model). */
export const DEFAULT_LORA = { lora_r: 8, lora_alpha: 16 } as const;

function optional<K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> {
  return value === null || value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/**
 * Together's defaults (OpenAPI): n_epochs 1, n_checkpoints 1, n_evals 0, batch_size "max", learning_rate 1e-5,
 * warmup_ratio 0, max_grad_norm 1, weight_decay 0, packing true, train_on_inputs "auto", SFT, LoRA. `auto` is
 * resolved inside `training_method` (masked prompts, except for plain-text data) because the OpenAPI schema types
 * that copy as a boolean.
 */
export function resolveParams(body: CreateFineTuneBody, datasetFormat: string | undefined): JobParams {
  const trainOnInputs = body.training_method?.method === 'sft' ? (body.training_method.train_on_inputs ?? body.train_on_inputs) : body.train_on_inputs;
  const resolvedInputs = trainOnInputs === 'auto' || trainOnInputs === undefined || trainOnInputs === null ? datasetFormat === 'GENERAL' : trainOnInputs;
  const method = body.training_method;
  const training_method: TrainingMethod =
    method?.method === 'dpo'
      ? {
          method: 'dpo',
          dpo_beta: method.dpo_beta ?? 0.1,
          rpo_alpha: method.rpo_alpha ?? 0,
          dpo_normalize_logratios_by_length: method.dpo_normalize_logratios_by_length ?? false,
          dpo_reference_free: method.dpo_reference_free ?? false,
          simpo_gamma: method.simpo_gamma ?? 0,
        }
      : { method: 'sft', train_on_inputs: resolvedInputs };
  const type = body.training_type;
  const training_type: TrainingType =
    type?.type === 'Full'
      ? { type: 'Full' }
      : {
          type: 'Lora',
          lora_r: type?.lora_r ?? DEFAULT_LORA.lora_r,
          lora_alpha: type?.lora_alpha ?? DEFAULT_LORA.lora_alpha,
          lora_dropout: type?.lora_dropout ?? 0,
          lora_trainable_modules: type?.lora_trainable_modules ?? 'all-linear',
        };
  const scheduler = body.lr_scheduler;
  const schedulerArgs: Record<string, number> = { min_lr_ratio: scheduler?.lr_scheduler_args?.min_lr_ratio ?? 0 };
  if (scheduler?.lr_scheduler_type === 'cosine') schedulerArgs.num_cycles = scheduler.lr_scheduler_args?.num_cycles ?? 0.5;
  return {
    model: body.model,
    training_file: body.training_file,
    ...optional('validation_file', body.validation_file),
    n_epochs: body.n_epochs ?? 1,
    n_checkpoints: body.n_checkpoints ?? 1,
    n_evals: body.n_evals ?? 0,
    batch_size: typeof body.batch_size === 'number' ? body.batch_size : MAX_BATCH_SIZE,
    learning_rate: body.learning_rate ?? 1e-5,
    lr_scheduler: { lr_scheduler_type: scheduler?.lr_scheduler_type ?? 'linear', lr_scheduler_args: schedulerArgs },
    warmup_ratio: body.warmup_ratio ?? 0,
    max_grad_norm: body.max_grad_norm ?? 1,
    weight_decay: body.weight_decay ?? 0,
    packing: body.packing ?? true,
    ...optional('max_seq_length', body.max_seq_length),
    random_seed: body.random_seed ?? null,
    ...optional('suffix', body.suffix),
    train_on_inputs: body.train_on_inputs ?? 'auto',
    training_method,
    training_type,
    ...optional('wandb_project_name', body.wandb_project_name),
    ...optional('wandb_name', body.wandb_name),
    ...optional('from_checkpoint', body.from_checkpoint),
    ...optional('from_hf_model', body.from_hf_model),
    ...optional('hf_model_revision', body.hf_model_revision),
  };
}
