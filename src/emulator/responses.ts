// Response bodies and SSE chunks shaped exactly as Together sends them (together-api-facts.md §2.1, §5): pure
// functions from generated text and usage to JSON. Log probabilities are derived from each piece and its place,
// so they are the same for the same answer.
import type { GeneratedText } from './generate.js';
import { pieceTokenId } from './generate.js';
import { hashSeed } from './prng.js';

export interface UsageBody {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  /** Reasoning models: how many of the completion tokens were thinking. */
  completion_tokens_details?: { reasoning_tokens: number };
}

export function usageBody(promptTokens: number, choices: readonly GeneratedText[]): UsageBody {
  const completion = choices.reduce((sum, c) => sum + c.completionTokens, 0);
  const reasoning = choices.some((c) => c.reasoning !== undefined) ? choices.reduce((sum, c) => sum + (c.reasoningTokens ?? 0), 0) : undefined;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
    cached_tokens: 0,
    ...(reasoning === undefined ? {} : { completion_tokens_details: { reasoning_tokens: reasoning } }),
  };
}

interface Envelope {
  id: string;
  created: number;
  model: string;
}

/** What the request asked to see besides the answer. */
export interface ResponseOptions {
  /** `logprobs`: 0 (or absent) for none; k ≥ 1 for each token's log probability and, on stream chunks, its top k. */
  logprobs?: number;
  /** `echo`: the prompt, returned in `prompt[]`. */
  echo?: string | undefined;
}

const ALTERNATIVES = [' the', ' a', ' and', ' of', ' to', ' in', ' is', ' it', ' that', ' for', ' on', ' with', ' as', ' at', ' by', ' this', ' from', ' or', ' be', ' an'];

/** A log probability in (-2, 0] for a piece at a position. */
function pieceLogprob(piece: string, position: number): number {
  return -Math.round((hashSeed('logprob', piece, position) % 2000) / 1000 * 10_000) / 10_000;
}

/** The piece and k-1 likelier-sounding alternatives, each less probable than the one chosen. */
function topLogprobs(piece: string, position: number, k: number): Record<string, number> {
  const own = pieceLogprob(piece, position);
  const top: Record<string, number> = { [piece]: own };
  for (let i = 0; Object.keys(top).length < k && i < ALTERNATIVES.length; i++) {
    const alt = ALTERNATIVES[(hashSeed('alt', piece, position) + i) % ALTERNATIVES.length] as string;
    if (!(alt in top)) top[alt] = Math.round((own - 0.5 - i * 0.25) * 10_000) / 10_000;
  }
  return top;
}

/** OpenAPI LogprobsPart for a whole answer. */
function logprobsPart(pieces: readonly string[]): Record<string, unknown> {
  return {
    token_ids: pieces.map(pieceTokenId),
    tokens: [...pieces],
    token_logprobs: pieces.map((p, i) => pieceLogprob(p, i)),
  };
}

function promptPart(options: ResponseOptions): Record<string, unknown>[] {
  if (options.echo === undefined) return [];
  return [{ text: options.echo, ...(options.logprobs ? { logprobs: logprobsPart([options.echo]) } : {}) }];
}

function toolCallsBody(choice: GeneratedText): Record<string, unknown>[] {
  return (choice.toolCalls ?? []).map((call, index) => ({ index, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

export function chatResponse(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody, options: ResponseOptions = {}): Record<string, unknown> {
  return {
    id: env.id,
    object: 'chat.completion',
    created: env.created,
    model: env.model,
    prompt: promptPart(options),
    choices: choices.map((c, index) => ({
      index,
      finish_reason: c.finishReason,
      logprobs: options.logprobs ? logprobsPart(c.pieces) : null,
      seed: c.seed,
      message: {
        role: 'assistant',
        content: c.toolCalls ? null : c.text,
        tool_calls: toolCallsBody(c),
        ...(c.reasoning ? { reasoning: c.reasoning.join('') } : {}),
      },
    })),
    usage,
  };
}

interface Step {
  index: number;
  /** Content text of this chunk ('' for reasoning and tool-call chunks). */
  piece: string;
  /** Position of the content piece in its answer (for its log probability); -1 when the chunk has none. */
  position: number;
  reasoning?: string;
  toolCall?: Record<string, unknown>;
  last: boolean;
  final: boolean;
  choice: GeneratedText;
}

/**
 * One chunk per piece — the reasoning pieces, then the content pieces, then per tool call a first chunk with its
 * index, id, type and name and then its arguments in pieces (as OpenAI and Together stream them); the last chunk
 * of a choice carries finish_reason and seed, the last of the last choice the usage.
 */
function streamSteps(choices: readonly GeneratedText[]): Step[] {
  const steps: Step[] = [];
  choices.forEach((choice, index) => {
    const own: Omit<Step, 'last' | 'final'>[] = [];
    for (const reasoning of choice.reasoning ?? []) own.push({ index, piece: '', position: -1, reasoning, choice });
    if (choice.toolCalls) {
      choice.toolCalls.forEach((call, i) => {
        own.push({ index, piece: '', position: -1, choice, toolCall: { index: i, id: call.id, type: 'function', function: { name: call.name, arguments: '' } } });
        for (const part of call.arguments.match(/[\s\S]{1,8}/g) ?? []) own.push({ index, piece: '', position: -1, choice, toolCall: { index: i, function: { arguments: part } } });
      });
    } else {
      choice.pieces.forEach((piece, position) => own.push({ index, piece, position, choice }));
    }
    if (!own.length) own.push({ index, piece: '', position: -1, choice });
    own.forEach((step, i) => {
      const last = i === own.length - 1;
      steps.push({ ...step, last, final: last && index === choices.length - 1 });
    });
  });
  return steps;
}

function chunkLogprobs(step: Step, options: ResponseOptions): Record<string, unknown> {
  if (!options.logprobs || step.position < 0) return { logprobs: null };
  return { logprobs: pieceLogprob(step.piece, step.position), top_logprobs: topLogprobs(step.piece, step.position, options.logprobs) };
}

export function chatChunks(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody, options: ResponseOptions = {}): Record<string, unknown>[] {
  return streamSteps(choices).map((step, i) => {
    const content = step.reasoning !== undefined || step.toolCall ? null : step.piece;
    return {
      id: env.id,
      object: 'chat.completion.chunk',
      created: env.created,
      model: env.model,
      ...(i === 0 && options.echo !== undefined ? { prompt: promptPart(options) } : {}),
      choices: [
        {
          index: step.index,
          text: step.piece,
          ...chunkLogprobs(step, options),
          finish_reason: step.last ? step.choice.finishReason : null,
          seed: step.last ? step.choice.seed : null,
          delta: {
            token_id: pieceTokenId(step.reasoning ?? step.piece),
            role: 'assistant',
            content,
            ...(step.reasoning !== undefined ? { reasoning: step.reasoning } : {}),
            ...(step.toolCall ? { tool_calls: [step.toolCall] } : {}),
          },
        },
      ],
      usage: step.final ? usage : null,
    };
  });
}

export function completionResponse(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody, options: ResponseOptions = {}): Record<string, unknown> {
  return {
    id: env.id,
    object: 'text.completion',
    created: env.created,
    model: env.model,
    prompt: promptPart(options),
    // No `logprobs` key unless asked: CompletionChoicesData types it as an object, not nullable.
    choices: choices.map((c, index) => ({
      index,
      text: c.text,
      finish_reason: c.finishReason,
      seed: c.seed,
      ...(options.logprobs ? { logprobs: logprobsPart(c.pieces) } : {}),
    })),
    usage,
  };
}

/** CompletionChunk: `token`, `choices`, `usage` and `finish_reason` on every chunk (OpenAPI requires them). */
export function completionChunks(env: Envelope, choices: readonly GeneratedText[], usage: UsageBody, options: ResponseOptions = {}): Record<string, unknown>[] {
  return streamSteps(choices).map((step, i) => {
    const finishReason = step.last ? step.choice.finishReason : null;
    const tokenId = pieceTokenId(step.piece);
    const logprob = step.position >= 0 ? pieceLogprob(step.piece, step.position) : 0;
    return {
      id: env.id,
      object: 'completion.chunk',
      created: env.created,
      model: env.model,
      ...(i === 0 && options.echo !== undefined ? { prompt: promptPart(options) } : {}),
      token: { id: tokenId, text: step.piece, logprob: options.logprobs ? logprob : 0, special: false },
      choices: [
        {
          index: step.index,
          text: step.piece,
          ...chunkLogprobs(step, options),
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
