// What requests can cost before they are sent. A request's worst case is an upper bound on its prompt's tokens
// (UTF-8 bytes of the request's text fields, plus a chat template's preamble) × the input price, plus
// max_tokens × n × the output price. Prices come from a lookup: the catalog's current list (the live `/models`
// pricing wins over the bundled snapshot) or the snapshot alone. A model with no known price has no bound: it is
// reported (`unknownPrice`), never counted as free.
import { indexSnapshot, loadSnapshot, mergeModel } from '../catalog/index.js';
import type { CatalogModel } from '../catalog/index.js';
import { tokenBounds } from '../tokens/index.js';
import type { BatchRequest } from './input.js';

/** USD per 1M tokens, live and in the Batch API, for one model. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Whether the Batch API runs the model at all. */
  batchable: boolean;
  /** Fraction off in the Batch API (0 where a batch runs at standard rates). */
  batchDiscount: number;
}

/** A model's price, or undefined when none is known. */
export type PriceLookup = (model: string) => ModelPrice | undefined;

function priceOf(model: Pick<CatalogModel, 'pricing' | 'batch' | 'batchDiscount'> | undefined): ModelPrice | undefined {
  if (!model?.pricing) return undefined;
  return { input: model.pricing.input, output: model.pricing.output, batchable: model.batch, batchDiscount: model.batch ? model.batchDiscount : 0 };
}

/** Prices from the bundled snapshot only (no network). */
export function snapshotPrices(): PriceLookup {
  const index = indexSnapshot(loadSnapshot());
  const cache = new Map<string, ModelPrice | undefined>();
  return (id) => {
    if (!cache.has(id)) cache.set(id, index.models.has(id) ? priceOf(mergeModel(id, undefined, index)) : undefined);
    return cache.get(id);
  };
}

/** Prices from a catalog list (live pricing where Together gave it), the snapshot for ids the list lacks. */
export function catalogPrices(models: readonly CatalogModel[], fallback: PriceLookup = snapshotPrices()): PriceLookup {
  const byId = new Map(models.map((m) => [m.id, m]));
  return (id) => {
    const model = byId.get(id);
    return model ? priceOf(model) : fallback(id);
  };
}

export { tokenBounds };

function modelOf(request: Pick<BatchRequest, 'body'>): string | undefined {
  return typeof request.body.model === 'string' ? request.body.model : undefined;
}

/** A request's worst-case cost live (or, with `batched`, in the Batch API); undefined when its price is unknown. */
export function requestCostBound(request: Pick<BatchRequest, 'body'>, prices: PriceLookup, batched = false): number | undefined {
  const model = modelOf(request);
  const price = model === undefined ? undefined : prices(model);
  if (!price) return undefined;
  const factor = batched ? 1 - price.batchDiscount : 1;
  const { prompt, completion } = tokenBounds(request);
  return ((prompt * price.input + completion * price.output) * factor) / 1_000_000;
}

/** The worst case from the snapshot's prices; 0 when the model has no known price (the runner then uses the most one request has cost). */
export function snapshotCostBound(request: Pick<BatchRequest, 'body'>): number {
  return requestCostBound(request, defaultPrices()) ?? 0;
}

let shared: PriceLookup | undefined;
function defaultPrices(): PriceLookup {
  shared ??= snapshotPrices();
  return shared;
}

/** Whether a request should go to the Batch API under `--via auto`: its model is batchable at a discount. */
export function goesToBatch(request: Pick<BatchRequest, 'body' | 'endpoint'>, prices: PriceLookup): boolean {
  if (request.endpoint !== 'chat') return false;
  const model = modelOf(request);
  const price = model === undefined ? undefined : prices(model);
  return price !== undefined && price.batchable && price.batchDiscount > 0;
}

/** The worst-case cost of a job sent live and sent with `--via auto`, and what could not be priced. */
export interface JobCostEstimate {
  requests: number;
  liveUsd: number;
  autoUsd: number;
  /** Requests `auto` sends to the Batch API. */
  batched: number;
  /** Requests whose model has no known price: in neither figure. */
  unknownPrice: { requests: number; models: string[] };
}

export function estimateJobCost(requests: readonly BatchRequest[], prices: PriceLookup): JobCostEstimate {
  const estimate: JobCostEstimate = { requests: requests.length, liveUsd: 0, autoUsd: 0, batched: 0, unknownPrice: { requests: 0, models: [] } };
  const unknown = new Set<string>();
  for (const request of requests) {
    const live = requestCostBound(request, prices);
    if (live === undefined) {
      estimate.unknownPrice.requests++;
      unknown.add(modelOf(request) ?? '(no model)');
      continue;
    }
    estimate.liveUsd += live;
    if (goesToBatch(request, prices)) {
      estimate.batched++;
      estimate.autoUsd += requestCostBound(request, prices, true) ?? live;
    } else estimate.autoUsd += live;
  }
  estimate.unknownPrice.models = [...unknown].sort();
  return estimate;
}
