import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildMistralV1TokenizerJson,
  llama31SpecialTokenName,
  QWEN3_ONLY_ADDED_TOKENS,
  renameToLlama31,
  withoutAddedTokens,
  type AddedTokenJson,
  type TokenizerJson,
} from '../../src/tokens/derive.js';

const added = (id: number, content: string, special = true): AddedTokenJson => ({ id, content, special });

describe('llama31SpecialTokenName', () => {
  test('names the Llama 3.1 tokens and renumbers the reserved ones', () => {
    assert.equal(llama31SpecialTokenName(128000), '<|begin_of_text|>');
    assert.equal(llama31SpecialTokenName(128004), '<|finetune_right_pad_id|>');
    assert.equal(llama31SpecialTokenName(128005), '<|reserved_special_token_2|>');
    assert.equal(llama31SpecialTokenName(128008), '<|eom_id|>');
    assert.equal(llama31SpecialTokenName(128009), '<|eot_id|>');
    assert.equal(llama31SpecialTokenName(128010), '<|python_tag|>');
    assert.equal(llama31SpecialTokenName(128011), '<|reserved_special_token_3|>');
    assert.equal(llama31SpecialTokenName(128255), '<|reserved_special_token_247|>');
  });

  test('gives 256 distinct names and rejects ids outside the range', () => {
    const names = new Set(Array.from({ length: 256 }, (_, i) => llama31SpecialTokenName(128000 + i)));
    assert.equal(names.size, 256);
    assert.throws(() => llama31SpecialTokenName(127999), RangeError);
    assert.throws(() => llama31SpecialTokenName(128256), RangeError);
  });
});

describe('tokenizer.json transformations', () => {
  test('renameToLlama31 renames only ids 128000-128255 and leaves the input untouched', () => {
    const json: TokenizerJson = {
      added_tokens: [added(5, '<keep>'), added(128008, '<|reserved_special_token_4|>'), added(128010, '<|reserved_special_token_5|>')],
      model: { vocab: {} },
    };
    const out = renameToLlama31(json);
    assert.deepEqual(
      out.added_tokens.map((t) => t.content),
      ['<keep>', '<|eom_id|>', '<|python_tag|>'],
    );
    assert.equal(json.added_tokens[1]?.content, '<|reserved_special_token_4|>');
    assert.equal(out.model, json.model);
  });

  test('withoutAddedTokens drops exactly the four Qwen3-only tokens', () => {
    const json: TokenizerJson = {
      added_tokens: [added(151643, '<|endoftext|>'), added(151644, '<|im_start|>'), ...QWEN3_ONLY_ADDED_TOKENS.map((c, i) => added(151665 + i, c, false))],
    };
    assert.deepEqual(
      withoutAddedTokens(json, QWEN3_ONLY_ADDED_TOKENS).added_tokens.map((t) => t.id),
      [151643, 151644],
    );
  });

  test('buildMistralV1TokenizerJson orders merges by priority and keeps odd token names as own keys', () => {
    const vocab = ['<unk>', '<s>', '</s>', '▁', 'a', '__proto__', '▁a'];
    const merges = new Map([
      ['▁ a', 3],
      ['a a', 1],
    ]);
    const json = buildMistralV1TokenizerJson(vocab, merges);
    const model = json.model as { vocab: Record<string, number>; merges: string[][]; byte_fallback: boolean };
    assert.deepEqual(model.merges, [
      ['a', 'a'],
      ['▁', 'a'],
    ]);
    assert.equal(Object.keys(model.vocab).length, vocab.length);
    assert.equal(JSON.parse(JSON.stringify(model.vocab)).__proto__, 5);
    assert.equal(model.byte_fallback, true);
    assert.deepEqual(
      json.added_tokens.map((t) => [t.id, t.content, t.special]),
      [
        [0, '<unk>', true],
        [1, '<s>', true],
        [2, '</s>', true],
      ],
    );
  });
});
