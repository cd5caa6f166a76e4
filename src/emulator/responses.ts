// Response bodies and SSE chunks shaped exactly as Together sends them (together-api-facts.md §2.1, §5): pure
// functions from generated text and usage to JSON.
import type { GeneratedText } from './generate.js';
import { pieceTokenId } from './generate.js';

export interface UsageBody {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
}

export function usageBody(promptTokens: number, choices: readonly GeneratedText[]): UsageBody {
  const completion = choices.reduce((sum, c) => sum + c.completionTokens, 0);
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion, cached_tokens: 0 };
}

interface Envelope {
  id: string;
  created: number;
  model: string;
}

export function chatResponse(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody): Record<string, unknown> {
  return {
    id: env.id,
    object: 'chat.completion',
    created: env.created,
    model: env.model,
    prompt: [],
    choices: choices.map((c, index) => ({
      index,
      finish_reason: c.finishReason,
      logprobs: null,
      seed: c.seed,
      message: { role: 'assistant', content: c.text, tool_calls: [] },
    })),
    usage,
  };
}

/** One chunk per piece; the last chunk of the last choice carries finish_reason, seed and usage together. */
function streamSteps(choices: readonly GeneratedText[]): { index: number; piece: string; last: boolean; final: boolean; choice: GeneratedText }[] {
  const steps: { index: number; piece: string; last: boolean; final: boolean; choice: GeneratedText }[] = [];
  choices.forEach((choice, index) => {
    const pieces = choice.pieces.length ? choice.pieces : [''];
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      steps.push({ index, piece, last, final: last && index === choices.length - 1, choice });
    });
  });
  return steps;
}

export function chatChunks(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody): Record<string, unknown>[] {
  return streamSteps(choices).map((step) => ({
    id: env.id,
    object: 'chat.completion.chunk',
    created: env.created,
    model: env.model,
    choices: [
      {
        index: step.index,
        text: step.piece,
        logprobs: null,
        finish_reason: step.last ? step.choice.finishReason : null,
        seed: step.last ? step.choice.seed : null,
        delta: { token_id: pieceTokenId(step.piece), role: 'assistant', content: step.piece },
      },
    ],
    usage: step.final ? usage : null,
  }));
}

export function completionResponse(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody): Record<string, unknown> {
  return {
    id: env.id,
    object: 'text.completion',
    created: env.created,
    model: env.model,
    prompt: [],
    // No `logprobs` key: CompletionChoicesData types it as an object, not nullable.
    choices: choices.map((c, index) => ({ index, text: c.text, finish_reason: c.finishReason, seed: c.seed })),
    usage,
  };
}

/** CompletionChunk: `token`, `choices`, `usage` and `finish_reason` on every chunk (OpenAPI requires them). */
export function completionChunks(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody): Record<string, unknown>[] {
  return streamSteps(choices).map((step) => {
    const finishReason = step.last ? step.choice.finishReason : null;
    const tokenId = pieceTokenId(step.piece);
    return {
      id: env.id,
      object: 'completion.chunk',
      created: env.created,
      model: env.model,
      token: { id: tokenId, text: step.piece, logprob: 0, special: false },
      choices: [
        {
          index: step.index,
          text: step.piece,
          logprobs: null,
          finish_reason: finishReason,
          seed: step.last ? step.choice.seed : null,
          delta: { token_id: tokenId, role: 'assistant', content: step.piece },
        },
      ],
      ...(step.last ? { seed: step.choice.seed } : {}),
      finish_reason: finishReason,
      usage: step.final ? usage : null,
    };
  });
}

export function embeddingResponse(model: string, vectors: readonly number[][], promptTokens: number): Record<string, unknown> {
  return {
    object: 'list',
    model,
    data: vectors.map((embedding, index) => ({ object: 'embedding', embedding, index })),
    usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens },
  };
}
