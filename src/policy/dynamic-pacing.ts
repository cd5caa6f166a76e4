// Pacing to Together's dynamic limits, per key × model. The `x-ratelimit-*-dynamic` headers are per organisation and
// model (about twice the model's recent successful rate), so they pace requests for that model only — a key-wide
// pacer that learned them would hold every model to the slowest one's rate. A request that would queue longer than
// `maxQueueMs` behind the model's dynamic rate is not queued: it goes to the route's fallback at once
// (`dynamic_limit_saturated`), as a capacity drop should become spill-over rather than a queue.
import { dynamicLimitSaturatedError } from '../errors/index.js';
import type { TogetherError } from '../errors/index.js';
import type { AttemptEnd, Layer, Send } from './layer.js';
import { Pacer, SENT_NOW } from './pacer.js';
import { PairKeys } from './pair-key.js';
import type { PacerOptions } from './pacer.js';
import { rateLimitValuesOf } from './rate-limit-headers.js';
import type { AttemptCall } from './layer.js';
import type { RateLimitValues } from './rate-limit-headers.js';

export interface DynamicPacingOptions {
  /** The longest a request waits in a model's dynamic-rate queue before going to the fallback. Default 2 s. */
  maxQueueMs?: number;
}

export const DEFAULT_DYNAMIC_MAX_QUEUE_MS = 2_000;

/** Whether a 429 is the model's dynamic limit (not the key's fixed one). */
export function isDynamicLimit(error: Pick<TogetherError, 'category' | 'code' | 'type'>): boolean {
  return error.category === 'rate_limit' && (error.code?.startsWith('dynamic_') === true || error.type?.startsWith('dynamic_') === true);
}

export { dynamicLimitSaturatedError };

export class DynamicPacing {
  readonly pacer: Pacer;
  readonly maxQueueMs: number;

  constructor(options: DynamicPacingOptions & Pick<PacerOptions, 'events' | 'clock' | 'maxWaitMs'> = {}) {
    const maxQueueMs = options.maxQueueMs ?? DEFAULT_DYNAMIC_MAX_QUEUE_MS;
    if (!(typeof maxQueueMs === 'number' && Number.isFinite(maxQueueMs) && maxQueueMs > 0)) {
      throw new RangeError(`dynamicPacing.maxQueueMs must be a positive number of milliseconds (got ${String(maxQueueMs)}).`);
    }
    this.maxQueueMs = maxQueueMs;
    this.pacer = new Pacer({
      limitHeaders: 'dynamic',
      // Unknown until the model's first answer: not held at Together's base rate meanwhile (the key-wide pacer is).
      initialRequestsPerSecond: 1000,
      ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
      ...(options.events !== undefined ? { events: options.events } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    });
  }

  close(): Promise<void> {
    return this.pacer.close();
  }
}

/** The pacer's key of a key × model pair (the same string each time: see pair-key.ts). */
const pairKeys = new PairKeys((apiKey, model) => `${apiKey}\n${model}`);

/**
 * `spillOver` (set by the caller) says whether the request may still move to another model: only then is a request
 * refused for a full queue; without anywhere to go it waits its turn (within the pacer's maxWaitMs and the deadline).
 */
export function dynamicPacingLayer<C extends AttemptCall & { rateLimitValues?: RateLimitValues | undefined; spillOver?: (() => boolean) | undefined }, R>(dynamic: DynamicPacing): Layer<C, R> {
  // The hooks are made once, not per attempt: they get the call (and find its pair's key again, without concatenating).
  const observe = (headers: Record<string, string>, call: C): void => {
    dynamic.pacer.observeValues(pairKeys.get(call.apiKey, call.model), rateLimitValuesOf(call, headers));
  };
  const penalize = (end: AttemptEnd, call: C): void => {
    if (end.kind === 'failure' && isDynamicLimit(end.error)) dynamic.pacer.penalize(pairKeys.get(call.apiKey, call.model), end.error.retryAfterMs);
  };
  const paced = (next: Send<C, R>, call: C, waitedMs: number): Promise<R> => {
    call.pacedMs = (call.pacedMs ?? 0) + waitedMs;
    call.onHeaders(observe);
    call.onEnd(penalize);
    return next(call);
  };
  return (next) => (call) => {
    const key = pairKeys.get(call.apiKey, call.model);
    const { requestsPerSecond, source } = dynamic.pacer.limits(key);
    if (source === 'learned' && requestsPerSecond !== undefined && call.spillOver?.() === true) {
      const queued = dynamic.pacer.pending(key);
      if ((queued / requestsPerSecond) * 1000 > dynamic.maxQueueMs) return Promise.reject(dynamicLimitSaturatedError(call.model, requestsPerSecond, queued));
    }
    const admission = dynamic.pacer.admit(key, { signal: call.signal });
    // Budget at once (the usual case): no promise to wait on.
    if (admission === SENT_NOW) return paced(next, call, 0);
    return admission.then(({ waitedMs }) => paced(next, call, waitedMs));
  };
}
