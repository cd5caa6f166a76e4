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

export async function runChunk(bytes: Uint8Array, final: boolean, job: ChunkJob): Promise<ChunkResult> {
  const { result, pending } = checkChunk(bytes, { options: job.options, cap: job.cap, final, collect: job.model !== undefined, ...(job.model ? { model: job.model } : {}) });
  if (job.model !== undefined) {
    // Loaded only with --model: most runs (and most workers) never need the tokens module.
    const { boundExamples } = await import('./example-tokens.js');
    const left = boundExamples(result, pending, job.model, job.exactTokens ?? false);
    if (left.length > 0) result.toCount = left;
  }
  return result;
}
