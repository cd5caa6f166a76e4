// Narrowing a model list for display: by type, and by a search text over id, name, organisation and family.
import type { CatalogModel } from './model.js';

export interface ModelFilter {
  /** Exact type (`chat`, `embedding`, …), case-insensitive. */
  type?: string | undefined;
  /** Case-insensitive substring of the id, display name, organisation or family. */
  search?: string | undefined;
}

/** The models matching `filter`, sorted by type then id. */
export function filterModels(models: readonly CatalogModel[], filter: ModelFilter = {}): CatalogModel[] {
  const type = filter.type?.trim().toLowerCase();
  const text = filter.search?.trim().toLowerCase();
  return models
    .filter((m) => type === undefined || type === '' || m.type.toLowerCase() === type)
    .filter(
      (m) =>
        text === undefined ||
        text === '' ||
        [m.id, m.displayName, m.organization, m.family].some((field) => field !== undefined && field.toLowerCase().includes(text)),
    )
    .sort((a, b) => a.type.localeCompare(b.type) || a.id.localeCompare(b.id));
}
