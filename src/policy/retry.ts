/**
 * Retry: when to try a failed request again, and how long to wait first.
 *
 * Written thin rather than on cockatiel's `retry()`: cockatiel's backoff sleep (RetryPolicy.execute) is a bare
 * `setTimeout` that ignores the AbortSignal, so an aborted call would leave its timer running; and it has no
 * total deadline and no way to turn an over-long `retry-after` into an error. Those three are the point of this
 * policy, so the loop is ours; the decision is a pure function (`decideRetry`) that property tests drive.
 */
import { behaviourOf, categoriesWhere, isTogetherError, retryAfterAboveCapError, retryPastDeadlineError } from '../errors/index.js';
import { BACKOFF_SCALE } from '../errors/index.js';
import type { ErrorCategory, TogetherError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import type { PolicyEvents } from './events.js';
import { sleep } from './sleep.js';

/** Categories that no wait can fix (the failure table's backoff 'none'): never sent again. */
export const NEVER_RETRIED: ReadonlySet<ErrorCategory> = categoriesWhere('backoff', 'none');

export interface RetryOptions {
  /** Total attempts, the first included. Default 3 (what the official SDKs do). */
  maxAttempts?: number;
  /** First backoff ceiling. Default 500 ms. */
  baseDelayMs?: number;
  /** Growth of the ceiling per attempt. Default 2. */
  factor?: number;
  /** The ceiling stops growing here. Default 8 s. */
  maxDelayMs?: number;
  /** A server-requested wait above this is not waited: it becomes an error naming both. Default 30 s. */
  maxRetryAfterMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY_OPTIONS: ResolvedRetryOptions = {
  maxAttempts: 3,
  baseDelayMs: 500,
  factor: 2,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/** Checks and fills in retry options; a bad value gets an error naming the option and what it must be. */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = { ...DEFAULT_RETRY_OPTIONS };
  for (const [name, value] of Object.entries(options) as [keyof RetryOptions, unknown][]) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_RETRY_OPTIONS)) continue;
    const min = name === 'maxAttempts' || name === 'factor' ? 1 : 0;
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= min;
    if (!ok || (name === 'maxAttempts' && !Number.isInteger(value))) {
      const what = name === 'maxAttempts' ? 'an integer >= 1' : `a finite number >= ${min}`;
      throw new RangeError(`retry.${name} must be ${what} (got ${String(value)}).`);
    }
    resolved[name] = value as number;
  }
  return resolved;
}

/** What is known when an attempt has failed. */
export interface RetryState {
  error: TogetherError;
  /** Attempts made so far, this one included (>= 1). */
  attempt: number;
  now: number;
  /** Absolute time (ms, same clock as `now`) after which no attempt may still be running. */
  deadlineAt?: number | undefined;
  /** How long the next attempt is expected to take; a retry that would end after the deadline is not started. */
  expectedAttemptMs?: number | undefined;
}

export type RetryDecision =
  | { retry: true; delayMs: number; serverAsked: boolean }
  | {
      retry: false;
      reason: 'not_retryable' | 'attempts_exhausted' | 'retry_after_above_cap' | 'deadline';
      /** What the caller should throw: the attempt's own error, or one that says why tether stopped. */
      error: TogetherError;
    };

/**
 * Full jitter (a uniform draw in [0, min(cap, base * factor^(n-1)))), as in AWS's "Exponential Backoff And
 * Jitter": of the usual schemes it spreads a crowd of clients that failed together (a 503 storm on one model) the
 * most, for the least total waiting, and needs no state between attempts (decorrelated jitter would).
 */
export function backoffDelay(attempt: number, options: ResolvedRetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * options.factor ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Decides whether a failed attempt is tried again and after how long. Pure: no clock, no I/O. */
export function decideRetry(
  state: RetryState,
  options: ResolvedRetryOptions = DEFAULT_RETRY_OPTIONS,
  random: () => number = Math.random,
): RetryDecision {
  const { error, attempt } = state;
  const behaviour = behaviourOf(error);
  if (!error.retryable || behaviour.backoff === 'none') return { retry: false, reason: 'not_retryable', error };
  if (attempt >= options.maxAttempts) return { retry: false, reason: 'attempts_exhausted', error };

  const asked = error.retryAfterMs;
  const serverAsked = asked !== undefined && Number.isFinite(asked) && asked >= 0;
  if (serverAsked && asked > options.maxRetryAfterMs) {
    return { retry: false, reason: 'retry_after_above_cap', error: retryAfterAboveCapError(error, asked, options.maxRetryAfterMs) };
  }
  // The server's own wait is honoured exactly: jitter below it would only earn another 429. Without one, the
  // failure's backoff class scales the ceiling (throttling waits longer than a transient failure), never past
  // maxDelayMs: the cap a caller set holds for every class.
  const delayMs = serverAsked ? asked : Math.min(options.maxDelayMs, Math.floor(backoffDelay(attempt, options, random) * BACKOFF_SCALE[behaviour.backoff]));

  if (state.deadlineAt !== undefined) {
    const endsAt = state.now + delayMs + Math.max(0, state.expectedAttemptMs ?? 0);
    if (endsAt > state.deadlineAt) {
      return { retry: false, reason: 'deadline', error: retryPastDeadlineError(error, attempt, delayMs, state.deadlineAt - state.now) };
    }
  }
  return { retry: true, delayMs, serverAsked };
}

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborts when the caller aborts or the deadline passes; attempts derive their own timeouts from it. */
  signal: AbortSignal;
  /** Why this attempt is sent, when it is a retry: the failure's category and the wait before it. */
  retryOf?: { reason: string; delayMs: number } | undefined;
}

export interface RetryExecuteOptions {
  signal?: AbortSignal | undefined;
  /** Absolute time (clock ms) by which every attempt must have ended. */
  deadlineAt?: number | undefined;
  /** Model named in events. */
  model?: string | undefined;
  /** The caller's request id, named in events. */
  requestId?: string | undefined;
  /** These options instead of the policy's for this call (a per-request maxAttempts). */
  options?: ResolvedRetryOptions | undefined;
  /** Whether to emit an `attempt` event per attempt (default true; off when the attempt emits its own). */
  attemptEvents?: boolean | undefined;
  /**
   * Turns anything else an attempt throws into a TogetherError (e.g. the errors module's network classifier).
   * Without it, or when it returns undefined, a non-TogetherError is rethrown unchanged and never retried.
   */
  classify?: ((error: unknown, model: string | undefined) => TogetherError | undefined) | undefined;
  /** What is thrown once the signal has aborted (default: its reason). Both get `model`, so one function serves every call. */
  aborted?: ((reason: unknown, model: string | undefined) => unknown) | undefined;
  /** Runs before each retry's wait. A throw ends the call. */
  onRetry?: ((info: { attempt: number; delayMs: number; error: TogetherError }) => void | Promise<void>) | undefined;
}

export interface RetryPolicyOptions extends RetryOptions {
  events?: PolicyEvents | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
}

const neverAborted = new AbortController().signal;

const passReason = (reason: unknown): unknown => reason;

/**
 * Runs a function, retrying it by `decideRetry`; emits `attempt` and `retry` events. The pipeline's retry layer:
 * every attempt of every request goes through `execute` (one loop, the one tested).
 */
export class RetryPolicy {
  readonly options: ResolvedRetryOptions;
  private readonly events: PolicyEvents | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(options: RetryPolicyOptions = {}) {
    this.options = resolveRetryOptions(options);
    this.events = options.events;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  decide(state: RetryState, options: ResolvedRetryOptions = this.options): RetryDecision {
    return decideRetry(state, options, this.random);
  }

  async execute<T>(fn: (context: AttemptContext) => Promise<T>, run: RetryExecuteOptions = {}): Promise<T> {
    const signal = run.signal ?? neverAborted;
    const options = run.options ?? this.options;
    const aborted = run.aborted ?? passReason;
    let retryOf: AttemptContext['retryOf'];
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw aborted(signal.reason, run.model);
      if (run.attemptEvents !== false) this.events?.emit('attempt', { attempt, model: run.model, ...tagOf(run) });
      const startedAt = this.clock.now();
      let error: TogetherError;
      try {
        return await fn(retryOf === undefined ? { attempt, signal } : { attempt, signal, retryOf });
      } catch (thrown) {
        // Once the caller (or the deadline) has aborted, its reason is the answer, whatever the attempt threw.
        if (signal.aborted) throw aborted(signal.reason, run.model);
        const classified = isTogetherError(thrown) ? thrown : run.classify?.(thrown, run.model);
        if (!classified) throw thrown;
        error = classified;
      }
      const now = this.clock.now();
      // The last attempt's duration is the estimate for the next: a retry after a 30 s timeout that the
      // deadline cannot fit fails now instead of being cut off half-way.
      const deadlineAt = run.deadlineAt !== undefined && Number.isFinite(run.deadlineAt) ? run.deadlineAt : undefined;
      const decision = this.decide({ error, attempt, now, deadlineAt, expectedAttemptMs: now - startedAt }, options);
      if (!decision.retry) throw decision.error;
      this.events?.emit('retry', {
        attempt,
        delayMs: decision.delayMs,
        reason: error.category,
        serverAsked: decision.serverAsked,
        model: run.model,
        error,
        ...tagOf(run),
      });
      await run.onRetry?.({ attempt, delayMs: decision.delayMs, error });
      try {
        await sleep(decision.delayMs, signal, this.clock);
      } catch (thrown) {
        throw signal.aborted ? aborted(signal.reason, run.model) : thrown;
      }
      retryOf = { reason: error.category, delayMs: decision.delayMs };
    }
  }
}

function tagOf(run: RetryExecuteOptions): { requestId?: string } {
  return run.requestId !== undefined ? { requestId: run.requestId } : {};
}
