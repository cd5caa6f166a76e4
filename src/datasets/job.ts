// One chunk's check (rules, then with --model the byte bound of each valid example): what a worker or the main
// thread runs. Examples the bound cannot clear are returned for exact counting on the main thread, which holds
// the one tokenizer (a family's tokenizer is 90-350 MB; one per worker would not fit the memory budget).
import { checkChunk } from './chunk.js';
import type { ChunkResult } from './chunk.js';
import type { FineTuneModel } from './model.js';
import type { RuleOptions } from './types.js';

/** Everything a chunk's check needs besides its bytes; plain data, so it can be sent to a worker. */
export interface ChunkJob {
  options: RuleOptions;
  /** Issues kept per rule. */
  cap: number;
  model?: FineTuneModel;
  /** Count every example exactly, even those the byte bound proves fit (for exact totals). */
  exactTokens?: boolean;
}

/**
 * The longest line the fast path may accept without parsing when checking against `model` (SFT formats: the fast
 * path takes no preference data). A clean line's JSON is at least as long as the chat a template estimate renders
 * from it (`{"role":"user","content":"…"}` has as many bytes around the text as `<|im_start|>user\n…<|im_end|>\n`,
 * and escapes only lengthen text), a token is at least one byte of NFC-normalized text, and NFC at most triples
 * the bytes; plus the template's largest preamble and the bound's +1 per text (tokens/bound.ts).
 */
export function fitBytesOf(model: FineTuneModel): number {
  return Math.max(0, Math.floor((model.maxSeqLength - FIT_SLACK_TOKENS) / 3));
}

/** CHAT_ESTIMATE_PREAMBLE_TOKENS (96) and upperBoundTokens' +1 per text, rounded up. */
const FIT_SLACK_TOKENS = 100;

export async function runChunk(bytes: Uint8Array, final: boolean, job: ChunkJob): Promise<ChunkResult> {
  const model = job.model;
  const fitBytes = model !== undefined && !job.exactTokens ? fitBytesOf(model) : undefined;
  const { result, pending, bounded } = checkChunk(bytes, {
    options: job.options,
    cap: job.cap,
    final,
    collect: model !== undefined,
    ...(model ? { model } : {}),
    ...(fitBytes !== undefined ? { fitBytes } : {}),
  });
  if (model !== undefined) {
    // Loaded only with --model: most runs (and most workers) never need the tokens module.
    const { boundExamples } = await import('./example-tokens.js');
    const left = boundExamples(result, pending, model, job.exactTokens ?? false);
    result.tokens!.bounded += bounded;
    if (left.length > 0) result.toCount = left;
  }
  return result;
}
