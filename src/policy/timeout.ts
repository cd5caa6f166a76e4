/**
 * Timeouts as AbortSignals: a total deadline for the whole call, and per attempt a timeout that keeps running
 * until the caller says the (possibly streamed) body is done, plus an idle timeout between chunks.
 * Each aborts with a TogetherError (category `timeout`) as the signal's reason, so requests and body readers
 * reject with it directly. Signals are linked by hand rather than with `AbortSignal.any` so that `done()` /
 * `dispose()` detach from the parent and clear every timer at a known moment. The attempt scope's signal, and
 * LightAbortController's, are light stand-ins for an AbortSignal (see LightAbortSignal below).
 */
import { timeoutError } from '../errors/index.js';
import type { TimeoutKind } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import { CoarseTimer, armCoarse, canBeCoarse, disarmCoarse } from './coarse-timers.js';

/** Shared: an options literal per listener would be an allocation per request. */
const ONCE = { once: true } as const;

export { timeoutError } from '../errors/index.js';
export type { TimeoutKind } from '../errors/index.js';

function checkMs(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds (got ${String(value)}).`);
  }
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
  // No deadline: the caller's signal is the whole story, so no controller, listener or timer per call.
  if (options.timeoutMs === undefined && options.signal !== undefined) return new CallerSignal(options.signal);
  return new TimedDeadline(options);
}

/** A deadline that is only the caller's signal. */
class CallerSignal implements Deadline {
  readonly at = Infinity;
  constructor(readonly signal: AbortSignal) {}
  remainingMs(): number {
    return Infinity;
  }
  dispose(): void {}
}

/**
 * A deadline with its own (light) signal that follows the caller's until disposed. A class rather than closures,
 * with a light signal rather than node's AbortController: a gateway makes one per request (its default deadline),
 * and the controller with its EventTarget listeners was the largest single cost of that default.
 */
class TimedDeadline extends CoarseTimer implements Deadline {
  readonly at: number;
  private readonly own = new LightAbortSignal();
  private readonly clock: Clock;
  private readonly parent: AbortSignal | undefined;
  private readonly timeoutMs: number | undefined;
  private readonly model: string | undefined;
  /** The clock's timer, when the deadline is not coarse. */
  private timer: unknown;

  constructor(options: DeadlineOptions) {
    super();
    const clock = (this.clock = options.clock ?? systemClock);
    const timeoutMs = (this.timeoutMs = options.timeoutMs);
    this.model = options.model;
    this.at = timeoutMs === undefined ? Infinity : clock.now() + timeoutMs;
    const parent = options.signal;
    if (parent?.aborted) this.own.abort(parent.reason);
    else if (parent !== undefined) {
      this.parent = parent;
      // A caller's abort ends the deadline too (handleEvent): its timer must not outlive the request.
      parent.addEventListener('abort', this, ONCE);
    }
    if (timeoutMs === undefined || this.own.aborted) return;
    // The gateway's 15-minute default comes once per request and almost never fires: coarse (coarse-timers.ts).
    if (canBeCoarse(clock, timeoutMs)) armCoarse(this, timeoutMs);
    else {
      this.timer = clock.setTimeout(() => {
        this.timer = undefined;
        this.onCoarseTimeout();
      }, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.own as unknown as AbortSignal;
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  /** The deadline has passed. */
  onCoarseTimeout(): void {
    this.dispose();
    this.own.abort(timeoutError('deadline', this.timeoutMs!, this.model));
  }

  /** The caller's signal aborted (this object is its listener: no closure per request). */
  handleEvent(): void {
    this.dispose();
    this.own.abort(this.parent!.reason);
  }

  dispose(): void {
    disarmCoarse(this);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.parent?.removeEventListener('abort', this);
  }
}

export interface AttemptScope {
  /**
   * Aborts on parent abort, attempt timeout or idle timeout. Pass it to the request and the body reader. It has an
   * AbortSignal's `aborted`, `reason`, `throwIfAborted` and abort listeners, but is not an EventTarget.
   */
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
  return new Scope(options);
}

type AbortListener = ((event: Event) => void) | { handleEvent(event: Event): void };

/**
 * A signal with what requests and body readers use of an AbortSignal (`aborted`, `reason`, `throwIfAborted`,
 * abort listeners), without being one. Node's AbortSignal is slow to construct and its listeners go through
 * EventTarget; with one per request and per attempt, and undici adding and removing two listeners on each, that
 * was about a tenth of the gateway's own work per request. It is not an EventTarget: hand it to undici, to the
 * pipeline and to our readers, not to `AbortSignal.any` or node's stream helpers.
 */
class LightAbortSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: AbortListener[] = [];

  addEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || listener === null || this.aborted || this.listeners.includes(listener)) return;
    this.listeners.push(listener);
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || listener === null) return;
    const index = this.listeners.indexOf(listener);
    if (index !== -1) this.listeners.splice(index, 1);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    const event = { type: 'abort', target: this } as unknown as Event;
    for (const listener of listeners) {
      try {
        if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        // As an EventTarget does: a throwing listener is reported, and the others still run.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}

/** An AbortController whose signal is a {@link LightAbortSignal} (typed as an AbortSignal for the APIs it goes to). */
export class LightAbortController {
  private readonly light = new LightAbortSignal();

  get signal(): AbortSignal {
    return this.light as unknown as AbortSignal;
  }

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    this.light.abort(reason);
  }
}

/** The attempt scope: a class rather than a handful of closures, since every request makes one. */
class Scope extends CoarseTimer implements AttemptScope {
  private readonly own = new LightAbortSignal();
  private readonly clock: Clock;
  private readonly parent: AbortSignal | undefined;
  private readonly model: string | undefined;
  private readonly idleTimeoutMs: number | undefined;
  private readonly attemptTimeoutMs: number | undefined;
  private listening = false;
  /** The clock's attempt timer, when it is not coarse. */
  private attemptTimer: unknown;
  private idleTimer: unknown;
  private lastTouch = 0;
  private finished: boolean;

  constructor(options: AttemptScopeOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.parent = options.signal;
    this.model = options.model;
    this.idleTimeoutMs = options.idleTimeoutMs;
    const attemptTimeoutMs = (this.attemptTimeoutMs = options.attemptTimeoutMs);
    const { own, parent } = this;
    // Follow the parent until the scope ends.
    if (parent?.aborted) own.abort(parent.reason);
    else if (parent) {
      // A parent abort ends the scope too (handleEvent), so its timers never outlive it.
      parent.addEventListener('abort', this, ONCE);
      this.listening = true;
    }
    this.finished = own.aborted;
    if (this.finished || attemptTimeoutMs === undefined) return;
    // Ten minutes by default, once per attempt: coarse, as the deadline's.
    if (canBeCoarse(this.clock, attemptTimeoutMs)) armCoarse(this, attemptTimeoutMs);
    else {
      this.attemptTimer = this.clock.setTimeout(() => {
        this.attemptTimer = undefined;
        this.onCoarseTimeout();
      }, attemptTimeoutMs);
    }
  }

  /** The attempt timeout has passed. */
  onCoarseTimeout(): void {
    this.fail('attempt', this.attemptTimeoutMs!);
  }

  /** The parent signal aborted (this object is its listener: no closure per attempt). */
  handleEvent(): void {
    this.finish();
    this.own.abort(this.parent!.reason);
  }

  get signal(): AbortSignal {
    return this.own as unknown as AbortSignal;
  }

  touch(): void {
    if (this.finished || this.idleTimeoutMs === undefined) return;
    this.lastTouch = this.clock.now();
    if (this.idleTimer === undefined) this.armIdle(this.idleTimeoutMs);
  }

  done(): void {
    if (!this.finished) this.finish();
  }

  // touch() only records the time: the idle timer, when it fires early, re-arms for what is left. That keeps a
  // per-chunk touch at one assignment instead of a clear + set per chunk.
  private armIdle(ms: number): void {
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      const idleTimeoutMs = this.idleTimeoutMs;
      if (this.finished || idleTimeoutMs === undefined) return;
      const silentFor = this.clock.now() - this.lastTouch;
      if (silentFor >= idleTimeoutMs) this.fail('idle', idleTimeoutMs);
      else this.armIdle(idleTimeoutMs - silentFor);
    }, ms);
  }

  private finish(): void {
    disarmCoarse(this);
    if (this.attemptTimer !== undefined) this.clock.clearTimeout(this.attemptTimer);
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    this.attemptTimer = this.idleTimer = undefined;
    this.finished = true;
    if (this.listening) {
      this.listening = false;
      this.parent?.removeEventListener('abort', this);
    }
  }

  private fail(kind: TimeoutKind, ms: number): void {
    this.finish();
    this.own.abort(timeoutError(kind, ms, this.model));
  }
}
