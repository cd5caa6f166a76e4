// One chunk's full check (rules, then token lengths with --model): what a worker or the main thread runs.
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
}

export async function runChunk(bytes: Uint8Array, final: boolean, job: ChunkJob): Promise<ChunkResult> {
  const { result, pending } = checkChunk(bytes, { options: job.options, cap: job.cap, final, collect: job.model !== undefined });
  if (job.model !== undefined) {
    // Loaded only with --model: the tokenizers are heavy, and most runs (and every worker) never need them.
    const { countChunkTokens } = await import('./example-tokens.js');
    await countChunkTokens(result, pending, job.model, job.cap);
  }
  return result;
}
