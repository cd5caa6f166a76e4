/**
 * The layer interface every attempt is composed of, in the spirit of undici's interceptors and cockatiel's
 * policies: a layer takes the next `send` and returns its own. It may act before (refuse, wait, add a header),
 * after (observe the answer, count the failure) and at the attempt's real end through `call.onEnd` — for a stream
 * that is when its body is read to the end, fails or is cancelled, long after `send` returned, which is when a
 * breaker ticket or a timer may be settled. The pipeline composes layers; each lives in the module of its concern.
 */
import type { TogetherError } from '../errors/index.js';

/** How an attempt ended: answered (stream read to the end), failed with an error, or let go without a verdict. */
export type AttemptEnd = { kind: 'success' } | { kind: 'failure'; error: TogetherError } | { kind: 'released' };

/** Per-request slots layers keep their own state in (a tracing span, …), shared by the request's attempts. */
export type RequestSlots = Map<symbol, unknown>;

/** What every attempt layer sees and may adjust. Inner layers may read what outer ones set. */
export interface AttemptCall {
  model: string;
  apiKey: string;
  /** Tokens charged to the key's tokens/min budget. */
  budgetTokens: number;
  /** The attempt's signal: the request's (caller + deadline) until the timeout layer narrows it. */
  signal: AbortSignal;
  /** Attempt number on this model, from 1. */
  attempt: number;
  requestId: string | undefined;
  /** Headers added to what goes upstream (tracing's traceparent). */
  headers: Record<string, string>;
  /** Why this attempt is sent: a retry after a failure (and the wait before it), or a fallback from a model. */
  retryOf?: { reason: string; delayMs: number } | undefined;
  fallbackFrom?: { model: string; why: string } | undefined;
  /** How long the pacing layer held the attempt for rate budget (ms), once it has. */
  pacedMs?: number | undefined;
  /** The circuit's state when the ticket was taken ('half_open' for a probe). */
  circuit?: 'closed' | 'half_open' | undefined;
  /** The request's slots. */
  slots: RequestSlots;
  /**
   * Runs `callback` once, when the attempt really ends (see AttemptEnd). Inner layers' callbacks run first. The
   * callback gets the call, so a layer can pass one function made once rather than a closure per attempt.
   */
  onEnd(callback: (end: AttemptEnd, call: this) => void): void;
  /** Runs `callback` with every answer's headers, as soon as they arrive (before the body is read). */
  onHeaders(callback: (headers: Record<string, string>, call: this) => void): void;
}

export type Send<C, R> = (call: C) => Promise<R>;
/** A layer: wraps the next send. A plain function type, so modules below policy (errors) can declare one. */
export type Layer<C, R> = (next: Send<C, R>) => Send<C, R>;

/** `layers[0]` outermost: compose([a, b], inner) = a(b(inner)). Undefined entries (a layer turned off) are skipped. */
export function composeLayers<C, R>(layers: readonly (Layer<C, R> | undefined)[], inner: Send<C, R>): Send<C, R> {
  let send = inner;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer !== undefined) send = layer(send);
  }
  return send;
}

/** The end/headers bookkeeping of one attempt: `call.onEnd`/`onHeaders` register, `end`/`headers` run them. */
type EndHook = (end: AttemptEnd, call: never) => void;
type HeadersHook = (headers: Record<string, string>, call: never) => void;

export class AttemptHooks {
  private ends: EndHook[] | undefined;
  private headerHooks: HeadersHook[] | undefined;
  private ended = false;
  /** The attempt call the callbacks are given (the one that registered them). */
  private call: unknown;

  // Prototype methods, not arrow properties: one AttemptHooks is made per attempt, and its closures showed up.
  onEnd<C>(callback: (end: AttemptEnd, call: C) => void, call?: C): void {
    this.call ??= call;
    (this.ends ??= []).push(callback as EndHook);
  }

  onHeaders<C>(callback: (headers: Record<string, string>, call: C) => void, call?: C): void {
    this.call ??= call;
    (this.headerHooks ??= []).push(callback as HeadersHook);
  }

  headers(headers: Record<string, string>): void {
    if (this.headerHooks === undefined) return;
    const call = this.call as never;
    for (const hook of this.headerHooks) hook(headers, call);
  }

  /** Runs the end callbacks once, innermost layer's first (the reverse of registration). */
  end(end: AttemptEnd): void {
    if (this.ended) return;
    this.ended = true;
    const ends = this.ends;
    if (ends === undefined) return;
    const call = this.call as never;
    for (let i = ends.length - 1; i >= 0; i--) ends[i]!(end, call);
  }
}
