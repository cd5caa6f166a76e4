// A catalog entry: the live `/models` entry merged with what the bundled snapshot knows about the same id.
import type { ModelInfo } from '../api/index.js';
import type { CatalogSnapshot, SnapshotDeprecation, SnapshotFinetune, SnapshotModel } from './snapshot.js';

export interface CatalogModel {
  id: string;
  type: string;
  displayName: string | undefined;
  organization: string | undefined;
  /**
   * The context length to plan with: the one Together enforces, i.e. the model list's `context_length` (the
   * live list's, else the snapshot's copy of it). The docs' number (`context_length_docs`) is used only where
   * the list gives none: planning with the smaller of the two refused prompts Together serves (a 12,009-token
   * prompt to Mistral-7B-Instruct-v0.1, 32,768 by the API and 8,192 by the docs). Corrected for the process by
   * what Together's answers prove (`learned`, see Catalog.learnContextLimit). undefined where no positive value
   * is known (image and audio models report 0).
   */
  contextLength: number | undefined;
  /** The numbers contextLength was chosen from; `learned` is set once Together's answers moved it. */
  contextLengthSources: { api: number | undefined; docs: number | undefined; learned?: number | undefined };
  /** USD per 1M tokens: the live list's where it gives non-zero numbers, else the snapshot's. */
  pricing: { input: number; output: number } | undefined;
  /** Family key (`llama-3.1`, `qwen-3`, …) from the snapshot or the catalog's overrides. */
  family: string | undefined;
  /** Tokenizer family for src/tokens; null where none fits, undefined where the snapshot does not know the id. */
  tokenizer: string | null | undefined;
  /** undefined for ids the snapshot does not know. */
  serverless: boolean | undefined;
  /** Whether Together's Batch API runs this model (a batch targeting one it does not run fails). */
  batch: boolean;
  /** Fraction off `pricing` in the Batch API (0.5 for the listed models, 0 where a batch runs at standard rates). */
  batchDiscount: number;
  /** USD per 1M tokens in the Batch API: `pricing` less the discount; undefined where it cannot be batched or has no known price. */
  batchPricing: { input: number; output: number } | undefined;
  finetune: SnapshotFinetune | null;
  /** The build tier the id needs, when Together gates it. */
  minTier: number | undefined;
  deprecated: { on: string; successor: string | null; dedicatedAvailable: boolean } | undefined;
  /** Where the entry itself came from: the live list, or the snapshot alone (live list unavailable). */
  source: 'live' | 'snapshot';
  /** Whether the bundled snapshot knows this id. */
  inSnapshot: boolean;
}

/** The snapshot indexed by id, built once per snapshot object. */
export interface SnapshotIndex {
  snapshot: CatalogSnapshot;
  models: ReadonlyMap<string, SnapshotModel>;
  deprecated: ReadonlyMap<string, SnapshotDeprecation>;
  tierGates: ReadonlyMap<string, number>;
}

const indexes = new WeakMap<CatalogSnapshot, SnapshotIndex>();

export function indexSnapshot(snapshot: CatalogSnapshot): SnapshotIndex {
  let index = indexes.get(snapshot);
  if (index === undefined) {
    index = {
      snapshot,
      models: new Map(snapshot.models.map((m) => [m.id, m])),
      deprecated: new Map(snapshot.deprecated.map((d) => [d.id, d])),
      tierGates: new Map(snapshot.tier_gated.map((g) => [g.id, g.min_tier])),
    };
    indexes.set(snapshot, index);
  }
  return index;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The context length Together enforces: the model list's (`api`); the docs' only where the list gives none. */
export function plannedContextLength(api: number | undefined, docs: number | undefined): number | undefined {
  return api ?? docs;
}

function livePricing(live: ModelInfo | undefined): { input: number; output: number } | undefined {
  const pricing = live?.pricing;
  if (pricing === undefined || typeof pricing.input !== 'number' || typeof pricing.output !== 'number') return undefined;
  if (pricing.input === 0 && pricing.output === 0) return undefined; // what /models says for dedicated-only ids is unknown
  return { input: pricing.input, output: pricing.output };
}

/** The snapshot's price; its 0/0 on a non-serverless id is a placeholder for "unknown", not a price. */
function snapshotPricing(known: SnapshotModel | undefined): { input: number; output: number } | undefined {
  if (known === undefined) return undefined;
  if (!known.serverless && known.pricing.input === 0 && known.pricing.output === 0) return undefined;
  return { input: known.pricing.input, output: known.pricing.output };
}

/** Batch support and price: the snapshot says which models the Batch API runs and at what discount; the price it
 * discounts is the current one (the live list's where it gives one). */
function batchTerms(
  known: SnapshotModel | undefined,
  pricing: { input: number; output: number } | undefined,
): Pick<CatalogModel, 'batch' | 'batchDiscount' | 'batchPricing'> {
  const batch = known?.batch ?? false;
  const batchDiscount = batch ? (known?.batch_discount ?? 0) : 0;
  const factor = 1 - batchDiscount;
  return { batch, batchDiscount, batchPricing: batch && pricing ? { input: pricing.input * factor, output: pricing.output * factor } : undefined };
}

/**
 * Merge a live entry (may be absent: snapshot-only view) with the snapshot's knowledge of the same id.
 * The live list wins for what it states (type, names, context_length, pricing); the snapshot adds the rest.
 */
export function mergeModel(
  id: string,
  live: ModelInfo | undefined,
  index: SnapshotIndex,
  familyOverrides: Readonly<Record<string, string>> = {},
): CatalogModel {
  const known = index.models.get(id);
  const deprecation = index.deprecated.get(id);
  const api = positive(live?.context_length) ?? positive(known?.context_length);
  const docs = positive(known?.context_length_docs);
  return {
    id,
    type: live?.type ?? known?.type ?? 'unknown',
    displayName: live?.display_name ?? known?.display_name,
    organization: live?.organization ?? known?.organization,
    contextLength: plannedContextLength(api, docs),
    contextLengthSources: { api, docs },
    pricing: livePricing(live) ?? snapshotPricing(known),
    family: familyOverrides[id] ?? known?.family,
    tokenizer: known === undefined ? undefined : known.tokenizer,
    serverless: known?.serverless,
    ...batchTerms(known, livePricing(live) ?? snapshotPricing(known)),
    finetune: known?.finetune ?? null,
    minTier: index.tierGates.get(id),
    deprecated:
      deprecation === undefined
        ? undefined
        : { on: deprecation.deprecated_on, successor: deprecation.successor, dedicatedAvailable: deprecation.dedicated_available },
    source: live === undefined ? 'snapshot' : 'live',
    inSnapshot: known !== undefined,
  };
}
