// Context limits learned from Together's own answers, for the life of the process. The published numbers are a
// starting point: a context error for a request that passed preflight proves the limit is lower, and a success
// above the assumed limit proves it is higher. Pure bookkeeping: the pipeline reports, the catalog applies.

/** What Together said about a request of `tokens` (prompt + max_tokens) on a model. */
export type ContextObservation =
  /** Together served it: the limit is at least `tokens`. */
  | { outcome: 'accepted'; tokens: number }
  /**
   * Together refused it as over the context: the limit is below `tokens`; `limit` when the error names it
   * ("must be <= 4096", see contextLimitFromMessage), which is then taken as the limit.
   */
  | { outcome: 'rejected'; tokens: number; limit?: number | undefined };

export interface LearnedContextLimit {
  model: string;
  /** The limit planned with before this observation (learned or published; undefined when none was known). */
  before: number | undefined;
  /** The limit planned with from now on. */
  after: number | undefined;
  changed: boolean;
}

/**
 * Models whose limit is remembered: far more than the catalog has ids. Ids come from callers' requests, so an
 * unbounded map could be grown by a stream of made-up ids; past the bound, new models are not learned.
 */
export const MAX_LEARNED_CONTEXT_MODELS = 4096;
/** Largest token count taken as an observation (Together's largest context is 10M tokens; this is 10× that). */
export const MAX_OBSERVED_CONTEXT_TOKENS = 100_000_000;

interface Bounds {
  /** Largest request Together served. */
  atLeast?: number;
  /** Smallest limit Together's refusals imply. */
  atMost?: number;
}

function tokenCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_OBSERVED_CONTEXT_TOKENS) {
    throw new TypeError(`learnContextLimit: ${name} must be a whole number of tokens from 1 to ${MAX_OBSERVED_CONTEXT_TOKENS}, got ${String(value)}`);
  }
  return value;
}

/**
 * The limit named by a context error's message, e.g. Together's "Input validation error: `inputs` tokens +
 * `max_new_tokens` must be <= 4096. Given: 3997 `inputs` tokens and 100 `max_new_tokens`". undefined when the
 * message names none.
 */
export function contextLimitFromMessage(message: string): { limit: number; inputTokens?: number; maxNewTokens?: number } | undefined {
  const text = message.slice(0, 2000);
  const limit = /must be <=\s*(\d{1,9})/.exec(text) ?? /maximum context length is\s*(\d{1,9})/i.exec(text);
  if (!limit) return undefined;
  const given = /Given:\s*(\d{1,9})\s*`?inputs`? tokens and\s*(\d{1,9})\s*`?max_new_tokens`?/.exec(text);
  return {
    limit: Number(limit[1]),
    ...(given ? { inputTokens: Number(given[1]), maxNewTokens: Number(given[2]) } : {}),
  };
}

/** Per-model bounds from observations, combined with the published limit. */
export class ContextLimitLearner {
  private readonly bounds = new Map<string, Bounds>();

  /** The limit to plan with: the published one moved inside what Together's answers proved. */
  effective(model: string, published: number | undefined): number | undefined {
    const known = this.bounds.get(model);
    if (known === undefined) return published;
    let limit = published;
    if (known.atLeast !== undefined && (limit === undefined || limit < known.atLeast)) limit = known.atLeast;
    if (known.atMost !== undefined && (limit === undefined || limit > known.atMost)) limit = known.atMost;
    return limit;
  }

  learn(model: string, observation: ContextObservation, published: number | undefined): LearnedContextLimit {
    if (typeof model !== 'string' || model.length === 0 || model.length > 256) {
      throw new TypeError('learnContextLimit: model must be a model id (1 to 256 characters)');
    }
    if (observation === null || typeof observation !== 'object') {
      throw new TypeError("learnContextLimit: send {outcome: 'accepted', tokens} or {outcome: 'rejected', tokens, limit?}");
    }
    const before = this.effective(model, published);
    const existing = this.bounds.get(model);
    if (existing === undefined && this.bounds.size >= MAX_LEARNED_CONTEXT_MODELS) return { model, before, after: before, changed: false };
    const bounds: Bounds = { ...existing };
    if (observation.outcome === 'accepted') {
      const tokens = tokenCount('tokens', observation.tokens);
      bounds.atLeast = Math.max(bounds.atLeast ?? 0, tokens);
      // The newest answer wins over an older, contradicting one (the limit itself may have changed).
      if (bounds.atMost !== undefined && bounds.atMost < tokens) delete bounds.atMost;
    } else if (observation.outcome === 'rejected') {
      const tokens = tokenCount('tokens', observation.tokens);
      const stated = observation.limit === undefined ? undefined : tokenCount('limit', observation.limit);
      if (stated !== undefined) {
        bounds.atMost = stated;
        bounds.atLeast = stated; // Together named its limit: plan with exactly that.
      } else {
        bounds.atMost = Math.min(bounds.atMost ?? Infinity, tokens - 1);
        if (bounds.atLeast !== undefined && bounds.atLeast > bounds.atMost) delete bounds.atLeast;
      }
    } else {
      throw new TypeError("learnContextLimit: outcome must be 'accepted' or 'rejected'");
    }
    this.bounds.set(model, bounds);
    const after = this.effective(model, published);
    return { model, before, after, changed: after !== before };
  }

  /** Learned bounds by model, for status pages and debug bundles. */
  snapshot(): Record<string, { atLeast?: number; atMost?: number }> {
    return Object.fromEntries([...this.bounds].map(([model, b]) => [model, { ...b }]));
  }

  has(model: string): boolean {
    return this.bounds.has(model);
  }

  clear(): void {
    this.bounds.clear();
  }
}
