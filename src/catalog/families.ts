// Model families and fallback routes. A model's family comes from the snapshot (`llama-3.1`, `qwen-3`, …).
// Routes use a slightly broader GROUP: the Llama 3 generation (3, 3.1, 3.2, 3.3) is one lineage Together
// serves side by side with the same chat format and tokenizer family, so an overloaded Llama 3.3 70B can
// fall back to Llama 3.1 70B. Every other family is its own group: the snapshot notes keep Qwen3 vs
// Qwen3-Next, Llama 3 vs 4, coder/vision/distill variants apart on purpose, and so do we.
import type { CatalogModel } from './model.js';
import { loadSnapshot, type CatalogSnapshot } from './snapshot.js';

export const FAMILY_GROUPS: Readonly<Record<string, string>> = {
  'llama-3': 'llama-3.x',
  'llama-3.1': 'llama-3.x',
  'llama-3.2': 'llama-3.x',
  'llama-3.3': 'llama-3.x',
};

/** The snapshot's family key for an exact model id (`meta-llama/Llama-3.3-70B-Instruct-Turbo` → `llama-3.3`). */
export function familyOf(id: string, snapshot: CatalogSnapshot = loadSnapshot()): string | undefined {
  return snapshot.models.find((m) => m.id === id)?.family;
}

/** The route group of a family (the family itself unless FAMILY_GROUPS widens it). */
export function groupOf(family: string): string {
  return FAMILY_GROUPS[family] ?? family;
}

/**
 * Together's `-Free` endpoints have tiny rate limits and an 8K context, so they are never a default fallback
 * for a paid model; and a free model never falls back to a paid one by default (that would start billing).
 */
export function isFreeVariant(id: string): boolean {
  return /-free$/i.test(id);
}

export interface RouteContext {
  /** The account's build tier, when known: ids gated above it are left out. */
  accountTier?: number | undefined;
  /** Ids with a dedicated endpoint of the caller's, usable although not serverless. */
  dedicated?: ReadonlySet<string> | undefined;
}

/** Whether a model can take a request in place of another right now (serverless or dedicated, not gated). */
export function isUsable(model: CatalogModel, context: RouteContext = {}): boolean {
  if (model.serverless !== true && !(context.dedicated?.has(model.id) ?? false)) return false;
  if (model.minTier !== undefined && context.accountTier !== undefined && context.accountTier < model.minTier) return false;
  return true;
}

/** Same type, same group, usable, not the primary, and free only for free (see isFreeVariant). Same family first. */
function sameGroupCandidates(primary: CatalogModel, models: readonly CatalogModel[], context: RouteContext): {
  family: CatalogModel[];
  group: CatalogModel[];
} {
  const family: CatalogModel[] = [];
  const group: CatalogModel[] = [];
  if (primary.family === undefined) return { family, group };
  const primaryGroup = groupOf(primary.family);
  const primaryIsFree = isFreeVariant(primary.id);
  for (const model of models) {
    if (model.id === primary.id || model.family === undefined || model.type !== primary.type) continue;
    if (groupOf(model.family) !== primaryGroup || !isUsable(model, context)) continue;
    if (isFreeVariant(model.id) !== primaryIsFree) continue;
    (model.family === primary.family ? family : group).push(model);
  }
  return { family, group };
}

const totalPrice = (model: CatalogModel): number => (model.pricing ? model.pricing.input + model.pricing.output : 0);


/**
 * How far a candidate's price sits from the primary's, as a sort key: candidates at least as expensive
 * (price as the proxy for size/capability) come before cheaper ones, each closest first on a log scale
 * (a 70B → 405B step is as far as 8B → 70B). A fallback should not silently lower quality; when it must,
 * the nearest step down comes first. Unknown prices sort last.
 */
function priceKey(primary: CatalogModel, candidate: CatalogModel): number {
  const p = totalPrice(primary);
  const c = totalPrice(candidate);
  if (p <= 0 || c <= 0) return Infinity;
  const distance = Math.abs(Math.log(c / p));
  return c >= p ? distance : 1_000 + distance;
}

/** Context length rounded to its power of two (130,815 and 131,072 are both "128K"). */
function contextClass(model: CatalogModel): number {
  return model.contextLength === undefined ? 0 : Math.round(Math.log2(model.contextLength));
}

/**
 * The default fallback route of `primary`: other usable models of the same type in its family, then in its
 * group. Within each: larger context class first (what fit the primary still fits), then by price (see
 * priceKey: same or next size up first, then the nearest step down), then exact context length, then id.
 */
export function defaultRoute(primary: CatalogModel, models: readonly CatalogModel[], context: RouteContext = {}): string[] {
  const { family, group } = sameGroupCandidates(primary, models, context);
  const order = (a: CatalogModel, b: CatalogModel): number =>
    contextClass(b) - contextClass(a) ||
    priceKey(primary, a) - priceKey(primary, b) ||
    (b.contextLength ?? 0) - (a.contextLength ?? 0) ||
    a.id.localeCompare(b.id);
  return [...family.sort(order), ...group.sort(order)].map((m) => m.id);
}

/**
 * Models whose context holds `neededTokens` (prompt + max_tokens), for `onContextOverflow: 'fallback'`.
 * Default candidates are those of the default route (same type, family then group), ordered larger context
 * class first, then same family first, then by price (see priceKey), then exact context. `route` (an override)
 * replaces the default candidates and keeps its own order.
 */
export function contextFallbacks(
  primary: CatalogModel,
  models: readonly CatalogModel[],
  neededTokens: number,
  context: RouteContext = {},
  route?: readonly string[],
): string[] {
  const fits = (model: CatalogModel): boolean => model.contextLength !== undefined && model.contextLength >= neededTokens;
  if (route !== undefined) {
    const byId = new Map(models.map((m) => [m.id, m]));
    return route.filter((id) => {
      const model = byId.get(id);
      return id !== primary.id && model !== undefined && isUsable(model, context) && fits(model);
    });
  }
  const { family, group } = sameGroupCandidates(primary, models, context);
  const sameFamily = new Set(family);
  return [...family, ...group]
    .filter(fits)
    .sort(
      (a, b) =>
        contextClass(b) - contextClass(a) ||
        Number(sameFamily.has(b)) - Number(sameFamily.has(a)) ||
        priceKey(primary, a) - priceKey(primary, b) ||
        (b.contextLength ?? 0) - (a.contextLength ?? 0) ||
        a.id.localeCompare(b.id),
    )
    .map((m) => m.id);
}
