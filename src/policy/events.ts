import type { ErrorCategory, TogetherError } from '../errors/index.js';

/** The three states of a model's circuit. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Why a request moved from one model of its route to the next: the failed attempt's category, or an open circuit. */
export type FallbackReason = ErrorCategory | 'breaker_open';

/**
 * Payload of each policy event, by name. Keys are fingerprints (see `keyFingerprint`), never API keys. `requestId`
 * is the caller's id for the request (set by the pipeline), so logs can tie a request's events together.
 */
export interface PolicyEventMap {
  /** An attempt is about to be sent (attempt counts from 1 within one model). */
  attempt: { attempt: number; model?: string | undefined; requestId?: string | undefined };
  /** A failed attempt will be retried after `delayMs`. */
  retry: {
    attempt: number;
    delayMs: number;
    /** The failed attempt's error category. */
    reason: ErrorCategory;
    /** True when the delay is the server's own `retry-after` / `x-ratelimit-reset`, not our backoff. */
    serverAsked: boolean;
    model?: string | undefined;
    error: TogetherError;
    requestId?: string | undefined;
  };
  /** The request moves to the next model of its route. */
  fallback: { from: string; to: string; why: FallbackReason; requestId?: string | undefined };
  /** A model's circuit changed state. `source` is 'peer' when another instance's transition was applied (Redis). */
  breaker: { model: string; from: BreakerState; to: BreakerState; source?: 'peer' | undefined };
  /** onContextOverflow 'truncate' dropped old turns and/or cut a message so the chat fits the model's context. */
  truncated: {
    model: string;
    droppedMessages: number;
    /** Index (in the messages sent) of the message cut in the middle; undefined when dropping was enough. */
    cutMessageIndex: number | undefined;
    tokensBefore: number;
    tokensAfter: number;
    requestId?: string | undefined;
  };
  /** A request waited for rate budget before it was sent. */
  pacing_wait: { key: string; waitedMs: number };
  /** A request ended: one result or one error. */
  outcome: {
    ok: boolean;
    model?: string | undefined;
    attempts: number;
    elapsedMs: number;
    error?: TogetherError | undefined;
    requestId?: string | undefined;
  };
}

export type PolicyEventName = keyof PolicyEventMap;

/** An event as listeners see it: the payload plus its name and the time it was emitted. */
export type PolicyEvent<K extends PolicyEventName = PolicyEventName> = {
  [N in K]: PolicyEventMap[N] & { type: N; at: number };
}[K];

export type PolicyListener<K extends PolicyEventName> = (event: PolicyEvent<K>) => unknown;

export interface PolicyEventsOptions {
  /**
   * Called when a listener throws or rejects. The request goes on regardless: a broken log line or metric must
   * never fail a call. Default: a process warning (once per listener).
   */
  onListenerError?: (error: unknown, event: PolicyEvent) => void;
  now?: () => number;
}

type AnyListener = (event: PolicyEvent) => unknown;

/**
 * A small typed event bus for the policies (and the pipeline composing them). Emission is synchronous; a listener
 * that throws, or returns a promise that rejects, is reported to `onListenerError` and never to the emitter.
 */
export class PolicyEvents {
  private readonly listeners = new Map<PolicyEventName | '*', Set<AnyListener>>();
  private readonly warned = new WeakSet<AnyListener>();
  private readonly onListenerError: (error: unknown, event: PolicyEvent, listener: AnyListener) => void;
  private readonly now: () => number;

  constructor(options: PolicyEventsOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    const custom = options.onListenerError;
    this.onListenerError = custom
      ? (error, event) => custom(error, event)
      : (error, event, listener) => {
          if (this.warned.has(listener)) return;
          this.warned.add(listener);
          const why = error instanceof Error ? error.message : String(error);
          process.emitWarning(`A tether policy listener for "${event.type}" failed and was ignored: ${why}`);
        };
  }

  /** Subscribes to one event; returns the unsubscribe function. */
  on<K extends PolicyEventName>(name: K, listener: PolicyListener<K>): () => void {
    return this.add(name, listener as unknown as AnyListener);
  }

  /** Subscribes to every event (logs, metrics); returns the unsubscribe function. */
  onAny(listener: (event: PolicyEvent) => unknown): () => void {
    return this.add('*', listener);
  }

  /** Delivers `payload`, stamped with `type` and `at`, to the listeners. The payload object becomes the event: pass a fresh one. */
  emit<K extends PolicyEventName>(name: K, payload: PolicyEventMap[K]): void {
    const named = this.listeners.get(name);
    const any = this.listeners.get('*');
    if (!named?.size && !any?.size) return;
    // Every emitter passes a fresh object literal, so the payload itself becomes the event (no copy per event).
    const event = payload as PolicyEvent & { type: string; at: number };
    event.type = name;
    event.at = this.now();
    if (named?.size) this.callEach(named, event);
    if (any?.size) this.callEach(any, event);
  }

  listenerCount(name?: PolicyEventName): number {
    if (name) return (this.listeners.get(name)?.size ?? 0) + (this.listeners.get('*')?.size ?? 0);
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  private add(name: PolicyEventName | '*', listener: AnyListener): () => void {
    if (typeof listener !== 'function') {
      throw new TypeError(`A policy event listener must be a function (got ${typeof listener}).`);
    }
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Calls the listeners subscribed when the event was emitted (one that subscribes meanwhile waits for the next). */
  private callEach(set: Set<AnyListener>, event: PolicyEvent): void {
    if (set.size === 1) {
      // The usual case (one metrics or log listener): no copy of the set per event.
      this.call(set.values().next().value as AnyListener, event);
      return;
    }
    for (const listener of [...set]) this.call(listener, event);
  }

  private call(listener: AnyListener, event: PolicyEvent): void {
    try {
      const result = listener(event);
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.report(error, event, listener));
      }
    } catch (error) {
      this.report(error, event, listener);
    }
  }

  private report(error: unknown, event: PolicyEvent, listener: AnyListener): void {
    try {
      this.onListenerError(error, event, listener);
    } catch {
      // The error reporter itself failed: there is nowhere left to report to, and the request must go on.
    }
  }
}
