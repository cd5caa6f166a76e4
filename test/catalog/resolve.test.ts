import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelInfo } from '../../src/api/index.js';
import { createCatalog, plannedContextLength, type Resolution } from '../../src/catalog/index.js';
import { liveListFromSnapshot } from './live-list.js';

const LIVE = liveListFromSnapshot();

function refused(resolution: Resolution) {
  assert.equal(resolution.ok, false, `expected a refusal, got ${JSON.stringify(resolution)}`);
  if (resolution.ok) throw new Error('unreachable');
  return resolution;
}

describe('resolve against the live list', () => {
  const catalog = createCatalog({ fetchModels: async () => LIVE });
  after(() => catalog.close());

  test('an exact id resolves, merged with the snapshot', async () => {
    const resolution = await catalog.resolve('meta-llama/Llama-3.3-70B-Instruct-Turbo');
    assert.equal(resolution.ok, true);
    if (!resolution.ok) return;
    assert.equal(resolution.listSource, 'live');
    assert.equal(resolution.migratedFrom, undefined);
    const model = resolution.model;
    assert.equal(model.id, 'meta-llama/Llama-3.3-70B-Instruct-Turbo');
    assert.equal(model.family, 'llama-3.3');
    assert.equal(model.tokenizer, 'llama3_1');
    assert.equal(model.contextLength, 131072);
    assert.deepEqual(model.pricing, { input: 0.88, output: 0.88 });
    assert.equal(model.serverless, true);
    assert.equal(model.batch, true);
    assert.equal(model.type, 'chat');
    assert.equal(model.source, 'live');
  });

  test('Qwen/Qwen2.5-72B-Instruct-Turbo resolves exactly, planned at the context the model list reports', async () => {
    const resolution = await catalog.resolve('Qwen/Qwen2.5-72B-Instruct-Turbo');
    assert.ok(resolution.ok);
    assert.deepEqual(resolution.model.contextLengthSources, { api: 131072, docs: 32768 });
    assert.equal(resolution.model.contextLength, 131072);
  });

  test('a near-miss id is refused, never fixed, with the closest ids suggested', async () => {
    const cases: Array<[string, string]> = [
      ['meta-llama/Meta-Llama-3.1-8B-Instruct', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'],
      ['meta-llama/llama-3.3-70b-instruct-turbo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'],
      ['Llama-3.3-70B-Instruct-Turbo', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'],
    ];
    for (const [id, best] of cases) {
      const r = refused(await catalog.resolve(id));
      assert.equal(r.reason, 'unknown');
      assert.equal(r.suggestions[0], best);
      assert.ok(r.message.includes(`Did you mean "${best}"?`), r.message);
      assert.ok(r.fix.includes(best));
    }
  });

  test('an id close to nothing says so', async () => {
    const r = refused(await catalog.resolve('gpt-4o'));
    assert.deepEqual(r.suggestions, []);
    assert.match(r.fix, /tether models/);
  });

  test('a deprecated id is stopped with its successor named, or migrated when allowed', async () => {
    const id = 'meta-llama/Llama-3-8b-chat-hf';
    const r = refused(await catalog.resolve(id));
    assert.equal(r.reason, 'deprecated');
    assert.equal(r.successor, 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
    assert.deepEqual(r.suggestions, ['meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo']);
    assert.match(r.message, /deprecated on 2025-08-28; its successor is "meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo"/);
    assert.match(r.fix, /allowSuccessor/);

    const migrated = await catalog.migrate(id, { allowSuccessor: true });
    assert.ok(migrated.ok);
    assert.equal(migrated.migratedFrom, id);
    assert.equal(migrated.model.id, 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
    assert.equal(refused(await catalog.migrate(id, { allowSuccessor: false })).reason, 'deprecated');
  });

  test('a deprecated id without a successor is refused even when migration is allowed', async () => {
    const r = refused(await catalog.migrate('togethercomputer/evo-1-131k-base', { allowSuccessor: true }));
    assert.equal(r.reason, 'deprecated');
    assert.equal(r.successor, undefined);
    assert.match(r.message, /no named successor/);
  });

  test('a mis-cased deprecated id suggests the successor, not the dead id', async () => {
    const r = refused(await catalog.resolve('meta-llama/llama-guard-7b'));
    assert.equal(r.reason, 'unknown');
    assert.equal(r.suggestions[0], 'meta-llama/Meta-Llama-Guard-3-8B');
  });

  test('a listed id that is not serverless is refused with serverless alternatives', async () => {
    const r = refused(await catalog.resolve('Qwen/Qwen2.5-72B-Instruct'));
    assert.equal(r.reason, 'not_serverless');
    assert.equal(r.suggestions[0], 'Qwen/Qwen2.5-72B-Instruct-Turbo');
    assert.match(r.message, /dedicated endpoint/);
    // Listed, not serverless, and deprecated: the successor comes first.
    const d = refused(await catalog.resolve('meta-llama/Meta-Llama-3-8B-Instruct'));
    assert.equal(d.reason, 'not_serverless');
    assert.equal(d.successor, 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
    assert.equal(d.suggestions[0], 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
  });

  test('a model only the live list knows resolves (the live list is the truth)', async () => {
    const withNew = createCatalog({
      fetchModels: async () => [...LIVE, { id: 'acme/brand-new-70b', object: 'model', created: 2, type: 'chat', context_length: 65536 } satisfies ModelInfo],
    });
    try {
      const r = await withNew.resolve('acme/brand-new-70b');
      assert.ok(r.ok);
      assert.equal(r.model.inSnapshot, false);
      assert.equal(r.model.family, undefined);
      assert.equal(r.model.contextLength, 65536);
      assert.equal(r.model.serverless, undefined);
      // An id in the snapshot but gone from the live list is unknown now.
      const gone = createCatalog({ fetchModels: async () => LIVE.filter((m) => m.id !== 'openai/gpt-oss-20b') });
      try {
        const r2 = refused(await gone.resolve('openai/gpt-oss-20b'));
        assert.equal(r2.reason, 'unknown');
        assert.equal(r2.suggestions[0], 'openai/gpt-oss-120b');
      } finally {
        gone.close();
      }
    } finally {
      withNew.close();
    }
  });

  test('live values win over the snapshot where the live list states them', async () => {
    const changed = LIVE.map((m) =>
      m.id === 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' ? { ...m, context_length: 65536, pricing: { ...m.pricing!, input: 0.2, output: 0.25 } } : m,
    );
    const c = createCatalog({ fetchModels: async () => changed });
    try {
      const r = await c.resolve('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
      assert.ok(r.ok);
      assert.equal(r.model.contextLength, 65536);
      assert.deepEqual(r.model.pricing, { input: 0.2, output: 0.25 });
    } finally {
      c.close();
    }
  });
});

describe('account tier and dedicated endpoints', () => {
  test('a tier-gated id is refused below its tier and allowed at or above it, or when the tier is unknown', async () => {
    const tier1 = createCatalog({ fetchModels: async () => LIVE, accountTier: 1 });
    const tier2 = createCatalog({ fetchModels: async () => LIVE, accountTier: 2 });
    const unknownTier = createCatalog({ fetchModels: async () => LIVE });
    try {
      const r = refused(await tier1.resolve('black-forest-labs/FLUX.1.1-pro'));
      assert.equal(r.reason, 'tier_gated');
      assert.match(r.message, /needs build tier 2 or above; this account is tier 1/);
      assert.ok(r.suggestions.length > 0 && !r.suggestions.includes('black-forest-labs/FLUX.1-kontext-pro'), JSON.stringify(r.suggestions));
      assert.equal((await tier2.resolve('black-forest-labs/FLUX.1.1-pro')).ok, true);
      const open = await unknownTier.resolve('black-forest-labs/FLUX.1.1-pro');
      assert.ok(open.ok);
      assert.equal(open.model.minTier, 2);
    } finally {
      tier1.close();
      tier2.close();
      unknownTier.close();
    }
  });

  test('a declared dedicated endpoint makes a non-serverless id usable', async () => {
    const c = createCatalog({ fetchModels: async () => LIVE, dedicated: ['Qwen/Qwen2.5-72B-Instruct'] });
    try {
      assert.equal((await c.resolve('Qwen/Qwen2.5-72B-Instruct')).ok, true);
    } finally {
      c.close();
    }
  });
});

test('plannedContextLength takes the model list\'s value, the docs\' only when the list has none', () => {
  assert.equal(plannedContextLength(131072, 32768), 131072);
  assert.equal(plannedContextLength(16384, 32768), 16384);
  assert.equal(plannedContextLength(undefined, 8192), 8192);
  assert.equal(plannedContextLength(4096, undefined), 4096);
  assert.equal(plannedContextLength(undefined, undefined), undefined);
});
