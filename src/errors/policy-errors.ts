// The errors the policy layers fail with (timeouts, a peer's billing stop, a spent retry budget, a model's dynamic
// limit, local throttling): built here, so every TogetherError comes from errors/'s factories.
import { formatDuration } from './table.js';
import { TogetherError } from './together-error.js';

export type TimeoutKind = 'attempt' | 'idle' | 'deadline';

/** The TogetherError a timer aborts with. Attempt and idle timeouts are retryable; a spent deadline is not. */
export function timeoutError(kind: TimeoutKind, ms: number, model?: string): TogetherError {
  const text = {
    attempt: {
      message: `No complete response within the ${formatDuration(ms)} per-attempt timeout.`,
      cause: 'The API (or the network to it) was slower than the per-attempt timeout allows, body included.',
      fix: 'Retry, or raise attemptTimeoutMs for long generations.',
    },
    idle: {
      message: `The response went silent for ${formatDuration(ms)} (idle timeout between chunks).`,
      cause: 'The API stopped sending data in the middle of a response.',
      fix: 'Retry; raise idleTimeoutMs if the model legitimately pauses that long between chunks.',
    },
    deadline: {
      message: `The request did not finish within its ${formatDuration(ms)} deadline.`,
      cause: 'The total time allowed for this call, retries included, ran out.',
      fix: 'Raise the total deadline (deadlineMs / timeout), or retry later.',
    },
  }[kind];
  return new TogetherError({ category: 'timeout', retryable: kind !== 'deadline', model, ...text });
}

/** The stop another process made, as this one reports it. */
export function peerStopError(message: string): TogetherError {
  return new TogetherError({
    status: 402,
    category: 'billing',
    code: 'insufficient_credits',
    message: `Stopped by another process on the same Redis after a 402: ${message}`,
    cause: 'The key ran out of credit; every process sharing this Redis stops sending with it until credit is back.',
    fix: 'Add credit: a probe resumes the key by itself within the probe interval, or resume it at once (the gateway admin endpoint, client.resetKey()).',
    retryable: false,
  });
}

/** The failure a retry was refused for, wrapped: the budget's verdict with the real last error inside. */
export function retryBudgetExhaustedError(error: TogetherError, options: { ratio: number; minRetriesPerSecond: number; windowMs: number }): TogetherError {
  const share = `${Math.round(options.ratio * 100)}% of recent requests + ${options.minRetriesPerSecond}/s`;
  return new TogetherError({
    status: error.status,
    category: error.category,
    code: 'retry_budget_exhausted',
    message: `Not retried: the retry budget for ${error.model ?? 'this model'} on this key is spent (${share}, over ${options.windowMs / 1000} s); last error: ${error.message}`,
    cause: 'Many requests on this key and model are failing at once; more retries would only add to the upstream overload.',
    fix: 'Retry later (the budget refills as requests succeed), add a fallback model, or raise retryBudget.ratio if the upstream can take it.',
    retryable: false,
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    requestId: error.requestId,
    model: error.model,
    details: { lastCategory: error.category, ...(error.code !== undefined ? { lastCode: error.code } : {}), ...(error.status !== undefined ? { lastStatus: error.status } : {}) },
    original: error,
  });
}

export function dynamicLimitSaturatedError(model: string, rps: number, queued: number): TogetherError {
  return new TogetherError({
    status: 429,
    category: 'rate_limit',
    code: 'dynamic_limit_saturated',
    message: `Not sent: ${queued} requests already wait for ${model} at your dynamic rate for it (${rps.toFixed(1)}/s).`,
    cause: "Together's dynamic limit for this model follows your recent successful traffic; a burst far above it would only earn 429s.",
    fix: 'Add a fallback model (routes) to spill over to, or send at a steadier rate: the limit rises with sustained successful traffic.',
    retryable: false,
    retryAfterMs: Math.ceil((queued / Math.max(rps, 0.001)) * 1000),
    model,
  });
}

/** An attempt refused here, without sending: the model is shedding load. A reason to fall back, never retried. */
export function throttledLocallyErrorOf(model: string, probability: number, windowMs: number, buckets: number): TogetherError {
  return new TogetherError({
    status: 503,
    category: 'overloaded',
    code: 'throttled_locally',
    message: `Not sent: ${model} is refusing much of its recent traffic with 503, so tether holds back ${Math.round(probability * 100)}% of its requests.`,
    cause: `Over the last ${windowMs / 1000} s the model accepted too few requests (adaptive throttling, as in the SRE book): sending more would only add to its overload.`,
    fix: 'Add a fallback model (routes or per-request fallbacks) to spill over to, or retry shortly: the share sent grows as the model accepts requests again.',
    retryable: false,
    retryAfterMs: Math.ceil(windowMs / buckets),
    model,
  });
}
