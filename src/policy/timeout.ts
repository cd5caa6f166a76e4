/**
 * Timeouts as AbortSignals: a total deadline for the whole call, and per attempt a timeout that keeps running
 * until the caller says the (possibly streamed) body is done, plus an idle timeout between chunks.
 * Each aborts with a TogetherError (category `timeout`) as the signal's reason, so `fetch` and body readers
 * reject with it directly. Signals are linked by hand rather than with `AbortSignal.any` so that `done()` /
 * `dispose()` detach from the parent and clear every timer at a known moment.
 */
import { TogetherError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import { formatDuration } from './format.js';

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

function checkMs(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds (got ${String(value)}).`);
  }
}

/** An AbortController that follows `parent` until `unlink()`. */
function linkedController(parent: AbortSignal | undefined): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  if (!parent) return { controller, unlink: () => {} };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, unlink: () => {} };
  }
  const forward = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', forward, { once: true });
  return { controller, unlink: () => parent.removeEventListener('abort', forward) };
}

export interface Deadline {
  /** Aborts when the parent aborts or the deadline passes (reason: a `timeout` TogetherError). */
  readonly signal: AbortSignal;
  /** Absolute clock time of the deadline (Infinity when none was set). */
  readonly at: number;
  remainingMs(): number;
  /** Clears the timer and detaches from the parent. Call when the call (and its body) has ended. */
  dispose(): void;
}

export interface DeadlineOptions {
  /** Total time for the call, retries and fallbacks included. Undefined: no deadline (the signal still follows the parent). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  model?: string | undefined;
  clock?: Clock | undefined;
}

export function createDeadline(options: DeadlineOptions = {}): Deadline {
  checkMs('deadline timeoutMs', options.timeoutMs);
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs;
  // No deadline: the caller's signal is the whole story, so no controller, listener or timer per call.
  if (timeoutMs === undefined && options.signal !== undefined) {
    return { signal: options.signal, at: Infinity, remainingMs: () => Infinity, dispose() {} };
  }
  const { controller, unlink } = linkedController(options.signal);
  const at = timeoutMs === undefined ? Infinity : clock.now() + timeoutMs;
  let timer: unknown;
  if (timeoutMs !== undefined && !controller.signal.aborted) {
    timer = clock.setTimeout(() => {
      timer = undefined;
      unlink();
      controller.abort(timeoutError('deadline', timeoutMs, options.model));
    }, timeoutMs);
  }
  return {
    signal: controller.signal,
    at,
    remainingMs: () => Math.max(0, at - clock.now()),
    dispose() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      unlink();
    },
  };
}

export interface AttemptScope {
  /** Aborts on parent abort, attempt timeout or idle timeout. Pass it to the request and the body reader. */
  readonly signal: AbortSignal;
  /** Data arrived: (re)starts the idle timer. Call when the headers arrive and on every chunk. */
  touch(): void;
  /** The body has been fully read (or abandoned): clears every timer and detaches from the parent. */
  done(): void;
}

export interface AttemptScopeOptions {
  signal?: AbortSignal | undefined;
  /** Covers the whole attempt, streamed body included, until `done()`. */
  attemptTimeoutMs?: number | undefined;
  /** Longest silence between chunks, armed by the first `touch()` (the attempt timeout covers the wait for headers). */
  idleTimeoutMs?: number | undefined;
  model?: string | undefined;
  clock?: Clock | undefined;
}

export function createAttemptScope(options: AttemptScopeOptions = {}): AttemptScope {
  checkMs('attemptTimeoutMs', options.attemptTimeoutMs);
  checkMs('idleTimeoutMs', options.idleTimeoutMs);
  const clock = options.clock ?? systemClock;
  const { controller, unlink } = linkedController(options.signal);
  const { attemptTimeoutMs, idleTimeoutMs } = options;
  let attemptTimer: unknown;
  let idleTimer: unknown;
  let lastTouch = 0;
  let finished = controller.signal.aborted;

  const finish = (): void => {
    if (attemptTimer !== undefined) clock.clearTimeout(attemptTimer);
    if (idleTimer !== undefined) clock.clearTimeout(idleTimer);
    attemptTimer = idleTimer = undefined;
    finished = true;
    unlink();
  };
  const fail = (kind: TimeoutKind, ms: number): void => {
    finish();
    controller.abort(timeoutError(kind, ms, options.model));
  };
  // A parent abort ends the scope too, so its timers never outlive it.
  controller.signal.addEventListener('abort', finish, { once: true });

  if (!finished && attemptTimeoutMs !== undefined) {
    attemptTimer = clock.setTimeout(() => {
      attemptTimer = undefined;
      fail('attempt', attemptTimeoutMs);
    }, attemptTimeoutMs);
  }

  // touch() only records the time: the idle timer, when it fires early, re-arms for what is left. That keeps a
  // per-chunk touch at one assignment instead of a clear + set per chunk.
  const armIdle = (ms: number): void => {
    idleTimer = clock.setTimeout(() => {
      idleTimer = undefined;
      if (finished || idleTimeoutMs === undefined) return;
      const silentFor = clock.now() - lastTouch;
      if (silentFor >= idleTimeoutMs) fail('idle', idleTimeoutMs);
      else armIdle(idleTimeoutMs - silentFor);
    }, ms);
  };

  return {
    signal: controller.signal,
    touch() {
      if (finished || idleTimeoutMs === undefined) return;
      lastTouch = clock.now();
      if (idleTimer === undefined) armIdle(idleTimeoutMs);
    },
    done() {
      if (!finished) finish();
    },
  };
}
