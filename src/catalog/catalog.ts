// The catalog: Together's live model list, cached with a TTL and refreshed stale-while-revalidate, merged
// with the bundled snapshot's knowledge, answering "is this id usable, and if not what instead?".
import type { ModelInfo } from '../api/index.js';
import { contextFallbacks, defaultRoute, groupOf, type RouteContext } from './families.js';
import { ContextLimitLearner, type ContextObservation, type LearnedContextLimit } from './context-limits.js';
import { indexSnapshot, mergeModel, plannedContextLength, type CatalogModel, type SnapshotIndex } from './model.js';
import { createRefreshingValue } from './refreshing-value.js';
import { resolveInView, type CatalogView, type Resolution } from './resolve.js';
import { loadSnapshot, type CatalogSnapshot } from './snapshot.js';

export interface CatalogOptions {
  /** Loads the live list (`GET /models`), e.g. `(signal) => listModels(transport, { signal })`. */
  fetchModels: (signal?: AbortSignal) => Promise<ModelInfo[]>;
  /** How long a loaded list is fresh (default 10 minutes). */
  ttlMs?: number | undefined;
  /** Clock for the TTL (default Date.now). */
  now?: (() => number) | undefined;
  /** Also refresh on an unref'd timer every ttlMs (default false: only when a caller finds the list stale). */
  refreshInBackground?: boolean | undefined;
  /** After a failed load, wait this long before trying again (default min(ttlMs, 30 s)). */
  retryAfterFailureMs?: number | undefined;
  /** Abort a load of the list after this long (default 15 s). */
  fetchTimeoutMs?: number | undefined;
  /** The bundled snapshot (default data/together-models.json). */
  snapshot?: CatalogSnapshot | undefined;
  /** The account's build tier, when known; tier-gated ids above it resolve as `tier_gated`. */
  accountTier?: number | undefined;
  /** Ids the caller has dedicated endpoints for: usable although not serverless. */
  dedicated?: readonly string[] | undefined;
  /** Fallback routes replacing the default, keyed by model id, family key or group key (`llama-3.x`). */
  routes?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Family keys for ids the snapshot does not know (or to re-file one), keyed by model id. */
  families?: Readonly<Record<string, string>> | undefined;
  /** Told about every failed load of the live list (the old list stays in use). */
  onRefreshError?: ((error: unknown) => void) | undefined;
  /** Told about every successful load. */
  onRefresh?: ((models: readonly CatalogModel[]) => void) | undefined;
  /**
   * Told when learnContextLimit changed a model's limit, with the observation that did it: for sharing it with
   * other processes (e.g. through Redis), which apply it with their own learnContextLimit.
   */
  onContextLimitLearned?: ((learned: LearnedContextLimit, observation: ContextObservation) => void) | undefined;
}

export interface CatalogStatus {
  /** Whether answers currently come from the live list or the bundled snapshot. */
  source: 'live' | 'snapshot';
  models: number;
  /** When the live list was last loaded (per the catalog's clock). */
  loadedAt: number | undefined;
  /** The last failed load, cleared by the next success. */
  lastError: unknown;
  loading: boolean;
  snapshotAsOf: string;
}

export interface Catalog {
  /**
   * The current model list (loading it first if there is none yet; the snapshot's if loading fails).
   * An aborted `signal` stops the wait (rejecting with its reason); the shared load itself goes on.
   */
  list(signal?: AbortSignal): Promise<CatalogModel[]>;
  /** Exact-match resolution; never substitutes another id unless `allowSuccessor` migrates a deprecated one. */
  resolve(id: string, options?: { allowSuccessor?: boolean | undefined; signal?: AbortSignal | undefined }): Promise<Resolution>;
  /** resolve() for a possibly deprecated id: to the successor when allowed, else an error naming it. */
  migrate(id: string, options: { allowSuccessor: boolean; signal?: AbortSignal | undefined }): Promise<Resolution>;
  /** The current entry for an exact id, without loading anything. */
  get(id: string): CatalogModel | undefined;
  familyOf(id: string): string | undefined;
  /** The route to fall back along: an override from `routes` if one applies, else the default route. */
  fallbackRoute(id: string): string[];
  /** Other usable models of the same type and family (then group), best stand-in first. See families.ts. */
  defaultFallbackRoute(id: string): string[];
  /** Models of the route (or the same family/group) whose context holds `neededTokens`, largest first. */
  largerContextModels(id: string, neededTokens: number): string[];
  /**
   * Correct a model's context limit from Together's own answer, for this process: a context error for a request
   * that passed preflight lowers it (to the limit the error names, else below the request), a success above the
   * assumed limit raises it. Every later get/resolve/list plans with the corrected limit. Throws a TypeError for
   * a malformed observation.
   */
  learnContextLimit(model: string, observation: ContextObservation): LearnedContextLimit;
  /** What learnContextLimit has proved so far, by model: the bounds Together's answers set. */
  learnedContextLimits(): Record<string, { atLeast?: number; atMost?: number }>;
  /** Load the live list now (joining a load in progress); rejects when it fails. */
  refresh(signal?: AbortSignal): Promise<void>;
  status(): CatalogStatus;
  /** Stop the background timer and abort a running load. */
  close(): void;
}

const DEFAULT_TTL_MS = 10 * 60_000;
const DEFAULT_FETCH_TIMEOUT_MS = 15_000;
const MAX_FAILURE_BACKOFF_MS = 30_000;
/** Successful resolutions kept per list: more than a catalog has ids (only ids that resolve are kept). */
const MAX_CACHED_RESOLUTIONS = 2048;

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`createCatalog: ${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  // Node's longest timer (2^31 - 1 ms): a longer one fires after 1 ms, which would make a refresh loop of a TTL.
  return Math.min(value, 2 ** 31 - 1);
}

function buildView(models: readonly CatalogModel[], source: 'live' | 'snapshot', index: SnapshotIndex): CatalogView {
  const byId = new Map<string, CatalogModel>();
  for (const model of models) byId.set(model.id, model);
  return { models: [...byId.values()], byId, source, index };
}

export function createCatalog(options: CatalogOptions): Catalog {
  if (typeof options?.fetchModels !== 'function') throw new TypeError('createCatalog: fetchModels must be a function returning the live model list');
  const ttlMs = positiveOption('ttlMs', options.ttlMs, DEFAULT_TTL_MS);
  const now = options.now ?? Date.now;
  const index = indexSnapshot(options.snapshot ?? loadSnapshot());
  const families = options.families ?? {};
  const routes = options.routes ?? {};
  const context: RouteContext = {
    accountTier: options.accountTier,
    dedicated: new Set(options.dedicated ?? []),
  };

  const snapshotView = buildView(
    index.snapshot.models.map((m) => mergeModel(m.id, undefined, index, families)),
    'snapshot',
    index,
  );

  const live = createRefreshingValue<CatalogView>({
    load: async (signal) => {
      const infos = await options.fetchModels(signal);
      if (!Array.isArray(infos)) throw new TypeError('fetchModels must resolve to an array of models');
      return buildView(
        infos.map((info) => mergeModel(info.id, info, index, families)),
        'live',
        index,
      );
    },
    ttlMs,
    now,
    retryAfterFailureMs: positiveOption('retryAfterFailureMs', options.retryAfterFailureMs, Math.min(ttlMs, MAX_FAILURE_BACKOFF_MS)),
    loadTimeoutMs: positiveOption('fetchTimeoutMs', options.fetchTimeoutMs, DEFAULT_FETCH_TIMEOUT_MS),
    refreshInBackground: options.refreshInBackground ?? false,
    onError: options.onRefreshError,
    onLoad: (view) => options.onRefresh?.(view.models),
  });

  const learner = new ContextLimitLearner();
  const published = (model: CatalogModel): number | undefined => plannedContextLength(model.contextLengthSources.api, model.contextLengthSources.docs);
  /** The entry with its learned context limit, where Together's answers moved it. */
  const withLearned = (model: CatalogModel): CatalogModel => {
    if (!learner.has(model.id)) return model;
    const learned = learner.effective(model.id, published(model));
    return { ...model, contextLength: learned, contextLengthSources: { ...model.contextLengthSources, learned } };
  };
  const withLearnedAll = (models: readonly CatalogModel[]): CatalogModel[] => models.map(withLearned);
  const withLearnedResolution = (resolution: Resolution): Resolution =>
    resolution.ok && learner.has(resolution.model.id) ? { ...resolution, model: withLearned(resolution.model) } : resolution;

  const currentView = (): CatalogView => live.peek() ?? snapshotView;
  /** Successful resolutions per list, by id (`+id` when a successor was allowed). */
  const resolvedIn = new WeakMap<CatalogView, Map<string, Resolution>>();
  const view = async (signal?: AbortSignal): Promise<CatalogView> => (await live.get(signal)) ?? snapshotView;

  /** An entry for route and family questions: the current one, else the snapshot's (e.g. before any load). */
  const entryFor = (id: string): CatalogModel | undefined => currentView().byId.get(id) ?? snapshotView.byId.get(id);

  const familyOf = (id: string): string | undefined => families[id] ?? entryFor(id)?.family;

  const routeOverride = (id: string): readonly string[] | undefined => {
    const direct = routes[id];
    if (direct !== undefined) return direct;
    const family = familyOf(id);
    if (family === undefined) return undefined;
    return routes[family] ?? routes[groupOf(family)];
  };

  const defaultFallbackRoute = (id: string): string[] => {
    const model = entryFor(id);
    return model === undefined ? [] : defaultRoute(model, currentView().models, context);
  };

  return {
    async list(signal) {
      return withLearnedAll((await view(signal)).models);
    },
    async resolve(id, resolveOptions = {}) {
      const allowSuccessor = resolveOptions.allowSuccessor === true;
      const inHand = live.current();
      const current = inHand ?? (await view(resolveOptions.signal));
      // Every request resolves its model: a success is kept per list (a new list starts a new cache).
      let known = resolvedIn.get(current);
      const key = allowSuccessor ? `+${id}` : id;
      const cached = known?.get(key);
      if (cached !== undefined) return withLearnedResolution(cached);
      const resolution = resolveInView(id, current, { ...context, allowSuccessor });
      if (resolution.ok && typeof id === 'string') {
        if (known === undefined) resolvedIn.set(current, (known = new Map()));
        if (known.size < MAX_CACHED_RESOLUTIONS) known.set(key, resolution);
      }
      return withLearnedResolution(resolution);
    },
    async migrate(id, migrateOptions) {
      return withLearnedResolution(resolveInView(id, await view(migrateOptions.signal), { ...context, allowSuccessor: migrateOptions.allowSuccessor }));
    },
    get: (id) => {
      const model = currentView().byId.get(id);
      return model === undefined ? undefined : withLearned(model);
    },
    familyOf,
    fallbackRoute: (id) => {
      const override = routeOverride(id);
      return override !== undefined ? override.filter((candidate) => candidate !== id) : defaultFallbackRoute(id);
    },
    defaultFallbackRoute,
    largerContextModels(id, neededTokens) {
      const model = entryFor(id);
      if (model === undefined) return [];
      const models = currentView().models;
      return contextFallbacks(withLearned(model), models.some((m) => learner.has(m.id)) ? withLearnedAll(models) : models, neededTokens, context, routeOverride(id));
    },
    learnContextLimit(model, observation) {
      const entry = entryFor(model);
      const learned = learner.learn(model, observation, entry === undefined ? undefined : published(entry));
      if (learned.changed) options.onContextLimitLearned?.(learned, observation);
      return learned;
    },
    learnedContextLimits: () => learner.snapshot(),
    async refresh(signal) {
      await live.refresh(signal);
    },
    status() {
      const state = live.status();
      const current = currentView();
      return {
        source: current.source,
        models: current.models.length,
        loadedAt: state.loadedAt,
        lastError: state.lastError,
        loading: state.loading,
        snapshotAsOf: index.snapshot.as_of,
      };
    },
    close: () => live.close(),
  };
}
