// The one table of what each layer does with a failure, per error category (and, where a code says better, per
// code): retried or not and with which backoff, counted by the model's circuit or not, a reason to fall back to
// another model or not, a reason to stop the API key or not. Retry, breaker, fallback, billing stop and the batch
// runner only look things up here; `CATEGORY_DEFAULTS.retryable` (table.ts) stays the default of `retryable` on
// each error, which the retry layer also reads (a stream cut after its first chunk is not retryable).
import type { ErrorCategory, TogetherError } from './together-error.js';

/**
 * How a retry waits: never retried; or the server's retry-after when it sent one (capped), else jittered backoff —
 * from a larger base for throttling (the key's rate was exceeded: a quick retry would meet the same limit) than for
 * a transient failure (a 5xx, a timeout, a reset: the next attempt may well land elsewhere). The AWS SDKs' 2026
 * retry defaults make the same split.
 */
export type BackoffClass = 'none' | 'throttling' | 'transient';

/** How much larger a class's backoff ceiling is than the retry options' (baseDelayMs, maxDelayMs). */
export const BACKOFF_SCALE: Readonly<Record<BackoffClass, number>> = { none: 0, throttling: 2, transient: 1 };

/** 'yes' moves on by default; 'if_asked' only when the caller's fallbackOn names the category; 'never' whatever it says. */
export type FallbackClass = 'yes' | 'if_asked' | 'never';

export interface FailureBehaviour {
  /** Whether the same request may be sent again (and how it waits); 'none' = never retried. */
  backoff: BackoffClass;
  /** Whether this failure counts against the model's circuit breaker (says the model itself is struggling). */
  countsForBreaker: boolean;
  /** Whether another model may not share this failure, so the request may move to the route's next model. */
  fallback: FallbackClass;
  /** Whether the key stops: nothing more is sent with it until reset ('billing' = a 402; 'auth' = a 401). */
  stopsKey: 'billing' | 'auth' | false;
}

/** Per category. */
export const FAILURE_BEHAVIOUR: Readonly<Record<ErrorCategory, FailureBehaviour>> = {
  auth: { backoff: 'none', countsForBreaker: false, fallback: 'never', stopsKey: false },
  billing: { backoff: 'none', countsForBreaker: false, fallback: 'never', stopsKey: 'billing' },
  rate_limit: { backoff: 'throttling', countsForBreaker: false, fallback: 'if_asked', stopsKey: false },
  validation: { backoff: 'none', countsForBreaker: false, fallback: 'never', stopsKey: false },
  context_length: { backoff: 'none', countsForBreaker: false, fallback: 'yes', stopsKey: false },
  not_found: { backoff: 'none', countsForBreaker: false, fallback: 'yes', stopsKey: false },
  // A 503 is platform capacity (Together answers it at or under the key's dynamic rate): the adaptive throttle sheds
  // it in proportion, and spills over; a circuit that counted it opened on a few of them and sent everything to the
  // fallback for its whole cool-down (bench/storm.ts: half the goodput the scenario allows). Hard failures (500s,
  // timeouts) still open the circuit; a model that answers 503 to everything is shed by the throttle to ~all.
  overloaded: { backoff: 'transient', countsForBreaker: false, fallback: 'yes', stopsKey: false },
  server: { backoff: 'transient', countsForBreaker: true, fallback: 'yes', stopsKey: false },
  timeout: { backoff: 'transient', countsForBreaker: true, fallback: 'yes', stopsKey: false },
  network: { backoff: 'transient', countsForBreaker: false, fallback: 'if_asked', stopsKey: false },
};

/** Rows that override their category's, by error code. */
export const CODE_BEHAVIOUR: Readonly<Record<string, Partial<FailureBehaviour>>> = {
  // Nothing is sent on a closed pipeline or a pacer that cannot grant budget: no other model or wait helps.
  pipeline_closed: { backoff: 'none' },
  pacing_failed: { backoff: 'none' },
  // Decided here, not by the model: retrying would defeat the budget and the throttle; another model may answer.
  retry_budget_exhausted: { backoff: 'none', countsForBreaker: false },
  throttled_locally: { backoff: 'none', countsForBreaker: false },
  // A model's dynamic-rate queue is full here: its fallback may have room (a plain 429 moves only if asked).
  dynamic_limit_saturated: { backoff: 'none', countsForBreaker: false, fallback: 'yes' },
};

/** The behaviour of one failure: its code's row over its category's. */
export function behaviourOf(error: Pick<TogetherError, 'category' | 'code' | 'status'>): FailureBehaviour {
  const row = FAILURE_BEHAVIOUR[error.category];
  const byCode = error.code !== undefined ? CODE_BEHAVIOUR[error.code] : undefined;
  const merged = byCode === undefined ? row : { ...row, ...byCode };
  // A 401 stops the key for a batch (every later line would fail the same way); a 403 on one model does not.
  if (error.category === 'auth' && error.status === 401) return { ...merged, stopsKey: 'auth' };
  return merged;
}

/** The categories whose row has `column` equal to `value`. */
export function categoriesWhere<K extends keyof FailureBehaviour>(column: K, value: FailureBehaviour[K]): ReadonlySet<ErrorCategory> {
  return new Set((Object.keys(FAILURE_BEHAVIOUR) as ErrorCategory[]).filter((category) => FAILURE_BEHAVIOUR[category][column] === value));
}
