// What chat and completions share: how many tokens the context leaves for the answer, and the n generated
// choices, counted with the model's real tokenizer.
import { countTextTokens } from '../tokens/index.js';
import type { EmulatorModel } from './catalog.js';
import { contextLengthExceeded } from './errors.js';
import type { EmulatorError } from './errors.js';
import { generateText } from './generate.js';
import type { GeneratedText } from './generate.js';

export type Budget = { ok: true; maxTokens: number | undefined } | { ok: false; error: EmulatorError };

/**
 * Prompt + max_tokens must fit the context (Together's "Input validation error"). With `truncate`, max_tokens
 * is lowered to what is left instead. Without max_tokens the answer may use whatever the context leaves, and
 * the check counts one new token.
 */
export function completionBudget(
  contextLength: number | undefined,
  promptTokens: number,
  maxTokens: number | undefined,
  behavior: 'truncate' | 'error',
): Budget {
  if (!contextLength) return { ok: true, maxTokens };
  const left = contextLength - promptTokens;
  if (maxTokens === undefined) {
    return left >= 1 ? { ok: true, maxTokens: left } : { ok: false, error: contextLengthExceeded(contextLength, promptTokens, 1) };
  }
  if (maxTokens <= left) return { ok: true, maxTokens };
  if (behavior === 'truncate' && left >= 1) return { ok: true, maxTokens: left };
  return { ok: false, error: contextLengthExceeded(contextLength, promptTokens, maxTokens) };
}

export interface ChoiceRequest {
  emulatorSeed: number;
  model: EmulatorModel;
  prompt: string;
  n: number;
  maxTokens: number | undefined;
  stop: string | readonly string[] | null | undefined;
  requestSeed: number | null | undefined;
  json: boolean;
}

export async function generateChoices(request: ChoiceRequest): Promise<GeneratedText[]> {
  const countTokens = async (text: string): Promise<number> => (text ? (await countTextTokens(request.model.id, text)).tokens : 0);
  const stop = typeof request.stop === 'string' ? [request.stop] : (request.stop ?? undefined);
  const choices: GeneratedText[] = [];
  for (let index = 0; index < request.n; index++) {
    choices.push(
      await generateText({
        emulatorSeed: request.emulatorSeed,
        model: request.model.id,
        prompt: request.prompt,
        choiceIndex: index,
        requestSeed: request.requestSeed ?? undefined,
        maxTokens: request.maxTokens,
        stop,
        json: request.json,
        countTokens,
      }),
    );
  }
  return choices;
}
