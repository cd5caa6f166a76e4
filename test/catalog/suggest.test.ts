import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { suggest, editDistance, canonicalTokens, similarity, loadSnapshot } from '../../src/catalog/index.js';

const snapshot = loadSnapshot();
// Serverless ids first: suggest() breaks ties by input order.
const IDS = [...snapshot.models.filter((m) => m.serverless), ...snapshot.models.filter((m) => !m.serverless)].map((m) => m.id);

describe('suggest on real-world mistakes against the snapshot ids', () => {
  const table: Array<[query: string, best: string, why: string]> = [
    ['meta-llama/Meta-Llama-3.1-8B-Instruct', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'missing -Turbo'],
    ['meta-llama/Meta-Llama-3.1-405B-Instruct', 'meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo', 'missing -Turbo'],
    ['meta-llama/llama-3.3-70b-instruct-turbo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'case'],
    ['Llama-3.3-70B-Instruct-Turbo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'org prefix missing'],
    ['DeepSeek-R1', 'deepseek-ai/DeepSeek-R1', 'org prefix missing'],
    ['meta-llama/Llama-3.1-70B-Instruct-Turbo', 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo', 'Meta- prefix missing'],
    ['meta-llama/Meta-Llama-3.3-70B-Instruct-Turbo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'Meta- prefix added'],
    ['meta-llama/Llama-3.3-70B-Instruct-Trubo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'typo (swap)'],
    ['meta-llama/Llama-3.3-70B-Instuct-Turbo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'typo (missing letter)'],
    ['deepseek-ai/deepseek-v3', 'deepseek-ai/DeepSeek-V3', 'case'],
    ['openai/gpt-oss-120B', 'openai/gpt-oss-120b', 'case'],
    ['mistralai/Mixtral-8x7B-Instruct', 'mistralai/Mixtral-8x7B-Instruct-v0.1', 'version suffix missing'],
    ['Qwen/Qwen3-235B-A22B-Instruct-2507', 'Qwen/Qwen3-235B-A22B-Instruct-2507-tput', '-tput missing'],
    ['llama3.1-8b', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'shorthand'],
    ['meta-llama/Llama-4-Scout', 'meta-llama/Llama-4-Scout-17B-16E-Instruct', 'shortened'],
    ['Qwen/Qwen2.5-72B-Instruct-Turbo', 'Qwen/Qwen2.5-72B-Instruct-Turbo', 'exact'],
  ];
  for (const [query, best, why] of table) {
    test(`${why}: ${query}`, () => {
      const got = suggest(query, IDS);
      assert.equal(got[0], best, `suggestions were ${JSON.stringify(got)}`);
      assert.ok(got.length <= 3);
    });
  }

  test('a version digit typo suggests the neighbouring versions', () => {
    const got = suggest('meta-llama/Llama-3.2-70B-Instruct-Turbo', IDS);
    assert.ok(got.includes('meta-llama/Llama-3.3-70B-Instruct-Turbo'), JSON.stringify(got));
    assert.ok(got.includes('meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo'), JSON.stringify(got));
  });

  test('nothing is suggested for ids from another provider or noise', () => {
    assert.deepEqual(suggest('gpt-4o', IDS), []);
    assert.deepEqual(suggest('x', IDS), []);
    assert.deepEqual(suggest('meta-llama/', IDS), []);
  });

  test('ties keep the caller\'s order; n bounds the answer; duplicates count once', () => {
    assert.deepEqual(suggest('org/model-a', ['org/model-b', 'org/model-c', 'org/model-b']), ['org/model-b', 'org/model-c']);
    assert.deepEqual(suggest('org/model-a', ['org/model-c', 'org/model-b'], 1), ['org/model-c']);
    assert.deepEqual(suggest('org/model-a', ['org/model-c'], 0), []);
  });
});

describe('suggest building blocks', () => {
  test('editDistance counts insertions, deletions, substitutions and adjacent swaps as 1', () => {
    assert.equal(editDistance('turbo', 'turbo'), 0);
    assert.equal(editDistance('turbo', 'trubo'), 1);
    assert.equal(editDistance('turbo', 'turb'), 1);
    assert.equal(editDistance('3.1', '3.3'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  test('canonicalTokens drops Meta- and -Turbo and splits letter-digit joins', () => {
    assert.deepEqual(canonicalTokens('Meta-Llama-3.1-8B-Instruct-Turbo'), ['llama', '3.1', '8b', 'instruct']);
    assert.deepEqual(canonicalTokens('llama3.1_8b instruct'), ['llama', '3.1', '8b', 'instruct']);
  });

  test('similarity tiers: case < org < Meta-/Turbo < shortened < typo', () => {
    const target = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
    const scores = [
      similarity('META-LLAMA/meta-llama-3.1-8b-instruct-turbo', target),
      similarity('Meta-Llama-3.1-8B-Instruct-Turbo', target),
      similarity('meta-llama/Meta-Llama-3.1-8B-Instruct', target),
      similarity('meta-llama/Llama-3.1-8B', target),
      similarity('meta-llama/Meta-Llama-3.1-8B-Instrcut-Turbo', target),
    ];
    assert.deepEqual([...scores].sort((a, b) => a - b), scores, JSON.stringify(scores));
    assert.equal(scores[0], 0);
  });
});
