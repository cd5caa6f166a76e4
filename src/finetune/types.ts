// Wire shapes of Together's Files and Fine-tuning APIs (OpenAPI FileResponse, FinetuneResponse(Truncated),
// FineTuneEvent), checked loosely: the fields tether relies on must be there; the rest pass through untouched.
import { z } from 'zod';
import type { KeySource } from '../errors/index.js';

export const FILE_PURPOSES = ['fine-tune', 'eval', 'eval-sample', 'eval-output', 'eval-summary', 'batch-generated', 'batch-api'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/** Both of Together's upload flows (together-api-facts.md §2.3); see upload.ts for which is the default and why. */
export type UploadFlow = 'redirect' | 'multipart';

/** Together's job statuses; `user_error` is the Python SDK's addition (not in the OpenAPI enum). */
export const JOB_STATUSES = [
  'pending',
  'queued',
  'running',
  'compressing',
  'uploading',
  'cancel_requested',
  'cancelled',
  'error',
  'user_error',
  'completed',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Where a job stops changing (the Python SDK's COMPLETED_STATUSES). */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'error', 'user_error', 'cancelled']);

export function isTerminalStatus(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}

export const validationReportSchema = z.looseObject({
  valid: z.boolean().optional(),
  error: z.string().nullish(),
  error_type: z.string().nullish(),
  dataset_format: z.string().nullish(),
  nlines: z.number().nullish(),
});

export const fileObjectSchema = z.looseObject({
  id: z.string().min(1),
  object: z.string().optional(),
  created_at: z.number().optional(),
  filename: z.string().optional(),
  bytes: z.number().optional(),
  purpose: z.string().optional(),
  FileType: z.string().optional(),
  Processed: z.boolean().optional(),
  processing_status: z.string().nullish(),
  validation_report: validationReportSchema.nullish(),
});
/** A `FileResponse`. */
export type FileObject = z.infer<typeof fileObjectSchema>;

export const fineTuneEventSchema = z.looseObject({
  object: z.string().optional(),
  created_at: z.string().optional(),
  level: z.string().nullish(),
  message: z.string().optional(),
  type: z.string().optional(),
  step: z.number().nullish(),
  total_steps: z.number().nullish(),
});
export type FineTuneEvent = z.infer<typeof fineTuneEventSchema>;

export const fineTuneJobSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  started_at: z.string().nullish(),
  model: z.string().nullish(),
  model_output_name: z.string().nullish(),
  training_file: z.string().nullish(),
  validation_file: z.string().nullish(),
  suffix: z.string().nullish(),
  n_epochs: z.number().nullish(),
  epochs_completed: z.number().nullish(),
  learning_rate: z.number().nullish(),
  token_count: z.number().nullish(),
  total_price: z.number().nullish(),
  events: z.array(fineTuneEventSchema).nullish(),
  progress: z.looseObject({ estimate_available: z.boolean().optional(), seconds_remaining: z.number().optional() }).nullish(),
});
/** A `FinetuneResponse` (get) or `FinetuneResponseTruncated` (create, list, cancel). */
export type FineTuneJob = z.infer<typeof fineTuneJobSchema>;

/** What every call accepts. */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Where the API key came from, so a 401 names the right place to fix it. */
  keySource?: KeySource | undefined;
}
