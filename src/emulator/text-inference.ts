// What chat and completions share: how many tokens the context leaves for the answer, and the n generated
// choices, counted with the model's real tokenizer.
import { countTextTokens } from '../tokens/index.js';
import type { EmulatorModel } from './catalog.js';
import { contextLengthExceeded } from './errors.js';
import type { EmulatorError } from './errors.js';
import { generateText } from './generate.js';
import type { GeneratedText } from './generate.js';

export type Budget =
  | {
      ok: true;
      maxTokens: number | undefined;
      /** The prompt tokens the answer is billed for: fewer than sent when `truncate` cut the prompt. */
      promptTokens: number;
    }
  | { ok: false; error: EmulatorError };

/**
 * Prompt + max_tokens must fit the context (Together's "Input validation error"). With `truncate` (OpenAPI:
 * "override the max_tokens with maximum context length of the model"), max_tokens is lowered to what the context
 * leaves; when the prompt alone fills the context, the prompt is cut from its start instead (facts §11: "truncate
 * makes the server cut the input") to leave room for min(max_tokens, half the context) new tokens. Without
 * max_tokens the answer may use whatever the context leaves, and the check counts one new token.
 */
export function completionBudget(
  contextLength: number | undefined,
  promptTokens: number,
  maxTokens: number | undefined,
  behavior: 'truncate' | 'error',
): Budget {
  if (!contextLength) return { ok: true, maxTokens, promptTokens };
  const left = contextLength - promptTokens;
  const wanted = maxTokens ?? 1;
  if (wanted <= left) return { ok: true, maxTokens: maxTokens ?? left, promptTokens };
  if (behavior === 'truncate') {
    if (left >= 1) return { ok: true, maxTokens: left, promptTokens };
    const reserve = Math.max(1, Math.min(maxTokens ?? 1, Math.floor(contextLength / 2)));
    return { ok: true, maxTokens: reserve, promptTokens: contextLength - reserve };
  }
  return { ok: false, error: contextLengthExceeded(contextLength, promptTokens, wanted) };
}

/** Counts text with the model's tokenizer (0 for empty text). */
export function tokenCounter(model: EmulatorModel): (text: string) => Promise<number> {
  return async (text: string) => (text ? (await countTextTokens(model.id, text)).tokens : 0);
}

export function stopList(stop: string | readonly string[] | null | undefined): readonly string[] | undefined {
  return typeof stop === 'string' ? [stop] : (stop ?? undefined);
}

export interface ChoiceRequest {
  emulatorSeed: number;
  model: EmulatorModel;
  prompt: string;
  n: number;
  maxTokens: number | undefined;
  stop: string | readonly string[] | null | undefined;
  requestSeed: number | null | undefined;
}

export async function generateChoices(request: ChoiceRequest): Promise<GeneratedText[]> {
  const countTokens = tokenCounter(request.model);
  const stop = stopList(request.stop);
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
        countTokens,
      }),
    );
  }
  return choices;
}
