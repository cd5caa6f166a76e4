/**
 * Adaptive client-side throttling per model (Google SRE book, "Handling Overload"): over a recent window, count the
 * attempts (`requests`) and those the model accepted (`accepts`: anything but an overload answer, a 503), and
 * reject an attempt locally with probability max(0, (requests − K·accepts) / (requests + 1)). When a model's
 * capacity drops, the share sent settles near what it can take (K = 2 sends up to twice that, so recovery is seen
 * at once), the rest is refused here — spilling to the route's fallback where there is one — instead of a storm of
 * 503s and retries. A 429 is not fed here: it speaks of the key's rate, which the pacer paces to.
 */
import { throttledLocallyErrorOf } from '../errors/index.js';
import type { TogetherError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import type { AttemptCall, AttemptEnd, Layer } from './layer.js';

export interface AdaptiveThrottleOptions {
  /** The multiplier K: how many times the accepted rate may still be sent. Default 2 (the SRE book's). */
  k?: number;
  /** The recent window (ms). Default 30 s. */
  windowMs?: number;
  /** Nothing is shed until the window holds this many attempts: a few unlucky 503s are the retry layer's. Default 20. */
  minRequests?: number;
}

export type ResolvedThrottleOptions = Required<AdaptiveThrottleOptions>;

export const DEFAULT_THROTTLE: ResolvedThrottleOptions = { k: 2, windowMs: 30_000, minRequests: 20 };

const BUCKETS = 10;
const MAX_MODELS = 10_000;

export function resolveThrottleOptions(options: AdaptiveThrottleOptions = {}): ResolvedThrottleOptions {
  const resolved = { ...DEFAULT_THROTTLE };
  if (options.k !== undefined) {
    if (typeof options.k !== 'number' || !Number.isFinite(options.k) || options.k < 1) throw new RangeError(`throttle.k must be a number >= 1 (got ${String(options.k)}).`);
    resolved.k = options.k;
  }
  if (options.windowMs !== undefined) {
    if (typeof options.windowMs !== 'number' || !Number.isFinite(options.windowMs) || options.windowMs < 100) {
      throw new RangeError(`throttle.windowMs must be a number of milliseconds >= 100 (got ${String(options.windowMs)}).`);
    }
    resolved.windowMs = options.windowMs;
  }
  if (options.minRequests !== undefined) {
    if (typeof options.minRequests !== 'number' || !Number.isInteger(options.minRequests) || options.minRequests < 0) {
      throw new RangeError(`throttle.minRequests must be an integer >= 0 (got ${String(options.minRequests)}).`);
    }
    resolved.minRequests = options.minRequests;
  }
  return resolved;
}

/** The SRE book's rejection probability. Pure. */
export function rejectionProbability(requests: number, accepts: number, k: number): number {
  return Math.max(0, (requests - k * accepts) / (requests + 1));
}

/** An attempt refused here, without sending: the model is shedding load (errors/policy-errors.ts words it). */
export function throttledLocallyError(model: string, probability: number, windowMs: number): TogetherError {
  return throttledLocallyErrorOf(model, probability, windowMs, BUCKETS);
}

interface Counts {
  starts: number[];
  requests: number[];
  accepts: number[];
}

/** Per-model request and accept counts over a sliding window, and the local rejection decision. */
export class AdaptiveThrottle {
  readonly options: ResolvedThrottleOptions;
  private readonly models = new Map<string, Counts>();
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(options: AdaptiveThrottleOptions = {}, deps: { clock?: Clock; random?: () => number } = {}) {
    this.options = resolveThrottleOptions(options);
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
  }

  private slot(model: string): { counts: Counts; index: number } {
    const size = this.options.windowMs / BUCKETS;
    const start = Math.floor(this.clock.now() / size) * size;
    let counts = this.models.get(model);
    if (counts === undefined) {
      if (this.models.size >= MAX_MODELS) this.models.delete(this.models.keys().next().value!);
      counts = { starts: new Array<number>(BUCKETS).fill(-Infinity), requests: new Array<number>(BUCKETS).fill(0), accepts: new Array<number>(BUCKETS).fill(0) };
      this.models.set(model, counts);
    }
    const index = Math.floor(start / size) % BUCKETS;
    if (counts.starts[index] !== start) {
      counts.starts[index] = start;
      counts.requests[index] = 0;
      counts.accepts[index] = 0;
    }
    return { counts, index };
  }

  /** The current rejection probability for `model`. */
  probability(model: string): number {
    const counts = this.models.get(model);
    if (counts === undefined) return 0;
    const oldest = this.clock.now() - this.options.windowMs;
    let requests = 0;
    let accepts = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (counts.starts[i]! <= oldest) continue;
      requests += counts.requests[i]!;
      accepts += counts.accepts[i]!;
    }
    return requests < this.options.minRequests ? 0 : rejectionProbability(requests, accepts, this.options.k);
  }

  /** Whether to refuse an attempt on `model` now; a refusal is counted as a request the model did not accept. */
  shouldReject(model: string): { reject: boolean; probability: number } {
    const probability = this.probability(model);
    if (probability > 0 && this.random() < probability) {
      const { counts, index } = this.slot(model);
      counts.requests[index]! += 1;
      return { reject: true, probability };
    }
    return { reject: false, probability };
  }

  /** An attempt sent to `model` ended: accepted (anything but overload) or refused by the model (a 503). */
  record(model: string, accepted: boolean): void {
    const { counts, index } = this.slot(model);
    counts.requests[index]! += 1;
    if (accepted) counts.accepts[index]! += 1;
  }
}

/** The throttle as an attempt layer: refuses locally by the throttle, and feeds it each sent attempt's outcome. */
export function throttleLayer<C extends AttemptCall, R>(throttle: AdaptiveThrottle): Layer<C, R> {
  const recordOutcome = (end: AttemptEnd, call: C): void => {
    if (end.kind === 'success') throttle.record(call.model, true);
    // Only the model's own overload (503) says it did not accept; a 429 is the key's rate, paced elsewhere.
    else if (end.kind === 'failure') throttle.record(call.model, end.error.category !== 'overloaded');
  };
  return (next) => (call) => {
    const verdict = throttle.shouldReject(call.model);
    if (verdict.reject) return Promise.reject(throttledLocallyError(call.model, verdict.probability, throttle.options.windowMs));
    call.onEnd(recordOutcome);
    return next(call);
  };
}
