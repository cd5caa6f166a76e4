// Recognising "prompt + max_tokens is over the context length" in its several wordings, and reading its numbers.

/** The numbers a context-length error states; any of them may be missing from a given wording. */
export interface ContextLengthNumbers {
  /** The model's limit on prompt + max_tokens (or on max_tokens alone, for the `max_new_tokens` form). */
  limit?: number;
  promptTokens?: number;
  maxTokens?: number;
}

/**
 * Wordings of a context-length failure: Together's TGI text ("`inputs` tokens + `max_new_tokens` must be <= 4096"),
 * vLLM/OpenAI text ("maximum context length is 8192 tokens"), and generic variants.
 */
export const CONTEXT_LENGTH_TEXT =
  /context[ _-]?length|context window|maximum context|too many tokens|tokens?\b[^.]{0,80}must be <=|must have less than \d+ tokens|max_new_tokens`?\s+must be <=|max_(?:completion_)?tokens'?[^.]{0,40}too large|prompt is too long|exceeds? the model'?s? (?:maximum )?(?:context|token)/i;

export function isContextLengthText(text: string | undefined): boolean {
  return text !== undefined && CONTEXT_LENGTH_TEXT.test(text);
}

function firstNumber(text: string, patterns: readonly RegExp[]): number | undefined {
  for (const pattern of patterns) {
    const digits = pattern.exec(text)?.[1];
    if (digits !== undefined) return Number(digits.replace(/,/g, ''));
  }
  return undefined;
}

const N = '(\\d[\\d,]*)';

const LIMIT_PATTERNS = [
  new RegExp(`must be <=\\s*${N}`, 'i'),
  new RegExp(`maximum context length is\\s*${N}`, 'i'),
  new RegExp(`must have less than\\s*${N}\\s*tokens`, 'i'),
  new RegExp(`context (?:length|window)(?: of| is)?\\s*(?:is\\s*)?${N}`, 'i'),
  new RegExp(`(?:limit|maximum)(?: of| is)?\\s*${N}\\s*tokens`, 'i'),
];

const PROMPT_PATTERNS = [
  new RegExp(`${N}\\s*\`?inputs\`?\\s*tokens`, 'i'),
  new RegExp(`\\(${N} in the messages`, 'i'),
  new RegExp(`requested ${N} tokens in the messages`, 'i'),
  new RegExp(`has ${N} input tokens`, 'i'),
  new RegExp(`${N}\\s*(?:input|prompt) tokens`, 'i'),
  new RegExp(`\`inputs\` must have less than \\d+ tokens\\.\\s*Given:\\s*${N}`, 'i'),
];

const MAX_TOKENS_PATTERNS = [
  new RegExp(`${N}\\s*\`?max_new_tokens\\b`, 'i'),
  new RegExp(`${N} in the completion`, 'i'),
  new RegExp(`too large:\\s*${N}`, 'i'),
  new RegExp(`\`?max_new_tokens\`?\\s+must be <=\\s*\\d+\\.?\\s*Given:\\s*${N}`, 'i'),
];

/** The numbers stated in a context-length message; an empty object when it states none. */
export function parseContextLengthNumbers(text: string): ContextLengthNumbers {
  const out: ContextLengthNumbers = {};
  const limit = firstNumber(text, LIMIT_PATTERNS);
  const promptTokens = firstNumber(text, PROMPT_PATTERNS);
  const maxTokens = firstNumber(text, MAX_TOKENS_PATTERNS);
  if (limit !== undefined) out.limit = limit;
  if (promptTokens !== undefined) out.promptTokens = promptTokens;
  if (maxTokens !== undefined) out.maxTokens = maxTokens;
  return out;
}

function tokens(count: number): string {
  return `${count} token${count === 1 ? '' : 's'}`;
}

const LARGER_MODEL = 'or use a larger-context model of the same family';

/** Why, with the numbers when the message gave them. */
export function contextLengthCause(numbers: ContextLengthNumbers): string {
  const { limit, promptTokens, maxTokens } = numbers;
  if (limit !== undefined && promptTokens !== undefined && maxTokens !== undefined) {
    return `The prompt (${tokens(promptTokens)}) plus max_tokens (${maxTokens}) comes to ${promptTokens + maxTokens}, more than the model's limit of ${tokens(limit)}.`;
  }
  if (limit !== undefined && promptTokens !== undefined) {
    return `The prompt (${tokens(promptTokens)}) does not fit the model's limit of ${tokens(limit)}.`;
  }
  if (limit !== undefined && maxTokens !== undefined) {
    return `max_tokens (${maxTokens}) is more than the model allows (${limit}).`;
  }
  return "The prompt plus max_tokens is longer than the model's context length.";
}

/** The concrete next step: how many tokens to cut, or which max_tokens would fit. */
export function contextLengthFix(numbers: ContextLengthNumbers): string {
  const { limit, promptTokens, maxTokens } = numbers;
  if (limit !== undefined && promptTokens !== undefined && maxTokens !== undefined) {
    const excess = promptTokens + maxTokens - limit;
    if (excess > 0 && promptTokens < limit) {
      return `Set max_tokens to at most ${limit - promptTokens}, or cut at least ${tokens(excess)} from the prompt to keep max_tokens at ${maxTokens}, ${LARGER_MODEL}.`;
    }
    if (excess > 0) {
      return `The prompt alone fills the ${limit}-token context: cut at least ${tokens(excess)} from it to keep max_tokens at ${maxTokens}, ${LARGER_MODEL}.`;
    }
  }
  if (limit !== undefined && promptTokens !== undefined && promptTokens >= limit) {
    return `Cut at least ${tokens(promptTokens - limit + 1)} from the prompt (more to leave room for the answer), ${LARGER_MODEL}.`;
  }
  if (limit !== undefined && maxTokens !== undefined && promptTokens === undefined && maxTokens > limit) {
    return `Set max_tokens to at most ${limit}.`;
  }
  return `Shorten the prompt or lower max_tokens so the two fit the model's context length (\`tether tokens\` counts a prompt before sending), ${LARGER_MODEL}.`;
}
