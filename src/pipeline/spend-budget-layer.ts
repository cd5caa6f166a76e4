// The spend budget around a pipeline's send: before a request is sent its worst-case cost is reserved — prompt
// tokens (an upper bound) × the model's input price + max_tokens × n (or, unset, the model's whole context) × its
// output price, from the catalog's current price — and the request is refused at once when that does not fit.
// When the request ends the reservation settles to the usage record's cost:
// - a JSON answer: its `costUsd`; a stream: `done`'s `costUsd` (a stream read to the end carries its usage);
// - a stream cancelled or failed part-way: its usage when Together sent it, else the reservation is kept as spent
//   (tokens were generated and billed, and how many is unknown: never counted as free);
// - a failure with an HTTP status (Together answered with an error: nothing billed): settled to $0; a failure
//   without one (network, timeout: the upstream may have generated): the reservation is kept.
// A model without a known price, or without max_tokens and a known context length, cannot be reserved: refused.
// With configured fallbacks (`overrides.fallbacks`) the reservation is the priciest worst case along the route.
import type { CatalogModel } from '../catalog/index.js';
import { budgetUnpricedError, isTogetherError } from '../errors/index.js';
import type { BudgetLimit, SpendBudgets, SpendReservation } from '../policy/index.js';
import { choicesOf, tokenBounds } from '../tokens/index.js';
import type { BoundedBody } from '../tokens/index.js';
import type { PipelineRequest, PipelineResult } from './contract.js';

/** One budget a request is charged to. */
export interface BudgetBinding {
  budgets: SpendBudgets;
  /** The budget's name (a gateway client's name): its store key, and how errors and metrics name it. */
  name: string;
  limit: BudgetLimit;
}

/** A model's entry (price, context length) by id; undefined when the catalog does not list it. */
export type ModelLookup = (id: string, signal?: AbortSignal) => Promise<Pick<CatalogModel, 'id' | 'pricing' | 'contextLength'> | undefined>;

/** The worst-case USD of a request on `model`, or the reason it has none. */
export function worstCaseUsd(body: BoundedBody, model: Pick<CatalogModel, 'pricing' | 'contextLength'>): { usd: number } | { unknown: string } {
  if (model.pricing === undefined) return { unknown: 'its price is not known' };
  const { prompt, completion } = tokenBounds({ body });
  let completionTokens = completion;
  if (typeof body.max_tokens !== 'number' || body.max_tokens <= 0) {
    if (body.input !== undefined && body.messages === undefined && body.prompt === undefined) completionTokens = 0; // embeddings
    else if (model.contextLength === undefined) return { unknown: 'max_tokens is unset and the model\'s context length is not known' };
    else completionTokens = model.contextLength * choicesOf(body);
  }
  return { usd: (prompt * model.pricing.input + completionTokens * model.pricing.output) / 1_000_000 };
}

/** A lookup over `listModels`, refreshed at most every `ttlMs` (the catalog itself caches Together's list). */
export function modelLookupFrom(listModels: (signal?: AbortSignal) => Promise<unknown[]>, ttlMs = 5_000): ModelLookup {
  let byId: Map<string, CatalogModel> | undefined;
  let at = 0;
  return async (id, signal) => {
    if (byId === undefined || performance.now() - at > ttlMs) {
      const models = (await listModels(signal)) as CatalogModel[];
      byId = new Map(models.map((model) => [model.id, model]));
      at = performance.now();
    }
    return byId.get(id);
  };
}

const TOKEN_ENDPOINTS = new Set(['chat', 'completions', 'embeddings']);

/** `send` with the request's worst case reserved first and settled when it ends. */
export function withSpendBudget(
  send: (request: PipelineRequest) => Promise<PipelineResult>,
  binding: BudgetBinding,
  lookup: ModelLookup,
  onSettleError: (error: unknown) => void = () => {},
): (request: PipelineRequest) => Promise<PipelineResult> {
  const { budgets, name, limit } = binding;
  const settle = (reservation: SpendReservation, costUsd: number | undefined): void => {
    budgets.settle(reservation, costUsd).catch(onSettleError);
  };
  return async (request) => {
    const body = (request.body ?? {}) as BoundedBody & { model?: unknown };
    const modelId = typeof body.model === 'string' ? body.model : '(no model)';
    if (!TOKEN_ENDPOINTS.has(request.endpoint)) throw budgetUnpricedError(name, modelId, `the ${request.endpoint} endpoint is not billed per token`);
    const model = typeof body.model === 'string' ? await lookup(body.model, request.signal) : undefined;
    if (model === undefined) throw budgetUnpricedError(name, modelId, 'the catalog does not list this model, so its price is not known');
    const bound = worstCaseUsd(body, model);
    if ('unknown' in bound) throw budgetUnpricedError(name, modelId, bound.unknown);
    // The request may be answered by a configured fallback: reserve for the priciest of the route it can take.
    let usd = bound.usd;
    for (const id of request.overrides?.fallbacks ?? []) {
      const fallback = await lookup(id, request.signal);
      const fallbackBound = fallback === undefined ? undefined : worstCaseUsd(body, fallback);
      if (fallbackBound !== undefined && 'usd' in fallbackBound) usd = Math.max(usd, fallbackBound.usd);
    }
    const reservation = await budgets.reserve(name, limit, usd, model.id);
    let result: PipelineResult;
    try {
      result = await send(request);
    } catch (error) {
      settle(reservation, isTogetherError(error) && error.status !== undefined ? 0 : undefined);
      throw error;
    }
    if (result.kind === 'json') settle(reservation, result.record.costUsd);
    else result.done.then((record) => settle(reservation, record.costUsd), () => settle(reservation, undefined));
    return result;
  };
}
