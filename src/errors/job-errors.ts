// The errors of the jobs modules (fine-tune parameters, uploads, waits, side-effecting calls whose outcome is
// unknown, batch results): built here, so every TogetherError comes from errors/'s factories.
import { TogetherError } from './together-error.js';

/** Fine-tune parameters tether refused before sending (category validation): every bad field named. */
export function invalidFineTuneParamsError(problems: readonly string[], param: string | undefined): TogetherError {
  return new TogetherError({
    category: 'validation',
    param,
    message: `Invalid fine-tune parameters: ${problems.join('; ')}`,
    cause: 'tether checks the job parameters before sending them; Together would refuse these (or train with a setting you did not mean).',
    fix: 'Correct the parameters named above; the list with defaults is at https://docs.together.ai/reference/post-fine-tunes.',
    retryable: false,
  });
}

/** A failed PUT to a presigned upload URL: object storage answered, not Together's API, so the key is not the problem. */
export function storageUploadError(status: number, detail: string | undefined): TogetherError {
  return new TogetherError({
    status,
    category: status >= 500 ? 'server' : 'validation',
    message: `The upload to Together's file storage failed: HTTP ${status}${detail ? `: ${detail}` : ''}`,
    cause: 'The storage host refused the presigned upload URL POST /files returned (expired, already used, or the file is too large).',
    fix: 'Run the upload again to get a fresh upload URL; if it keeps failing, try `--flow multipart` (POST /files/upload).',
    retryable: status >= 500,
  });
}

/** An uploaded file Together was still checking when the wait for it ran out. */
export function fileProcessingTimeoutError(fileId: string, processingStatus: string | null | undefined): TogetherError {
  return new TogetherError({
    category: 'timeout',
    message: `Together is still checking file ${fileId} (processing_status ${processingStatus})`,
    cause: 'The server-side check of the file did not finish in the time allowed.',
    fix: `Check it later with GET /v1/files/${fileId}; create the job once processing_status is COMPLETED.`,
    retryable: true,
    details: { fileId },
  });
}

/** A fine-tune job that had not reached a terminal status when the wait for it ran out. */
export function fineTuneWaitTimeoutError(id: string, lastStatus: string | undefined, timeoutMs: number): TogetherError {
  return new TogetherError({
    category: 'timeout',
    message: `Fine-tune job ${id} is still ${lastStatus ?? 'not reachable'} after ${Math.round(timeoutMs / 1000)} s of waiting`,
    cause: 'The job did not reach a terminal status (completed, error, cancelled) in the time allowed.',
    fix: `Wait again with \`tether finetune wait ${id}\`, or check it with \`tether finetune get ${id}\`.`,
    retryable: true,
    details: { id },
  });
}

/** The failure after a look that found nothing: says nothing was created and a retry is safe. */
export function nothingCreatedError(what: string, objects: string, listCommand: string, original: TogetherError): TogetherError {
  return new TogetherError({
    ...original.toJSON(),
    message: `The ${what} request failed after its body was sent (${original.message}), and nothing was created.`,
    cause: `The answer never arrived (${original.category}); tether then listed this account's ${objects} and found none made by this call.`,
    fix: `Nothing was created, so sending the same request again is safe (check with \`${listCommand}\` if in doubt).`,
    retryable: true,
    original,
  });
}

/** The failure when the look itself failed: the outcome is unknown and a blind retry could duplicate. */
export function outcomeUnknownError(what: string, objects: string, listCommand: string, original: TogetherError, lookup: unknown): TogetherError {
  const why = lookup instanceof Error ? lookup.message : String(lookup);
  return new TogetherError({
    ...original.toJSON(),
    message: `The ${what} request failed after its body was sent (${original.message}); whether it was created is unknown.`,
    cause: `Listing this account's ${objects} to find out failed too: ${why}`,
    fix: `Run \`${listCommand}\` before sending it again: a blind retry could create it twice.`,
    retryable: false,
    original,
  });
}

/** A batch request the pipeline answered with a stream: it cannot be stored as one output line. */
export function batchStreamAnswerError(): TogetherError {
  return new TogetherError({
    category: 'validation',
    message: 'the pipeline answered with a stream; batch requests must not set `stream: true`',
    cause: 'A streamed answer cannot be stored as one output line.',
    fix: 'Remove `stream` from the request body.',
    retryable: false,
  });
}

/** The error for a request the batch never answered, by how the batch ended. */
export function unansweredError(job: { id: string; status: string; error?: string | null | undefined }): TogetherError {
  const rerun = 'Run the unanswered requests again: submit them as a new batch, or run them live with `tether run`.';
  switch (job.status) {
    case 'EXPIRED':
      return new TogetherError({
        category: 'timeout',
        code: 'batch_expired',
        message: `Batch ${job.id} expired before this request was processed.`,
        cause: "Together's batch window (24 hours, best effort) ended before it reached this request.",
        fix: rerun,
        retryable: true,
      });
    case 'CANCELLED':
      return new TogetherError({
        category: 'server',
        code: 'batch_cancelled',
        message: `Batch ${job.id} was cancelled before this request was processed.`,
        cause: 'The batch was cancelled; requests it had not reached were never run.',
        fix: rerun,
        retryable: true,
      });
    case 'FAILED':
      return new TogetherError({
        category: 'validation',
        code: 'batch_failed',
        message: `Batch ${job.id} failed: ${job.error ?? 'no reason given'}`,
        cause: 'Together rejected the batch as a whole (usually its input file) before running this request.',
        fix: `Fix what the batch error names, then submit again (\`tether batch submit\` checks every line first). ${rerun}`,
        retryable: false,
      });
    default:
      return new TogetherError({
        category: 'server',
        code: 'missing_result',
        message: `Batch ${job.id} is ${job.status} but has no result for this request.`,
        cause: 'Neither the output file nor the error file has a line for this custom_id.',
        fix: rerun,
        retryable: true,
      });
  }
}
