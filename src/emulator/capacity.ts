// Platform capacity per model, shared by every key: what Together's fleet can serve of a model. Past it a request
// gets 503 even from a key under its own rate (facts §11: a request at or below your dynamic rate that cannot be
// served is Together's capacity, not your limit). A scenario can scale or replace a model's capacity for a while.
import type { ModelCapacityInput } from './config.js';
import { SlidingWindow } from './limits.js';

/** A change a scenario makes to a model's capacity: a factor of the configured one, or new figures. */
export interface CapacityOverride {
  factor?: number | undefined;
  requestsPerSecond?: number | undefined;
  concurrent?: number | undefined;
}

export interface CapacityLimits {
  requestsPerSecond: number | undefined;
  concurrent: number | undefined;
}

/** Which limit a refused request hit. */
export type CapacityDecision = { ok: true } | { ok: false; limit: 'requestsPerSecond' | 'concurrent'; value: number };

const ALL_MODELS = '*';

export class PlatformCapacity {
  private readonly configured = new Map<string, ModelCapacityInput>();
  /** Admissions in the last second per model; only for models that have (or are given) a capacity. */
  private readonly recent = new Map<string, SlidingWindow>();
  private readonly inFlight = new Map<string, number>();

  constructor(entries: readonly ModelCapacityInput[]) {
    for (const entry of entries) this.configured.set(entry.model, entry);
  }

  /** Whether `model` has a configured capacity (its own or the `*` entry). */
  has(model: string): boolean {
    return this.configured.has(model) || this.configured.has(ALL_MODELS);
  }

  /** The capacity in force: the configured one, changed by a scenario's override. */
  limits(model: string, override?: CapacityOverride): CapacityLimits {
    const base = this.configured.get(model) ?? this.configured.get(ALL_MODELS);
    const factor = override?.factor ?? 1;
    const scaled = (value: number | undefined): number | undefined => (value === undefined ? undefined : value * factor);
    const concurrent = override?.concurrent ?? scaled(base?.concurrent);
    return {
      requestsPerSecond: override?.requestsPerSecond ?? scaled(base?.requestsPerSecond),
      concurrent: concurrent === undefined ? undefined : Math.floor(concurrent),
    };
  }

  private window(model: string): SlidingWindow {
    let window = this.recent.get(model);
    if (!window) {
      window = new SlidingWindow(Number.MAX_SAFE_INTEGER, 1000);
      this.recent.set(model, window);
    }
    return window;
  }

  /** Would the model serve one more request at `now`? Records nothing. */
  check(now: number, model: string, override?: CapacityOverride): CapacityDecision {
    const limits = this.limits(model, override);
    if (limits.concurrent !== undefined && (this.inFlight.get(model) ?? 0) >= limits.concurrent) {
      return { ok: false, limit: 'concurrent', value: limits.concurrent };
    }
    if (limits.requestsPerSecond !== undefined && this.window(model).count(now) + 1 > limits.requestsPerSecond) {
      return { ok: false, limit: 'requestsPerSecond', value: limits.requestsPerSecond };
    }
    return { ok: true };
  }

  /** Count an admitted request; call the returned function once it is answered (it frees its place). */
  admit(now: number, model: string): () => void {
    this.window(model).record(now, 1);
    this.inFlight.set(model, (this.inFlight.get(model) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(model) ?? 1) - 1;
      if (left > 0) this.inFlight.set(model, left);
      else this.inFlight.delete(model);
    };
  }

  /** Requests being served now, by model. */
  busy(): Record<string, number> {
    return Object.fromEntries(this.inFlight);
  }

  clear(): void {
    this.recent.clear();
  }
}
