// Errors of the spend budgets (policy/spend-budget.ts): a request that does not fit, one that cannot be priced, and
// a shared store that does not answer. Amounts arrive in nano-USD (1e-9 USD), as the budgets keep them.
import { TogetherError } from './together-error.js';

type BudgetPeriod = 'day' | 'month' | 'total';

function usd(value: number): string {
  return `$${value < 0.01 ? value.toFixed(6) : value.toFixed(4)}`;
}

const PER_LABEL: Record<BudgetPeriod, string> = { day: 'per UTC day', month: 'per UTC month', total: 'in total' };

/**
 * A request that does not fit its budget. HTTP 403 from the gateway (not 402: that is Together's credit; not 429:
 * the openai and together-ai SDKs retry a 429 on their own, and a budget that resets tomorrow is not a rate).
 */
export function budgetExceededError(facts: {
  budget: string;
  limit: { usd: number; per: BudgetPeriod };
  needUsd: number;
  totals: { spentNano: number; reservedNano: number };
  resetsAt: number;
  now: number;
  model: string;
}): TogetherError {
  const spent = facts.totals.spentNano / 1e9;
  const reserved = facts.totals.reservedNano / 1e9;
  const left = Math.max(0, facts.limit.usd - spent - reserved);
  const resets = facts.resetsAt === Infinity ? 'never (a total budget)' : new Date(facts.resetsAt).toISOString();
  return new TogetherError({
    status: 403,
    code: 'budget_exceeded',
    type: 'budget_exceeded',
    category: 'rate_limit',
    message:
      `Budget "${facts.budget}" (${usd(facts.limit.usd)} ${PER_LABEL[facts.limit.per]}) has ${usd(left)} left ` +
      `(${usd(spent)} spent, ${usd(reserved)} reserved by requests in flight); this request could cost up to ${usd(facts.needUsd)} on ${facts.model}. ` +
      `It resets ${resets}.`,
    cause: 'Each request reserves its worst-case cost (prompt × input price + max_tokens × output price) before it is sent; this one does not fit what is left.',
    fix: 'Lower max_tokens or the prompt, wait for the reset, or raise the budget in the config.',
    retryable: false,
    ...(facts.resetsAt !== Infinity ? { retryAfterMs: Math.max(0, facts.resetsAt - facts.now) } : {}),
    model: facts.model,
    details: { budget: facts.budget, limitUsd: facts.limit.usd, per: facts.limit.per, leftUsd: left, spentUsd: spent, reservedUsd: reserved, needUsd: facts.needUsd, resetsAt: resets },
  });
}

/** A request a budget cannot price: refused, never counted as free. */
export function budgetUnpricedError(budget: string, model: string | undefined, why: string): TogetherError {
  return new TogetherError({
    status: 403,
    code: 'budget_unpriced',
    type: 'budget_exceeded',
    category: 'rate_limit',
    message: `Budget "${budget}" cannot reserve a worst-case cost for this request${model === undefined ? '' : ` on ${model}`}: ${why}.`,
    cause: 'A request under a budget is sent only when its worst case is known; an unknown price is never counted as free.',
    fix: why.includes('max_tokens') ? 'Set max_tokens on the request.' : 'Use a model with a listed price, or send this client without a budget.',
    retryable: false,
    model,
    details: { budget, ...(model !== undefined ? { model } : {}) },
  });
}

/** The budget's shared store (Redis) did not answer: the request is not sent while its budget cannot be reserved. */
export function budgetStoreUnavailableError(error: unknown): TogetherError {
  return new TogetherError({
    status: 503,
    code: 'budget_store_unavailable',
    category: 'server',
    message: 'The spend budget could not be checked: its Redis store did not answer.',
    cause: 'Budgets shared between gateways live in Redis; a request is not sent while its budget cannot be reserved.',
    fix: 'Check that the `redis` URL in the config is reachable, then retry.',
    retryable: true,
    original: error,
  });
}
