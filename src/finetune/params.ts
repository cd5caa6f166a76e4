// The parameters of POST /fine-tunes (Together's names: together-api-facts.md §2.4, OpenAPI, together-ai SDK),
// checked before anything is sent: a typo'd name, a zero epoch count or a negative learning rate is caught
// here with the field named, instead of being refused by Together (or, worse, silently ignored).
import { z } from 'zod';
import { invalidFineTuneParamsError } from '../errors/index.js';
import { nearestIds } from './nearest.js';

const positiveInt = (what: string) => z.number({ error: `must be ${what}` }).int(`must be ${what}`);
const text = z.string({ error: 'must be a string' });

const loraTraining = z.strictObject({
  type: z.literal('Lora'),
  lora_r: positiveInt('an integer ≥ 1 (the LoRA rank)').min(1, 'must be an integer ≥ 1 (the LoRA rank)'),
  lora_alpha: positiveInt('an integer ≥ 1').min(1, 'must be an integer ≥ 1'),
  lora_dropout: z.number({ error: 'must be a number' }).min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').optional(),
  lora_trainable_modules: text.min(1, 'must not be empty (e.g. "all-linear")').optional(),
});
const fullTraining = z.strictObject({ type: z.literal('Full') });
const trainOnInputs = z.union([z.boolean(), z.literal('auto')], { error: 'must be true, false or "auto"' });

const sftMethod = z.strictObject({ method: z.literal('sft'), train_on_inputs: trainOnInputs.optional() });
const dpoMethod = z.strictObject({
  method: z.literal('dpo'),
  dpo_beta: z.number().min(0, 'must be ≥ 0').optional(),
  rpo_alpha: z.number().min(0, 'must be ≥ 0').optional(),
  dpo_normalize_logratios_by_length: z.boolean().optional(),
  dpo_reference_free: z.boolean().optional(),
  simpo_gamma: z.number().min(0, 'must be ≥ 0').optional(),
});
const lrScheduler = z.strictObject({
  lr_scheduler_type: z.enum(['linear', 'cosine'], { error: 'must be "linear" or "cosine"' }),
  lr_scheduler_args: z
    .strictObject({
      min_lr_ratio: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').optional(),
      num_cycles: z.number().gt(0, 'must be > 0').optional(),
    })
    .optional(),
});

export const createJobParamsSchema = z
  .strictObject({
    model: text.trim().min(1, 'is required: the base model id, e.g. meta-llama/Meta-Llama-3.1-8B-Instruct-Reference'),
    training_file: text.trim().min(1, 'is required: a file id from an upload (file-...)'),
    validation_file: text.trim().min(1, 'must not be empty').optional(),
    n_epochs: positiveInt('an integer ≥ 1').min(1, 'must be an integer ≥ 1').optional(),
    n_checkpoints: positiveInt('an integer ≥ 1').min(1, 'must be an integer ≥ 1').optional(),
    n_evals: positiveInt('an integer ≥ 0').min(0, 'must be an integer ≥ 0').optional(),
    batch_size: z.union([positiveInt('an integer ≥ 1').min(1, 'must be an integer ≥ 1'), z.literal('max')], { error: 'must be an integer ≥ 1 or "max"' }).optional(),
    learning_rate: z.number({ error: 'must be a number > 0' }).gt(0, 'must be > 0').finite().optional(),
    lr_scheduler: lrScheduler.optional(),
    warmup_ratio: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').optional(),
    max_grad_norm: z.number().min(0, 'must be ≥ 0 (0 disables clipping)').optional(),
    weight_decay: z.number().min(0, 'must be ≥ 0').optional(),
    packing: z.boolean().optional(),
    max_seq_length: positiveInt('an integer ≥ 1').min(1, 'must be an integer ≥ 1').optional(),
    random_seed: z.number().int('must be an integer').nullable().optional(),
    suffix: text.min(1, 'must not be empty').max(64, 'must be at most 64 characters').optional(),
    train_on_inputs: trainOnInputs.optional(),
    training_method: z.discriminatedUnion('method', [sftMethod, dpoMethod], { error: 'must be {"method": "sft"} or {"method": "dpo", ...}' }).optional(),
    training_type: z.discriminatedUnion('type', [fullTraining, loraTraining], { error: 'must be {"type": "Full"} or {"type": "Lora", "lora_r": N, "lora_alpha": N}' }).optional(),
    multimodal_params: z.strictObject({ train_vision: z.boolean().optional() }).optional(),
    from_checkpoint: text.optional(),
    from_hf_model: text.optional(),
    hf_model_revision: text.optional(),
    hf_api_token: text.optional(),
    hf_output_repo_name: text.optional(),
    wandb_api_key: text.optional(),
    wandb_base_url: text.optional(),
    wandb_project_name: text.optional(),
    wandb_name: text.optional(),
    wandb_entity: text.optional(),
    early_stopping_enabled: z.boolean().optional(),
    early_stopping_min_delta: z.number().min(0, 'must be ≥ 0').optional(),
    early_stopping_patience: positiveInt('an integer ≥ 1').min(1, 'must be an integer ≥ 1').optional(),
    early_stopping_warmup_evals: positiveInt('an integer ≥ 0').min(0, 'must be an integer ≥ 0').nullable().optional(),
    gradient_accumulation_steps: positiveInt('an integer ≥ 1').min(1, 'must be an integer ≥ 1').optional(),
  })
  .refine((p) => (p.n_evals ?? 0) === 0 || p.validation_file !== undefined, {
    path: ['n_evals'],
    message: 'needs a validation_file: evaluations run on the validation set',
  })
  .refine((p) => p.training_method?.method !== 'dpo' || p.train_on_inputs === undefined, {
    path: ['train_on_inputs'],
    message: 'applies to SFT only; leave it out for DPO',
  });

/** POST /fine-tunes parameters, in Together's names. */
export type CreateJobParams = z.input<typeof createJobParamsSchema>;

const KNOWN_PARAMS = Object.keys(createJobParamsSchema.shape);

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(parameters)';
}

function describe(issue: z.core.$ZodIssue): { field: string; text: string } {
  if (issue.code === 'unrecognized_keys') {
    const texts = issue.keys.map((key) => {
      const near = issue.path.length === 0 ? nearestIds(key, KNOWN_PARAMS)[0] : undefined;
      return `\`${key}\` is not a fine-tune parameter${near ? ` (did you mean \`${near}\`?)` : ''}`;
    });
    return { field: issue.keys[0] ?? fieldPath(issue.path), text: texts.join('; ') };
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return { field: fieldPath(issue.path), text: `\`${fieldPath(issue.path)}\` ${message}` };
}

/** The parameters as sent, or a TogetherError (category validation, nothing sent) naming every bad field. */
export function checkJobParams(params: unknown): z.output<typeof createJobParamsSchema> {
  const result = createJobParamsSchema.safeParse(params);
  if (result.success) return result.data;
  const described = result.error.issues.slice(0, 5).map(describe);
  const first = described[0];
  throw invalidFineTuneParamsError(described.map((d) => d.text), first?.field);
}
