// Loading tokenizers before they are needed, the one way it is done: loading one is up to a second or more of
// synchronous work, so the first request that needs an exact count would stall on it (and every request in flight
// with it). Two entry points share the family resolution here: a warmer (what a pipeline uses) loads a model's
// family on the next turn of the event loop after it is first seen, once per family; `preloadFamilies` loads the
// families of a list of models now and resolves when they are loaded (what the gateway awaits before it listens).
import { resolveFamily } from './families.js';
import type { TokenizerFamily, TokenizerStatus } from './index.js';

/** A model as a catalog names it: its id, and its tokenizer hint (null: the model has no tokenizer). */
export interface TokenizerModelRef {
  id: string;
  tokenizer?: string | null | undefined;
}

/** `load`: how a family is loaded (tokens/index.ts passes its loadTokenizer, on or off thread). */
export type TokenizerLoader = (family: TokenizerFamily) => Promise<TokenizerStatus>;

export interface TokenizerWarmer {
  /** Warms the family of `model` (by its tokenizer hint, else its id); null: the model has no tokenizer. */
  warm(model: TokenizerModelRef): void;
  /** Cancels warm-ups not started yet; later warm() calls do nothing. */
  close(): void;
}

/** The family of a model (by its tokenizer hint, else its id), of a bare model id, or of a family name. */
export function familyOfModel(model: string | TokenizerModelRef): TokenizerFamily | undefined {
  if (typeof model === 'string') return resolveFamily(model);
  return model.tokenizer === null ? undefined : resolveFamily(model.tokenizer ?? model.id);
}

/** The families of `models`, each once, in the order first named; models without a tokenizer add none. */
export function tokenizerFamilies(models: Iterable<string | TokenizerModelRef>): TokenizerFamily[] {
  const families = new Set<TokenizerFamily>();
  for (const model of models) {
    const family = familyOfModel(model);
    if (family !== undefined) families.add(family);
  }
  return [...families];
}

/**
 * Loads the families of `models` now, one after the other (each load is CPU-bound: running them together would
 * not be faster), and gives each family's status in that order. Never rejects (a load reports `available: false`).
 */
export async function preloadFamilies(load: TokenizerLoader, models: Iterable<string | TokenizerModelRef>): Promise<TokenizerStatus[]> {
  const loaded: TokenizerStatus[] = [];
  for (const family of tokenizerFamilies(models)) loaded.push(await load(family));
  return loaded;
}

/** Model ids remembered as checked: resolving a family (pattern matches) is not per-request work. */
const MAX_CHECKED = 4096;

export function createTokenizerWarmer(load: TokenizerLoader, options: { enabled?: boolean } = {}): TokenizerWarmer {
  const enabled = options.enabled !== false;
  const warmed = new Set<string>();
  const checked = new Set<string>();
  const pending = new Set<NodeJS.Immediate>();
  let closed = false;
  return {
    warm(model) {
      if (model.tokenizer === null || checked.has(model.id)) return;
      if (checked.size < MAX_CHECKED) checked.add(model.id);
      const family = familyOfModel(model);
      if (!enabled || family === undefined || warmed.has(family) || closed) return;
      warmed.add(family);
      const immediate = setImmediate(() => {
        pending.delete(immediate);
        void load(family);
      });
      pending.add(immediate);
    },
    close() {
      closed = true;
      for (const immediate of pending) clearImmediate(immediate);
      pending.clear();
    },
  };
}
