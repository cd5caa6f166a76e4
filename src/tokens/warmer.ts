// Warming tokenizers in the background: loading one is up to a second or more of synchronous work, so the first
// request that needs an exact count would stall on it (and every request in flight with it). A warmer loads a
// model's family on the next turn of the event loop after it is first seen, once per family; the gateway also
// preloads the families its config names before it listens (gateway/tokenizer-preload.ts calls loadTokenizer).
import { resolveFamily } from './families.js';
import type { TokenizerFamily, TokenizerStatus } from './index.js';

export interface TokenizerWarmer {
  /** Warms the family of `model` (by its tokenizer hint, else its id); null: the model has no tokenizer. */
  warm(model: { id: string; tokenizer?: string | null | undefined }): void;
  /** Cancels warm-ups not started yet; later warm() calls do nothing. */
  close(): void;
}

/** Model ids remembered as checked: resolving a family (pattern matches) is not per-request work. */
const MAX_CHECKED = 4096;

/** `load`: how a family is loaded (tokens/index.ts passes its loadTokenizer, on or off thread). */
export function createTokenizerWarmer(load: (family: TokenizerFamily) => Promise<TokenizerStatus>, options: { enabled?: boolean } = {}): TokenizerWarmer {
  const enabled = options.enabled !== false;
  const warmed = new Set<string>();
  const checked = new Set<string>();
  const pending = new Set<NodeJS.Immediate>();
  let closed = false;
  return {
    warm(model) {
      if (model.tokenizer === null || checked.has(model.id)) return;
      if (checked.size < MAX_CHECKED) checked.add(model.id);
      const family = resolveFamily(model.tokenizer ?? model.id);
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
