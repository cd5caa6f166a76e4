// Tokenizer families and the rules that map a Together model id to one.

export const TOKENIZER_FAMILIES = [
  'llama3',
  'llama3_1',
  'qwen2_5',
  'qwen3',
  'deepseek_v3',
  'gemma3',
  'gptoss',
  'mistral_v1',
] as const;

export type TokenizerFamily = (typeof TOKENIZER_FAMILIES)[number];

export function isTokenizerFamily(value: string): value is TokenizerFamily {
  return (TOKENIZER_FAMILIES as readonly string[]).includes(value);
}

/**
 * Ordered rules on the model name (the part after the last '/', lower-cased), first match wins.
 * Anchored at the start of the name so that fine-tuned outputs (`user/Meta-Llama-3.1-8B-Instruct-Reference-ft-…`)
 * keep their base's family, while unrelated models that merely mention a base (`Nous-Hermes-2-Mixtral-…`,
 * `Llama-Rank-V1`) do not. A `null` family means "known, and no shipped tokenizer fits" (estimate).
 */
const FAMILY_RULES: ReadonlyArray<readonly [RegExp, TokenizerFamily | null, string]> = [
  [/^gpt-oss-/, 'gptoss', 'gpt-oss-20b/120b: o200k_harmony'],
  [/^gemma-3/, 'gemma3', 'Gemma 3 and Gemma 3n: the 262k Gemma 3 vocabulary (3n unverified)'],
  [/^deepseek-r1-distill-llama-/, 'llama3_1', 'R1 distills keep the Llama 3.1/3.3 BPE (DeepSeek special-token names)'],
  [/^deepseek-r1-distill-qwen-/, 'qwen2_5', 'R1 distills keep the Qwen2.5 BPE (DeepSeek special-token names)'],
  [/^deepseek-(v3|r1)(?=$|[-.])/, 'deepseek_v3', 'DeepSeek V3, V3.x, R1: one 128k BPE (R1/V3.1 templates differ)'],
  [/^qwen3-/, 'qwen3', 'Qwen3, Qwen3-Coder, Qwen3-Next (not Qwen3.5, unchecked)'],
  [/^qwq-/, 'qwen3', 'QwQ ships the four extra added tokens Qwen3 inherited'],
  [/^qwen2\.5-/, 'qwen2_5', 'Qwen2.5, Qwen2.5-Coder, Qwen2.5-VL (text vocabulary)'],
  [/^(meta-)?llama-guard-3-/, 'llama3_1', 'Llama Guard 3 8B is built on Llama 3.1 8B'],
  [/^(meta-)?llama-3\.[123]-/, 'llama3_1', 'Llama 3.1, 3.2, 3.3 share the 3.1 tokenizer'],
  [/^(meta-)?llama-3-/, 'llama3', 'Llama 3.0 (Meta-Llama-3-*, Llama-3-*-chat-hf)'],
  [/^(meta-)?llama-(2|4)-/, null, 'Llama 2 (32k SentencePiece) and Llama 4 (~200k): not shipped'],
  [/^mixtral-8x7b-(instruct-)?v0\.1(?=$|-)/, 'mistral_v1', 'Mixtral 8x7B: the 32,000-token Mistral v1 vocabulary'],
  [/^mistral-7b-(instruct-)?v0\.[12](?=$|-)/, 'mistral_v1', 'Mistral 7B v0.1/v0.2 (v0.3 has the 32,768-token v3 vocabulary)'],
];

/**
 * The tokenizer family of a Together model id, by the rules above; undefined when no shipped tokenizer fits
 * (Llama 4, Kimi, GLM, Mistral v0.3/Small, image/embedding/audio models, unknown ids).
 */
export function familyForModel(modelId: string): TokenizerFamily | undefined {
  const name = (modelId.split('/').pop() ?? '').trim().toLowerCase();
  for (const [pattern, family] of FAMILY_RULES) {
    if (pattern.test(name)) return family ?? undefined;
  }
  return undefined;
}

/** A family name is accepted as is; anything else is treated as a model id. */
export function resolveFamily(modelOrFamily: string): TokenizerFamily | undefined {
  return isTokenizerFamily(modelOrFamily) ? modelOrFamily : familyForModel(modelOrFamily);
}
