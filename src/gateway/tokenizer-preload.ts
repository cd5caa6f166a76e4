// Loading a tokenizer is ~0.1–1.6 s of synchronous CPU (the native engine parses the whole vocabulary): on the
// first request that needs it, every request in flight would stall that long. So before it listens, the gateway
// preloads (tokens' preloadTokenizers) the families of the models its config names (aliases and routes: the models
// it is set up to serve). Other families still load in the background on first use (the pipeline's warmer); all
// eight are not loaded by default (seconds of startup and memory for families nobody may ask for).
import { tokenizerFamilies } from '../tokens/index.js';
import type { TokenizerFamily } from '../tokens/index.js';
import type { GatewayConfig } from './config.js';

/** Every model the config names (alias targets, routed models and their fallbacks), in the order named. */
export function configuredModels(config: Pick<GatewayConfig, 'aliases' | 'routes'>): string[] {
  const models = [...config.aliases.values()];
  for (const [model, fallbacks] of config.routes) models.push(model, ...fallbacks);
  return models;
}

/** The tokenizer families of every model the config names, each once, in the order first named. */
export function configuredFamilies(config: Pick<GatewayConfig, 'aliases' | 'routes'>): TokenizerFamily[] {
  return tokenizerFamilies(configuredModels(config));
}
