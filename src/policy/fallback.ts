/**
 * Fallback routes: an ordered list of models, the primary first. A failure that another model may not have
 * (overload, a missing model, a prompt too long for this one) moves the request to the next model; a failure
 * every model would share (a bad key, no credit, an invalid request) does not. Models whose circuit is open are
 * skipped, except that when every model is open the primary is tried: that request is the probe that can close
 * its circuit again.
 */
import { behaviourOf, categoriesWhere } from '../errors/index.js';
import type { ErrorCategory, TogetherError } from '../errors/index.js';
import type { FallbackReason, PolicyEvents } from './events.js';

/** Categories that move a request to the next model by default (the failure table's fallback 'yes'). */
export const DEFAULT_FALLBACK_ON: ReadonlySet<ErrorCategory> = categoriesWhere('fallback', 'yes');

/** Categories no other model can fix (fallback 'never'): never a reason to fall back, whatever the options say. */
const NEVER_FALLBACK_ON: ReadonlySet<ErrorCategory> = categoriesWhere('fallback', 'never');

/** What moves a request on: the failed attempt's error, or the model's circuit refusing it. */
export type FallbackTrigger = TogetherError | 'breaker_open';

/** The part of a BreakerRegistry a route reads. */
export interface CircuitView {
  isOpen(model: string): boolean;
}

export interface FallbackStep {
  index: number;
  model: string;
  why: FallbackReason;
}

export interface RouteOptions {
  breakers?: CircuitView | undefined;
  /** Categories that move on (default DEFAULT_FALLBACK_ON); auth, billing and validation never do. */
  fallbackOn?: Iterable<ErrorCategory> | undefined;
}

/** Checks a route: a non-empty list of distinct, non-empty model ids. */
export function checkRoute(route: readonly string[]): void {
  if (!Array.isArray(route) || route.length === 0) {
    throw new TypeError('A fallback route must be a non-empty list of model ids, primary first.');
  }
  const seen = new Set<string>();
  route.forEach((model, index) => {
    if (typeof model !== 'string' || model.trim() === '') {
      throw new TypeError(`Fallback route entry ${index} must be a model id (got ${JSON.stringify(model)}).`);
    }
    if (seen.has(model)) throw new TypeError(`Fallback route lists "${model}" twice: list each model once.`);
    seen.add(model);
  });
}

/** Index of the model to try first: the first whose circuit is not open, or the primary when all are. */
export function firstModel(route: readonly string[], breakers?: CircuitView): number {
  checkRoute(route);
  const index = route.findIndex((model) => !breakers?.isOpen(model));
  return index < 0 ? 0 : index;
}

/** Why `trigger` moves the request on, or undefined when it must not. */
export function fallbackReason(trigger: FallbackTrigger, fallbackOn: ReadonlySet<ErrorCategory> = DEFAULT_FALLBACK_ON): FallbackReason | undefined {
  if (trigger === 'breaker_open') return 'breaker_open';
  const category = trigger.category;
  if (NEVER_FALLBACK_ON.has(category)) return undefined;
  // A code's own row may move on where its category would not (a model's dynamic-rate queue full: a 429 that
  // another model may not share).
  if (!fallbackOn.has(category) && behaviourOf(trigger).fallback !== 'yes') return undefined;
  return category;
}

/**
 * The model after `currentIndex` to try once `trigger` ended the current one, skipping open circuits;
 * undefined when the trigger does not move on or no model is left (the caller surfaces the error).
 */
export function nextModel(
  route: readonly string[],
  currentIndex: number,
  trigger: FallbackTrigger,
  options: RouteOptions = {},
): FallbackStep | undefined {
  checkRoute(route);
  const fallbackOn = options.fallbackOn ? new Set(options.fallbackOn) : DEFAULT_FALLBACK_ON;
  const why = fallbackReason(trigger, fallbackOn);
  if (why === undefined) return undefined;
  for (let index = Math.max(0, currentIndex + 1); index < route.length; index++) {
    const model = route[index]!;
    if (!options.breakers?.isOpen(model)) return { index, model, why };
  }
  return undefined;
}

/** A route bound to its breakers and events: `next` emits the `fallback` event it decides. */
export class FallbackRoute {
  readonly models: readonly string[];
  private readonly options: RouteOptions;
  private readonly events: PolicyEvents | undefined;

  constructor(models: readonly string[], options: RouteOptions & { events?: PolicyEvents | undefined } = {}) {
    checkRoute(models);
    this.models = [...models];
    this.options = { breakers: options.breakers, fallbackOn: options.fallbackOn ? [...options.fallbackOn] : undefined };
    this.events = options.events;
  }

  first(): number {
    return firstModel(this.models, this.options.breakers);
  }

  next(currentIndex: number, trigger: FallbackTrigger, requestId?: string): FallbackStep | undefined {
    const step = nextModel(this.models, currentIndex, trigger, this.options);
    const from = this.models[currentIndex];
    if (step && from !== undefined) {
      this.events?.emit('fallback', { from, to: step.model, why: step.why, ...(requestId !== undefined ? { requestId } : {}) });
    }
    return step;
  }
}

export interface RouteRunOptions {
  breakers?: CircuitView | undefined;
  events?: PolicyEvents | undefined;
  requestId?: string | undefined;
  signal?: AbortSignal | undefined;
  /** What is thrown once the signal has aborted. */
  aborted(reason: unknown, model: string): unknown;
  /** What a failed model's throw means for the route; throwing here ends the route with that error. */
  trigger(thrown: unknown, model: string): FallbackTrigger;
  /** What is thrown when the route ends without an answer (no model left, or a trigger that does not move on). */
  exhausted(): unknown;
}

/**
 * The fallback layer: tries the primary; only when it fails is the rest of the route worked out (nearly always the
 * primary answers), then each next model `nextModel` allows, emitting `fallback` for each move. One loop, the one
 * the pipeline runs and the tests drive.
 */
export async function runFallbackRoute<T>(
  primary: string,
  rest: () => Promise<readonly string[]> | readonly string[],
  tryModel: (model: string, index: number, fallbackFrom: { model: string; why: FallbackReason } | undefined) => Promise<T>,
  options: RouteRunOptions,
): Promise<T> {
  let route: FallbackRoute | undefined;
  let index = 0;
  let model = primary;
  let from: { model: string; why: FallbackReason } | undefined;
  for (;;) {
    try {
      return await tryModel(model, index, from);
    } catch (thrown) {
      if (options.signal?.aborted) throw options.aborted(options.signal.reason, model);
      const trigger = options.trigger(thrown, model);
      route ??= new FallbackRoute([primary, ...(await rest())], { breakers: options.breakers, events: options.events });
      if (options.signal?.aborted) throw options.aborted(options.signal.reason, model);
      const step = route.next(index, trigger, options.requestId);
      if (step === undefined) throw options.exhausted();
      from = { model, why: step.why };
      index = step.index;
      model = step.model;
    }
  }
}
