// Cheap token bounds that never under-count, for every shipped family.
//
// Why UTF-8 bytes bound the count:
// - Byte-level BPE (llama3, llama3_1, deepseek_v3, gptoss, qwen2_5, qwen3): the model's alphabet is the 256
//   bytes, every token covers at least one byte of the (normalized) text, and an added token such as
//   `<|eot_id|>` is many bytes yet one token. So tokens <= bytes(normalized text).
// - Qwen normalizes to NFC first, and NFC can grow a string: a few code points have no composed form
//   (U+0344 -> U+0308 U+0301, U+FB2C -> three Hebrew code points, U+1D160 -> three musical symbols: up to 3x).
//   Hence the bound takes bytes(NFC(text)) too, computed only when the text is not ASCII (ASCII is NFC).
// - SentencePiece-style BPE with byte fallback (gemma3, mistral_v1): BPE starts from one symbol per character
//   that is in the vocabulary, else one symbol per UTF-8 byte (the <0xNN> tokens), and merges only reduce the
//   count. A space is rewritten to "▁" (3 bytes) but "▁" is in both vocabularies, so it is still one symbol
//   per original byte. Mistral's normalizer also prepends "▁" to each stretch of text between added tokens:
//   at most one extra symbol for the first stretch (the ones after an added token are paid for by the added
//   token, >= 3 bytes for 1 token). Hence the +1.
// So for every family: tokens <= max(bytes(text), bytes(NFC(text))) + 1, and 0 for the empty string.

/** An upper bound on the token count of `text` for every shipped family (no special tokens added). */
export function upperBoundTokens(text: string): number {
  if (text.length === 0) return 0;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes === text.length) return bytes + 1; // pure ASCII: NFC is the identity
  return Math.max(bytes, Buffer.byteLength(text.normalize('NFC'), 'utf8')) + 1;
}

/**
 * Room for what a chat template adds that the estimate's own rendering does not show: the largest fixed
 * preamble among the shipped families is gpt-oss's harmony system message (≈ 60 tokens, see test/tokens),
 * then Llama 3.1's date block (≈ 25).
 */
export const CHAT_ESTIMATE_PREAMBLE_TOKENS = 96;
