import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCatalog, familyOf, groupOf, isFreeVariant } from '../../src/catalog/index.js';
import { liveListFromSnapshot } from './live-list.js';

const LIVE = liveListFromSnapshot();

test('familyOf and groupOf', () => {
  assert.equal(familyOf('meta-llama/Llama-3.3-70B-Instruct-Turbo'), 'llama-3.3');
  assert.equal(familyOf('Qwen/Qwen3-235B-A22B-fp8-tput'), 'qwen-3');
  assert.equal(familyOf('acme/unknown'), undefined);
  assert.equal(groupOf('llama-3.1'), 'llama-3.x');
  assert.equal(groupOf('llama-4'), 'llama-4');
  assert.equal(groupOf('qwen-3-next'), 'qwen-3-next');
  assert.equal(isFreeVariant('meta-llama/Llama-3.3-70B-Instruct-Turbo-Free'), true);
});

describe('default fallback routes', () => {
  const catalog = createCatalog({ fetchModels: async () => LIVE });
  after(() => catalog.close());

  test('stay in the family (then the Llama 3 generation), same type, serverless, never the model itself', async () => {
    await catalog.list();
    const route = catalog.defaultFallbackRoute('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
    assert.deepEqual(route.slice(0, 2), ['meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo', 'meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo']);
    assert.ok(route.includes('meta-llama/Llama-3.3-70B-Instruct-Turbo'));
    assert.ok(!route.includes('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'));
    assert.ok(!route.some((id) => id.endsWith('-Reference')), 'non-serverless ids are not fallbacks');
    assert.ok(!route.some((id) => id.includes('Llama-4') || id.includes('Guard')), 'other families and types stay out');
    assert.ok(!route.some(isFreeVariant), 'a free endpoint is not a fallback for a paid model');
    // 128K models before 8K ones: what fit the primary should fit the fallback.
    const lastLarge = Math.max(...route.map((id, i) => ((catalog.get(id)?.contextLength ?? 0) > 100_000 ? i : -1)));
    const firstSmall = route.findIndex((id) => (catalog.get(id)?.contextLength ?? 0) <= 8192);
    assert.ok(firstSmall > lastLarge, JSON.stringify(route));
    // Same size or larger before smaller: the 3B model comes after every 70B+ one of its context class.
    assert.ok(route.indexOf('meta-llama/Llama-3.2-3B-Instruct-Turbo') > route.indexOf('meta-llama/Llama-3.3-70B-Instruct-Turbo'));
  });

  test('prefer the closest size class among equal contexts', async () => {
    await catalog.list();
    assert.equal(catalog.defaultFallbackRoute('meta-llama/Llama-3.3-70B-Instruct-Turbo')[0], 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo');
    assert.deepEqual(catalog.defaultFallbackRoute('openai/gpt-oss-20b'), ['openai/gpt-oss-120b']);
    assert.deepEqual(catalog.defaultFallbackRoute('deepseek-ai/DeepSeek-V3'), ['deepseek-ai/DeepSeek-V3.1']);
    assert.deepEqual(catalog.defaultFallbackRoute('mistralai/Mistral-7B-Instruct-v0.1'), ['mistralai/Mistral-7B-Instruct-v0.2', 'mistralai/Mistral-7B-Instruct-v0.3']);
  });

  test('a free model does not fall back to paid ones; an unknown id has no route', async () => {
    await catalog.list();
    assert.deepEqual(catalog.defaultFallbackRoute('meta-llama/Llama-3.3-70B-Instruct-Turbo-Free'), []);
    assert.deepEqual(catalog.defaultFallbackRoute('acme/unknown'), []);
  });

  test('work before the live list is loaded (from the snapshot)', () => {
    const fresh = createCatalog({ fetchModels: async () => LIVE });
    try {
      assert.deepEqual(fresh.defaultFallbackRoute('openai/gpt-oss-120b'), ['openai/gpt-oss-20b']);
    } finally {
      fresh.close();
    }
  });

  test('only list models that are in the live list', async () => {
    const c = createCatalog({ fetchModels: async () => LIVE.filter((m) => m.id !== 'openai/gpt-oss-120b') });
    try {
      await c.list();
      assert.deepEqual(c.defaultFallbackRoute('openai/gpt-oss-20b'), []);
    } finally {
      c.close();
    }
  });
});

describe('larger-context models for context overflow', () => {
  const catalog = createCatalog({ fetchModels: async () => LIVE });
  after(() => catalog.close());

  test('only models whose context holds the tokens, larger context first', async () => {
    await catalog.list();
    assert.deepEqual(catalog.largerContextModels('Qwen/Qwen3-235B-A22B-fp8-tput', 100_000), [
      'Qwen/Qwen3-235B-A22B-Instruct-2507-tput',
      'Qwen/Qwen3-235B-A22B-Thinking-2507',
    ]);
    const fromLite = catalog.largerContextModels('meta-llama/Meta-Llama-3-8B-Instruct-Lite', 20_000);
    assert.equal(fromLite[0], 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', JSON.stringify(fromLite));
    assert.ok(fromLite.every((id) => (catalog.get(id)?.contextLength ?? 0) >= 20_000));
    assert.deepEqual(catalog.largerContextModels('meta-llama/Llama-3.3-70B-Instruct-Turbo', 200_000), []);
    // Qwen2.5 72B Turbo is planned at the context Together enforces (the API's 131K, not the docs' 32K): it holds 40K.
    assert.deepEqual(catalog.largerContextModels('Qwen/Qwen2.5-7B-Instruct-Turbo', 40_000), ['Qwen/Qwen2.5-72B-Instruct-Turbo']);
    // Once Together's answers prove a smaller limit, it no longer does.
    catalog.learnContextLimit('Qwen/Qwen2.5-72B-Instruct-Turbo', { outcome: 'rejected', tokens: 40_000, limit: 32_768 });
    assert.deepEqual(catalog.largerContextModels('Qwen/Qwen2.5-7B-Instruct-Turbo', 40_000), []);
  });
});

describe('route overrides', () => {
  test('by model id, by family and by group; the override order is kept', async () => {
    const c = createCatalog({
      fetchModels: async () => LIVE,
      routes: {
        'openai/gpt-oss-20b': ['deepseek-ai/DeepSeek-V3.1', 'openai/gpt-oss-120b'],
        'qwen-3': ['Qwen/Qwen3-Next-80B-A3B-Instruct'],
        'llama-3.x': ['meta-llama/Llama-4-Scout-17B-16E-Instruct', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'],
      },
    });
    try {
      await c.list();
      assert.deepEqual(c.fallbackRoute('openai/gpt-oss-20b'), ['deepseek-ai/DeepSeek-V3.1', 'openai/gpt-oss-120b']);
      assert.deepEqual(c.defaultFallbackRoute('openai/gpt-oss-20b'), ['openai/gpt-oss-120b'], 'the default stays available');
      assert.deepEqual(c.fallbackRoute('Qwen/Qwen3-235B-A22B-fp8-tput'), ['Qwen/Qwen3-Next-80B-A3B-Instruct']);
      assert.deepEqual(c.fallbackRoute('meta-llama/Llama-3.3-70B-Instruct-Turbo'), ['meta-llama/Llama-4-Scout-17B-16E-Instruct']);
      assert.deepEqual(c.largerContextModels('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 500_000), ['meta-llama/Llama-4-Scout-17B-16E-Instruct']);
      assert.deepEqual(c.fallbackRoute('deepseek-ai/DeepSeek-V3'), ['deepseek-ai/DeepSeek-V3.1'], 'no override: the default route');
    } finally {
      c.close();
    }
  });

  test('a family override files an unknown id into a family', async () => {
    const c = createCatalog({
      fetchModels: async () => [...LIVE, { id: 'acme/gpt-oss-ft', object: 'model', created: 1, type: 'chat', context_length: 131072 }],
      families: { 'acme/gpt-oss-ft': 'gpt-oss' },
    });
    try {
      await c.list();
      assert.equal(c.familyOf('acme/gpt-oss-ft'), 'gpt-oss');
      assert.deepEqual(c.defaultFallbackRoute('acme/gpt-oss-ft'), ['openai/gpt-oss-120b', 'openai/gpt-oss-20b']);
      assert.ok(c.defaultFallbackRoute('openai/gpt-oss-120b').includes('acme/gpt-oss-ft') === false, 'an id of unknown serverless status is not a default fallback');
    } finally {
      c.close();
    }
  });
});
