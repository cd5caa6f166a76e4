// The pacing layers of an attempt. Pacing holds the attempt until the key has rate budget, learns the limits from
// every answer's headers and pauses the key on a 429 (the failure's retry-after). Header observation hands each
// answer's rate-limit snapshot to whoever records it (the pipeline's `state()`), parsed once.
import { abortError, isTogetherError, pacingFailedError, withModel } from '../errors/index.js';
import type { TogetherError } from '../errors/index.js';
import { isDynamicLimit } from './dynamic-pacing.js';
import type { AttemptCall, AttemptEnd, Layer, Send } from './layer.js';
import { SENT_NOW } from './pacer.js';
import type { Pacer } from './pacer.js';
import { rateLimitSnapshot, rateLimitValuesOf } from './rate-limit-headers.js';
import type { RateLimitSnapshot, RateLimitValues } from './rate-limit-headers.js';

/**
 * An attempt call the pacing layers have seen: the answer's limit headers read once (every pacer learns from that
 * one reading), and the snapshot the key's pacer made of them.
 */
export type PacedCall = AttemptCall & { rateLimitValues?: RateLimitValues | undefined; rateLimit?: RateLimitSnapshot | undefined };

function pacingRefusal(call: AttemptCall, error: unknown): TogetherError {
  if (call.signal.aborted) return abortError(call.signal.reason, call.model);
  // The pacer's own refusals (a wait above the cap, a budget the request can never fit) say what to do already.
  if (isTogetherError(error)) return withModel(error, call.model);
  return pacingFailedError(error, call.model);
}

export function pacingLayer<C extends PacedCall, R>(pacer: Pacer): Layer<C, R> {
  // The hooks are made once, not per attempt: they get the call.
  const observe = (headers: Record<string, string>, call: C): void => {
    call.rateLimit = pacer.observeValues(call.apiKey, rateLimitValuesOf(call, headers));
  };
  // A 429 holds the key's queue until the server's wait is over.
  const penalize = (end: AttemptEnd, call: C): void => {
    // A model's dynamic limit pauses that model only (dynamic-pacing.ts), not the whole key.
    if (end.kind === 'failure' && end.error.category === 'rate_limit' && !isDynamicLimit(end.error)) pacer.penalize(call.apiKey, end.error.retryAfterMs);
  };
  const paced = (next: Send<C, R>, call: C, waitedMs: number): Promise<R> => {
    call.pacedMs = waitedMs;
    call.onHeaders(observe);
    call.onEnd(penalize);
    return next(call);
  };
  return (next) => (call) => {
    const admission = pacer.admit(call.apiKey, { tokens: call.budgetTokens, signal: call.signal });
    // Budget at once (the usual case): no promise to wait on.
    if (admission === SENT_NOW) return paced(next, call, 0);
    return admission.then(
      ({ waitedMs }) => paced(next, call, waitedMs),
      (error: unknown) => {
        throw pacingRefusal(call, error);
      },
    );
  };
}

/** Reports every answer's rate-limit snapshot for the key (the pacer's reading when it made one). */
export function headerObservationLayer<C extends PacedCall, R>(record: (apiKey: string, snapshot: RateLimitSnapshot) => void): Layer<C, R> {
  const observe = (headers: Record<string, string>, call: C): void =>
    record(call.apiKey, call.rateLimit ?? rateLimitSnapshot(rateLimitValuesOf(call, headers)));
  return (next) => (call) => {
    call.onHeaders(observe);
    return next(call);
  };
}
