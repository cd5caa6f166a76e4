// Errors of the fine-tuning API, in Together's ErrorData envelope. UNCONFIRMED: Together's texts for these
// cases are not known (together-api-facts.md §10). Ours name the id and the fix; the 404 says "Fine-tune job",
// which is what tether's error table keys on to suggest `tether finetune list`.
import type { EmulatorError } from '../errors.js';

function error(status: number, message: string, code: string | null, param: string | null = null): EmulatorError {
  return { status, error: { message, type: 'invalid_request_error', param, code } };
}

/** 404 for a job id this account does not have. */
export function jobNotFound(id: string): EmulatorError {
  return error(404, `Fine-tune job ${id} not found. List this account's jobs with GET /v1/fine-tunes.`, 'not_found', 'id');
}

export function jobNotCancellable(id: string, status: string): EmulatorError {
  return error(400, `Fine-tune job ${id} is already ${status} and cannot be cancelled; only jobs that have not finished can be.`, 'job_not_cancellable');
}

/** The model is not one the emulator knows. */
export function modelNotFineTunable(model: string): EmulatorError {
  return error(
    400,
    `Model ${model} is not available for fine-tuning. Pick a base model from GET /v1/models (e.g. meta-llama/Meta-Llama-3.1-8B-Instruct-Reference).`,
    'model_not_found',
    'model',
  );
}

/** A training or validation file id that does not exist, is not uploaded yet, or has the wrong purpose. */
export function unusableFile(param: 'training_file' | 'validation_file', id: string, why: string, fix: string): EmulatorError {
  return error(400, `The ${param} ${id} ${why}. ${fix}`, 'invalid_file', param);
}

/** A file that failed the server-side check: Together refuses to start a job on it. */
export function invalidTrainingFile(param: 'training_file' | 'validation_file', id: string, report: string): EmulatorError {
  return error(
    400,
    `The ${param} ${id} did not pass validation (processing_status INVALID_FORMAT): ${report} Fix the dataset and upload it again.`,
    'invalid_file_format',
    param,
  );
}
