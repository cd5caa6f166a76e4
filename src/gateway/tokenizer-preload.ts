// Loading a tokenizer is ~0.1–1.6 s of synchronous CPU (the native engine parses the whole vocabulary): on the
// first request that needs it, every request in flight would stall that long. So before it listens, the gateway
// loads the families of the models its config names (aliases and routes: the models it is set up to serve).
// Other families still load in the background on first use; all eight are not loaded by default (seconds of
// startup and memory for families nobody may ask for).
import { loadTokenizer, resolveFamily } from '../tokens/index.js';
import type { TokenizerFamily, TokenizerStatus } from '../tokens/index.js';
import type { GatewayConfig } from './config.js';

/** The tokenizer families of every model the config names, each once, in the order first named. */
export function configuredFamilies(config: Pick<GatewayConfig, 'aliases' | 'routes'>): TokenizerFamily[] {
  const families = new Set<TokenizerFamily>();
  const add = (model: string): void => {
    const family = resolveFamily(model);
    if (family !== undefined) families.add(family);
  };
  for (const model of config.aliases.values()) add(model);
  for (const [model, fallbacks] of config.routes) {
    add(model);
    for (const fallback of fallbacks) add(fallback);
  }
  return [...families];
}

/** Loads them one after the other (each load is CPU-bound: running them together would not be faster). */
export async function preloadTokenizers(families: readonly TokenizerFamily[]): Promise<TokenizerStatus[]> {
  const loaded: TokenizerStatus[] = [];
  for (const family of families) loaded.push(await loadTokenizer(family));
  return loaded;
}
