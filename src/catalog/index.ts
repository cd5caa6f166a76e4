// Public API of the catalog module: the model list (live, cached, merged with the bundled snapshot),
// resolution with "did you mean", deprecations and successors, families and fallback routes.
export { loadSnapshot, findSnapshotModel } from './snapshot.js';
export type {
  CatalogSnapshot,
  SnapshotModel,
  SnapshotPricing,
  SnapshotFinetune,
  SnapshotDeprecation,
  SnapshotTierGate,
} from './snapshot.js';
export { createCatalog } from './catalog.js';
export type { Catalog, CatalogOptions, CatalogStatus } from './catalog.js';
export type { CatalogModel } from './model.js';
export { contextLimitFromMessage, MAX_LEARNED_CONTEXT_MODELS, MAX_OBSERVED_CONTEXT_TOKENS } from './context-limits.js';
export type { ContextObservation, LearnedContextLimit } from './context-limits.js';
export { mergeModel, plannedContextLength, indexSnapshot } from './model.js';
export type { SnapshotIndex } from './model.js';
export type { Resolution, ResolvedModel, UnresolvedModel, ResolutionFailure } from './resolve.js';
export { MAX_MODEL_ID_LENGTH, quoteModelId } from './resolve.js';
export { suggest, similarity, editDistance, canonicalTokens, MAX_SUGGEST_QUERY } from './suggest.js';
export { familyOf, FAMILY_GROUPS, groupOf, isFreeVariant } from './families.js';
export { filterModels } from './filter.js';
export type { ModelFilter } from './filter.js';
