// What a fine-tuning base model accepts beyond plain chat, as Together lists it: reasoning data, function-calling
// data, and the vocabulary its token ids must stay below (pre-tokenized Parquet). Data, with its sources; the
// date each list was checked is in docs/dataset-rules.md.
import type { TokenizerFamily } from '../tokens/index.js';

/**
 * Models Together fine-tunes on reasoning data (`reasoning` / `reasoning_content`): "Qwen3.5 family, Qwen3 family
 * (0.6B-235B), Qwen3-Next-80B-A3B-Thinking, GLM-5.1, GLM-5, GLM-4.7, GLM-4.6" (togethercomputer/skills,
 * skills/together-fine-tuning/references/data-formats.md @ 8b83242). Matched on the name after the last "/".
 */
const REASONING_MODELS: readonly RegExp[] = [/^qwen3(\.5)?-/i, /^glm-(4\.6|4\.7|5|5\.1)(?=$|[-.])/i];

/**
 * Bases Together fine-tunes on function-calling data (tools, tool_calls, tool messages): the table of
 * https://docs.together.ai/docs/fine-tuning/function-calling ("Supported models"), by API id prefix.
 */
const TOOL_MODELS: readonly RegExp[] = [
  /^Qwen\/Qwen2\.5-/,
  /^Qwen\/Qwen3(\.5|\.6)?-/, // Qwen3, Qwen3-Coder, Qwen3-Next, Qwen3-VL, Qwen3.5, Qwen3.6
  /^moonshotai\/Kimi-K2/,
  /^zai-org\/GLM-/,
  /^google\/gemma-4-/,
  /^nvidia\/NVIDIA-Nemotron-/,
  /^meta-llama\/Meta-Llama-3\.1-/,
  /^meta-llama\/Llama-3\.[23]-/,
  /^meta-llama\/Llama-4-/,
  /^openai\/gpt-oss-/,
];

/**
 * The embedding rows of each tokenizer family's fine-tunable models (`vocab_size` of the models' config.json on
 * Hugging Face): a token id must be below it. Qwen2.5 7B/14B/72B pad to 152,064; Qwen3 to 151,936.
 */
const VOCAB_SIZES: Record<TokenizerFamily, number> = {
  llama3: 128256,
  llama3_1: 128256,
  qwen2_5: 152064,
  qwen3: 151936,
  deepseek_v3: 129280,
  gemma3: 262208,
  gptoss: 201088,
  mistral_v1: 32000,
};

export interface ModelCapabilities {
  reasoning: boolean;
  tools: boolean;
  /** Token ids must be below this; undefined when tether does not know the model's vocabulary. */
  vocabSize: number | undefined;
}

/** `tokenizer`: the catalog snapshot's tokenizer family name for the model, if any. */
export function capabilitiesOf(modelId: string, tokenizer: string | undefined): ModelCapabilities {
  const name = modelId.split('/').pop() ?? modelId;
  return {
    reasoning: REASONING_MODELS.some((pattern) => pattern.test(name)),
    tools: TOOL_MODELS.some((pattern) => pattern.test(modelId)),
    vocabSize: tokenizer !== undefined && Object.hasOwn(VOCAB_SIZES, tokenizer) ? VOCAB_SIZES[tokenizer as TokenizerFamily] : undefined,
  };
}
