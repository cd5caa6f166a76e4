import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { familyForModel, isTokenizerFamily, resolveFamily, TOKENIZER_FAMILIES } from '../../src/tokens/index.js';

interface SnapshotModel {
  id: string;
  tokenizer: string | null;
}
const snapshot = JSON.parse(readFileSync(new URL('../../data/together-models.json', import.meta.url), 'utf8')) as {
  models: SnapshotModel[];
};
const oracle = JSON.parse(readFileSync(new URL('../fixtures/token-counts.json', import.meta.url), 'utf8')) as {
  together_model_families: Record<string, string>;
};

describe('familyForModel', () => {
  test('agrees with the catalog snapshot for every model that has a tokenizer', () => {
    const withTokenizer = snapshot.models.filter((m) => m.tokenizer !== null);
    assert.ok(withTokenizer.length >= 40, 'the snapshot should list the 45 models with a tokenizer family');
    const wrong = withTokenizer
      .map((m) => ({ id: m.id, expected: m.tokenizer, got: familyForModel(m.id) }))
      .filter((r) => r.got !== r.expected);
    assert.deepEqual(wrong, []);
  });

  test('gives no family to the snapshot models no shipped tokenizer fits', () => {
    const without = snapshot.models.filter((m) => m.tokenizer === null);
    assert.ok(without.some((m) => m.id.includes('Llama-4')));
    const wrong = without.map((m) => ({ id: m.id, got: familyForModel(m.id) })).filter((r) => r.got !== undefined);
    assert.deepEqual(wrong, []);
  });

  test("agrees with the oracle's model map (first word of each entry)", () => {
    for (const [id, value] of Object.entries(oracle.together_model_families)) {
      if (id === 'note') continue;
      assert.equal(familyForModel(id), value.split(' ')[0], id);
    }
  });

  test('keeps the base family for fine-tuned outputs and ignores case', () => {
    assert.equal(familyForModel('alice/Meta-Llama-3.1-8B-Instruct-Reference-my-ft-3f2a1b'), 'llama3_1');
    assert.equal(familyForModel('bob@example.com/Qwen2.5-7B-Instruct-support-bot-abc123'), 'qwen2_5');
    assert.equal(familyForModel('META-LLAMA/LLAMA-3.3-70B-INSTRUCT-TURBO'), 'llama3_1');
  });

  test('does not guess for look-alikes and unknown generations', () => {
    for (const id of [
      'NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO',
      'mistralai/Mistral-7B-Instruct-v0.3',
      'mistralai/Mixtral-8x22B-Instruct-v0.1',
      'Qwen/Qwen3.5-9B',
      'Qwen/Qwen2-72B-Instruct',
      'google/gemma-2-27b-it',
      'meta-llama/Llama-2-7b-hf',
      'Salesforce/Llama-Rank-V1',
      '',
    ]) {
      assert.equal(familyForModel(id), undefined, id);
    }
  });

  test('resolveFamily accepts family names as they are', () => {
    for (const family of TOKENIZER_FAMILIES) {
      assert.ok(isTokenizerFamily(family));
      assert.equal(resolveFamily(family), family);
    }
    assert.equal(resolveFamily('openai/gpt-oss-20b'), 'gptoss');
    assert.equal(isTokenizerFamily('llama4'), false);
  });
});
