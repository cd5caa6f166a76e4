// Errors the stages raise themselves (not read from an answer): built here, so every TogetherError comes from
// the errors module — classify(), classifyNetworkError() or one of these.
import { classifyNetworkError } from './network.js';
import { formatDuration } from './table.js';
import { TogetherError, isTogetherError } from './together-error.js';

/** Whatever a caller's abort carried, as the TogetherError the pipeline promises (`network`, not retryable). */
export function abortError(reason: unknown, model: string | undefined): TogetherError {
  if (isTogetherError(reason)) return reason;
  const classified = classifyNetworkError(reason, { model });
  if (classified.retryable || classified.category === 'network') {
    return new TogetherError({ ...classified.toJSON(), retryable: false, original: reason });
  }
  return classified;
}

/** The pacer could not grant budget (closed, or its shared store failed): nothing was sent. */
export function pacingFailedError(error: unknown, model: string): TogetherError {
  return new TogetherError({
    category: 'network',
    code: 'pacing_failed',
    message: error instanceof Error ? error.message : String(error),
    cause: 'The request could not get rate budget: the pipeline was closed, or its shared rate-limit store did not answer.',
    fix: 'Send through an open pipeline; with a Redis pacing store, check the Redis connection.',
    retryable: false,
    model,
    original: error,
  });
}

/** The same error, naming the model it happened on. */
export function withModel(error: TogetherError, model: string): TogetherError {
  return new TogetherError({ ...error.toJSON(), model, original: error.original });
}

/** The same error, retryable or not as told (a stream cut after the caller has chunks is not retried). */
export function withRetryable(error: TogetherError, retryable: boolean, message = error.message): TogetherError {
  return new TogetherError({ ...error.toJSON(), message, retryable, original: error.original });
}

/**
 * An answer that is not what Together sends (a body that is not JSON, a list that is not a list): something other than
 * Together's API answered. The one place this is said. Retryable only when the answer may just have been cut short
 * (an inference answer read whole); a wrong shape from a 2xx would come back the same.
 */
export function notTogetherAnswerError(options: {
  status?: number | undefined;
  message: string;
  retryable?: boolean | undefined;
  model?: string | undefined;
  original?: unknown;
}): TogetherError {
  const retryable = options.retryable ?? false;
  return new TogetherError({
    status: options.status,
    category: 'server',
    code: retryable ? 'invalid_response' : undefined,
    message: options.message,
    cause: `Something other than Together’s API answered: a proxy, a captive portal, or a base URL that points at the wrong service${retryable ? '; or the answer was cut short' : ''}.`,
    fix: `Check TOGETHER_BASE_URL (or --base-url); it should end in /v1, e.g. https://api.together.ai/v1.${retryable ? ' If it is right, retry, and report the request id to Together support if it persists.' : ''}`,
    retryable,
    model: options.model,
    original: options.original,
  });
}

/** A retry-after longer than the client waits inside one call: not waited, an error naming both. */
export function retryAfterAboveCapError(error: TogetherError, waitMs: number, capMs: number): TogetherError {
  return new TogetherError({
    status: error.status,
    code: error.code,
    type: error.type,
    param: error.param,
    category: error.category,
    message: `Together asked to wait ${formatDuration(waitMs)}, above the ${formatDuration(capMs)} cap (maxRetryAfterMs); last error: ${error.message}`,
    cause: 'The API asked for a longer pause than this client is configured to wait inside one call.',
    fix: `Try again in ${formatDuration(waitMs)} or send fewer requests; raise maxRetryAfterMs if a wait that long is acceptable.`,
    retryable: false,
    retryAfterMs: waitMs,
    requestId: error.requestId,
    model: error.model,
    original: error,
  });
}

/** A retry that would end after the request's deadline: not started. */
export function retryPastDeadlineError(error: TogetherError, attempts: number, delayMs: number, remainingMs: number): TogetherError {
  const left = remainingMs > 0 ? `only ${formatDuration(remainingMs)} of the deadline was left` : 'the deadline had passed';
  return new TogetherError({
    status: error.status,
    category: 'timeout',
    message: `Gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: a retry in ${formatDuration(delayMs)} would end after the request's deadline (${left}); last error: ${error.message}`,
    cause: `The request kept failing (${error.category}) and the total time allowed for it ran out before another attempt could finish.`,
    fix: 'Raise the total deadline (deadlineMs / timeout), or retry later when the API has recovered.',
    retryable: false,
    requestId: error.requestId,
    model: error.model,
    original: error,
  });
}
