// Which models a request may be answered by, in order: the resolved model, then its fallbacks (per-request
// `fallbacks`, else the catalog's route: an override from `routes`, or the family's default route cut to
// `maxFallbacks`). Also the larger-context candidates for onContextOverflow: 'fallback'.
import type { Catalog } from '../catalog/index.js';

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** The fallback models after `primary` (never including it), without duplicates. */
export function fallbacksFor(catalog: Catalog, primary: string, override: readonly string[] | undefined, maxFallbacks: number): string[] {
  let route: readonly string[];
  if (override !== undefined) route = override;
  else {
    const configured = catalog.fallbackRoute(primary);
    // A route from the `routes` option is used whole; the derived default is cut, since it can list a whole family.
    route = sameList(configured, catalog.defaultFallbackRoute(primary)) ? configured.slice(0, maxFallbacks) : configured;
  }
  const out: string[] = [];
  for (const id of route) if (id !== primary && !out.includes(id)) out.push(id);
  return out;
}
