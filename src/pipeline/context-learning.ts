// Together's own answers correct the context limit the catalog plans with (catalog.learnContextLimit): a context
// error for a request that passed preflight says the limit is lower (and usually names it); a success whose prompt
// (Together's own count) plus max_tokens is above the assumed limit says it is at least that. Pure: what to learn.
import { contextLimitFromMessage } from '../catalog/index.js';
import type { ContextObservation } from '../catalog/index.js';
import type { TogetherError } from '../errors/index.js';
import type { TokenPlan } from './preflight.js';
import { usageOf } from './usage.js';

/** From a context error upstream: the limit it names (and the request's size it names), or the exact plan's size. */
export function observationFromRejection(error: TogetherError, plan: TokenPlan): ContextObservation | undefined {
  const named = contextLimitFromMessage(`${error.message} ${error.upstreamBody ?? ''}`);
  if (named !== undefined) {
    const given = named.inputTokens !== undefined ? named.inputTokens + (named.maxNewTokens ?? 0) : undefined;
    return { outcome: 'rejected', tokens: given !== undefined && given > named.limit ? given : named.limit + 1, limit: named.limit };
  }
  // Without a named limit only an exact count proves anything (an upper bound is not the request's size).
  if (!plan.counted || !plan.exact) return undefined;
  return { outcome: 'rejected', tokens: plan.promptTokens + (plan.maxTokens ?? 0) };
}

/** From a success: what Together served, when that is above the limit planned with. */
export function observationFromSuccess(body: unknown, plan: TokenPlan, assumedLimit: number | undefined): ContextObservation | undefined {
  const usage = usageOf(body);
  if (usage === undefined) return undefined;
  const tokens = usage.prompt_tokens + (plan.maxTokens ?? usage.completion_tokens);
  return assumedLimit !== undefined && tokens > assumedLimit ? { outcome: 'accepted', tokens } : undefined;
}
