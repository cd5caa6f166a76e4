// Resolution of a model id against a catalog view: exact match or a reasoned refusal with suggestions.
// Pure: the catalog supplies the view (live list merged with the snapshot, or the snapshot alone).
import { defaultRoute, isFreeVariant, isUsable, type RouteContext } from './families.js';
import type { CatalogModel, SnapshotIndex } from './model.js';
import { suggest } from './suggest.js';

export type ResolutionFailure = 'unknown' | 'deprecated' | 'not_serverless' | 'tier_gated';

export interface ResolvedModel {
  ok: true;
  /** The id that was asked for. */
  id: string;
  model: CatalogModel;
  /** The list the id was checked against. */
  listSource: 'live' | 'snapshot';
  /** Set when a deprecated id was migrated to its successor (only when allowed). */
  migratedFrom?: string;
}

export interface UnresolvedModel {
  ok: false;
  id: string;
  reason: ResolutionFailure;
  /** Closest usable ids, best first (never applied silently). */
  suggestions: string[];
  /** The successor Together's deprecation history implies, where there is one. */
  successor?: string;
  /** What is wrong, in one or two sentences naming the ids. */
  message: string;
  /** The concrete next step. */
  fix: string;
  listSource: 'live' | 'snapshot';
}

export type Resolution = ResolvedModel | UnresolvedModel;

/** What resolution looks at: the current list and the snapshot's deprecation and gating data. */
export interface CatalogView {
  /** Current models, usable ones first (the order suggestions break ties with). */
  models: readonly CatalogModel[];
  byId: ReadonlyMap<string, CatalogModel>;
  source: 'live' | 'snapshot';
  index: SnapshotIndex;
}

export interface ResolveOptions extends RouteContext {
  /** Migrate a deprecated id to its successor instead of refusing it. */
  allowSuccessor?: boolean | undefined;
}

const MAX_SUCCESSOR_HOPS = 5;

/**
 * Longest model id looked up at all: far above any real id (the catalog's longest is 49 characters). A longer one is
 * refused before any lookup or "did you mean" work, and never echoed.
 */
export const MAX_MODEL_ID_LENGTH = 256;
/** How much of a client's id a message quotes. */
const QUOTED_ID_CHARS = 100;

/** An id as messages quote it: whole when short, else its start and its length (ids come from clients). */
export function quoteModelId(id: string): string {
  return id.length <= QUOTED_ID_CHARS ? `"${id}"` : `"${id.slice(0, QUOTED_ID_CHARS)}…" (${id.length} characters)`;
}

function tooLongResult(id: string, view: CatalogView): UnresolvedModel {
  return {
    ok: false,
    id: id.slice(0, QUOTED_ID_CHARS),
    reason: 'unknown',
    suggestions: [],
    message: `The model id is ${id.length} characters long; Together model ids are at most ${MAX_MODEL_ID_LENGTH} characters, so it was not looked up.`,
    fix: 'Send a model id exactly as `tether models` lists it.',
    listSource: view.source,
  };
}

function quoteList(ids: readonly string[]): string {
  return ids.map((id) => `"${id}"`).join(', ');
}

function listNote(view: CatalogView): string {
  return view.source === 'snapshot' ? ` (checked against the bundled catalog snapshot of ${view.index.snapshot.as_of}, not the live list)` : '';
}

/** Close ids for an unknown one: current ids, and deprecated ids mapped to their successors. */
function suggestionsFor(id: string, view: CatalogView, context: RouteContext): string[] {
  const usable = view.models.filter((m) => isUsable(m, context)).map((m) => m.id);
  const others = view.models.filter((m) => !isUsable(m, context)).map((m) => m.id);
  const deprecated = [...view.index.deprecated.keys()];
  const ranked = suggest(id, [...usable, ...others, ...deprecated], 6);
  const out: string[] = [];
  for (const candidate of ranked) {
    const successor = view.byId.has(candidate) ? candidate : view.index.deprecated.get(candidate)?.successor;
    if (successor && view.byId.has(successor) && !out.includes(successor) && successor !== id) out.push(successor);
  }
  return out.slice(0, 3);
}

/** Usable stand-ins for a model that exists but cannot be called: its successor, then its family route. */
function alternativesFor(model: CatalogModel, view: CatalogView, context: RouteContext): string[] {
  const out: string[] = [];
  const successor = model.deprecated?.successor;
  if (successor && view.byId.has(successor)) out.push(successor);
  for (const id of defaultRoute(model, view.models, context)) if (!out.includes(id)) out.push(id);
  if (out.length === 0) {
    for (const id of suggestionsFor(model.id, view, context)) if (id !== model.id && !out.includes(id)) out.push(id);
  }
  return out.slice(0, 3);
}

function unknownResult(id: string, view: CatalogView, context: RouteContext): UnresolvedModel {
  const suggestions = suggestionsFor(id, view, context);
  const [best, ...rest] = suggestions;
  const hint =
    best === undefined
      ? ' No id in the list is close to it.'
      : ` Did you mean "${best}"?${rest.length > 0 ? ` Other close ids: ${quoteList(rest)}.` : ''}`;
  return {
    ok: false,
    id,
    reason: 'unknown',
    suggestions,
    message: `Model ${quoteModelId(id)} is not in Together's model list${listNote(view)}.${hint}`,
    fix:
      best === undefined
        ? 'Run `tether models` to see the available ids, and use one exactly as listed.'
        : `Use the exact id "${best}" (ids are case-sensitive and must match exactly).`,
    listSource: view.source,
  };
}

function deprecatedResult(id: string, view: CatalogView, context: RouteContext): UnresolvedModel {
  const entry = view.index.deprecated.get(id);
  const successor = entry?.successor ?? undefined;
  const usableSuccessor = successor !== undefined && view.byId.has(successor) ? successor : undefined;
  const suggestions = usableSuccessor !== undefined ? [usableSuccessor] : suggestionsFor(id, view, context);
  const since = entry ? ` on ${entry.deprecated_on}` : '';
  const dedicated = entry?.dedicated_available ? ' It can still run on a dedicated endpoint.' : '';
  return {
    ok: false,
    id,
    reason: 'deprecated',
    suggestions,
    ...(successor !== undefined ? { successor } : {}),
    message:
      successor !== undefined
        ? `Model "${id}" was deprecated${since}; its successor is "${successor}".${dedicated}`
        : `Model "${id}" was deprecated${since} and has no named successor.${dedicated}`,
    fix:
      successor !== undefined
        ? `Use "${successor}", or allow migration to the successor (allowSuccessor: true, or --allow-successor).`
        : 'Choose another model: run `tether models` to see the available ids.',
    listSource: view.source,
  };
}

/**
 * Resolve `id` against `view`. An exact id that is usable resolves; anything else is refused with a reason,
 * suggestions and a fix. A deprecated id resolves to its successor only when `allowSuccessor` is set.
 */
export function resolveInView(id: string, view: CatalogView, options: ResolveOptions = {}, hops = 0): Resolution {
  if (id.length > MAX_MODEL_ID_LENGTH) return tooLongResult(id, view);
  const model = view.byId.get(id);
  // A deprecated id the live list still shows (kept for dedicated endpoints) but the snapshot has no model entry
  // for: a serverless call fails, so it is treated as deprecated unless the caller declared a dedicated endpoint.
  const listedButRetired = model !== undefined && model.deprecated !== undefined && model.serverless === undefined && !(options.dedicated?.has(id) ?? false);
  if (model !== undefined && !listedButRetired) {
    if (model.serverless === false && !(options.dedicated?.has(id) ?? false)) {
      const suggestions = alternativesFor(model, view, options);
      const successor = model.deprecated?.successor ?? undefined;
      return {
        ok: false,
        id,
        reason: 'not_serverless',
        suggestions,
        ...(successor !== undefined ? { successor } : {}),
        message: `Model "${id}" is not available serverless: it runs only on a dedicated endpoint, so a serverless call fails with "model_not_available".`,
        fix:
          suggestions[0] !== undefined
            ? `Use a serverless model such as "${suggestions[0]}", or start a dedicated endpoint for "${id}" and declare it in the catalog's \`dedicated\` option.`
            : `Start a dedicated endpoint for "${id}" and declare it in the catalog's \`dedicated\` option.`,
        listSource: view.source,
      };
    }
    if (model.minTier !== undefined && options.accountTier !== undefined && options.accountTier < model.minTier) {
      const suggestions = alternativesFor(model, view, options).filter((s) => !isFreeVariant(s) || isFreeVariant(id));
      return {
        ok: false,
        id,
        reason: 'tier_gated',
        suggestions,
        message: `Model "${id}" needs build tier ${model.minTier} or above; this account is tier ${options.accountTier}.`,
        fix:
          (suggestions[0] !== undefined ? `Use "${suggestions[0]}", or r` : 'R') +
          'aise the account to the required build tier (lifetime spend); a tier change can take up to 15 minutes to apply.',
        listSource: view.source,
      };
    }
    return { ok: true, id, model, listSource: view.source };
  }

  if (view.index.deprecated.has(id)) {
    const refused = deprecatedResult(id, view, options);
    if (options.allowSuccessor && refused.successor !== undefined && hops < MAX_SUCCESSOR_HOPS) {
      const next = resolveInView(refused.successor, view, options, hops + 1);
      if (next.ok) return { ...next, id, migratedFrom: id };
      return { ...refused, message: `${refused.message} The successor cannot be used either: ${next.message}` };
    }
    return refused;
  }
  return unknownResult(id, view, options);
}
