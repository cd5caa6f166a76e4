// Errors the stages raise themselves (not read from an answer): built here, so every TogetherError comes from
// the errors module — classify(), classifyNetworkError() or one of these.
import { classifyNetworkError } from './network.js';
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

/** An answer whose body is not what Together sends (not JSON): something other than Together's API answered. */
export function notTogetherAnswerError(options: { status?: number | undefined; detail: string; model?: string | undefined; original?: unknown; code?: string }): TogetherError {
  const status = options.status;
  return new TogetherError({
    status,
    category: 'server',
    code: options.code ?? 'invalid_response',
    message: `${status !== undefined ? `HTTP ${status} with a body` : 'A body'} that is not JSON: ${options.detail}`,
    cause: 'Something other than Together’s API answered (a proxy or captive portal), or the answer was cut short.',
    fix: 'Check TOGETHER_BASE_URL; if it is right, retry and report the request id to Together support if it persists.',
    retryable: true,
    model: options.model,
    original: options.original,
  });
}
