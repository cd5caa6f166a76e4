// The pacing layers of an attempt. Pacing holds the attempt until the key has rate budget, learns the limits from
// every answer's headers and pauses the key on a 429 (the failure's retry-after). Header observation hands each
// answer's rate-limit snapshot to whoever records it (the pipeline's `state()`), parsed once.
import { abortError, isTogetherError, pacingFailedError, withModel } from '../errors/index.js';
import { isDynamicLimit } from './dynamic-pacing.js';
import type { AttemptCall, Layer } from './layer.js';
import type { Pacer } from './pacer.js';
import { parseRateLimitHeaders } from './rate-limit-headers.js';
import type { RateLimitSnapshot } from './rate-limit-headers.js';

/** An attempt call the pacing layer has seen: the snapshot it read from the latest answer's headers. */
type PacedCall = AttemptCall & { rateLimit?: RateLimitSnapshot | undefined };

export function pacingLayer<C extends PacedCall, R>(pacer: Pacer): Layer<C, R> {
  return (next) => async (call) => {
    try {
      const { waitedMs } = await pacer.acquire(call.apiKey, { tokens: call.budgetTokens, signal: call.signal });
      call.pacedMs = waitedMs;
    } catch (error) {
      if (call.signal.aborted) throw abortError(call.signal.reason, call.model);
      // The pacer's own refusals (a wait above the cap, a budget the request can never fit) say what to do already.
      if (isTogetherError(error)) throw withModel(error, call.model);
      throw pacingFailedError(error, call.model);
    }
    call.onHeaders((headers) => {
      call.rateLimit = pacer.observe(call.apiKey, headers);
    });
    // A 429 holds the key's queue until the server's wait is over.
    call.onEnd((end) => {
      // A model's dynamic limit pauses that model only (dynamic-pacing.ts), not the whole key.
      if (end.kind === 'failure' && end.error.category === 'rate_limit' && !isDynamicLimit(end.error)) pacer.penalize(call.apiKey, end.error.retryAfterMs);
    });
    return next(call);
  };
}

/** Reports every answer's rate-limit snapshot for the key (the pacer's reading when it made one). */
export function headerObservationLayer<C extends PacedCall, R>(record: (apiKey: string, snapshot: RateLimitSnapshot) => void): Layer<C, R> {
  return (next) => (call) => {
    call.onHeaders((headers) => record(call.apiKey, call.rateLimit ?? parseRateLimitHeaders(headers)));
    return next(call);
  };
}
