// Context limits: planned with the limit Together enforces (the model list's context_length), and corrected
// from Together's own answers through catalog.learnContextLimit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextLimitFromMessage, createCatalog, loadSnapshot } from '../../src/catalog/index.js';
import { liveListFromSnapshot } from './live-list.js';

const MISTRAL = 'mistralai/Mistral-7B-Instruct-v0.1';

function liveCatalog(): ReturnType<typeof createCatalog> {
  return createCatalog({ fetchModels: async () => liveListFromSnapshot() });
}

test('every model whose docs and API disagree plans with the API (model list) context_length', async () => {
  const catalog = liveCatalog();
  const differing = loadSnapshot().models.filter((m) => m.context_length_docs !== undefined);
  assert.equal(differing.length, 13);
  for (const known of differing) {
    const resolution = await catalog.resolve(known.id);
    assert.ok(resolution.ok, known.id);
    assert.equal(resolution.model.contextLength, known.context_length, known.id);
  }
  const mistral = await catalog.resolve(MISTRAL);
  assert.ok(mistral.ok);
  assert.equal(mistral.model.contextLength, 32768);
  catalog.close();
});

test('the snapshot alone (live list down) plans with the same context_length', async () => {
  const catalog = createCatalog({ fetchModels: async () => Promise.reject(new Error('offline')), onRefreshError: () => {} });
  const mistral = await catalog.resolve(MISTRAL);
  assert.ok(mistral.ok);
  assert.equal(mistral.listSource, 'snapshot');
  assert.equal(mistral.model.contextLength, 32768);
  catalog.close();
});

test('a context error naming the limit sets it; get, resolve and list all plan with it', async () => {
  const catalog = liveCatalog();
  await catalog.refresh();
  const learned = catalog.learnContextLimit(MISTRAL, { outcome: 'rejected', tokens: 12_009, limit: 8192 });
  assert.deepEqual(learned, { model: MISTRAL, before: 32768, after: 8192, changed: true });
  assert.equal(catalog.get(MISTRAL)?.contextLength, 8192);
  assert.equal(catalog.get(MISTRAL)?.contextLengthSources.learned, 8192);
  const resolution = await catalog.resolve(MISTRAL);
  assert.ok(resolution.ok);
  assert.equal(resolution.model.contextLength, 8192);
  assert.equal((await catalog.list()).find((m) => m.id === MISTRAL)?.contextLength, 8192);
  // Other models are untouched.
  assert.equal(catalog.get('Qwen/QwQ-32B')?.contextLength, 131072);
  assert.deepEqual(catalog.learnedContextLimits(), { [MISTRAL]: { atLeast: 8192, atMost: 8192 } });
  catalog.close();
});

test('a context error without a stated limit lowers it below the refused request', async () => {
  const catalog = liveCatalog();
  await catalog.refresh();
  const learned = catalog.learnContextLimit('Qwen/QwQ-32B', { outcome: 'rejected', tokens: 40_000 });
  assert.equal(learned.after, 39_999);
  assert.equal(catalog.get('Qwen/QwQ-32B')?.contextLength, 39_999);
  // A refusal at a size already over the learned limit says nothing new.
  assert.equal(catalog.learnContextLimit('Qwen/QwQ-32B', { outcome: 'rejected', tokens: 50_000 }).changed, false);
  catalog.close();
});

test('a success above the assumed limit raises it; one below it changes nothing', async () => {
  const catalog = liveCatalog();
  await catalog.refresh();
  assert.equal(catalog.learnContextLimit('Qwen/Qwen2.5-Coder-32B-Instruct', { outcome: 'accepted', tokens: 10_000 }).changed, false);
  const raised = catalog.learnContextLimit('Qwen/Qwen2.5-Coder-32B-Instruct', { outcome: 'accepted', tokens: 20_000 });
  assert.deepEqual(raised, { model: 'Qwen/Qwen2.5-Coder-32B-Instruct', before: 16384, after: 20_000, changed: true });
  assert.equal(catalog.get('Qwen/Qwen2.5-Coder-32B-Instruct')?.contextLength, 20_000);
  catalog.close();
});

test('the newest answer wins over an older, contradicting one', async () => {
  const catalog = liveCatalog();
  await catalog.refresh();
  catalog.learnContextLimit(MISTRAL, { outcome: 'rejected', tokens: 9000 });
  assert.equal(catalog.get(MISTRAL)?.contextLength, 8999);
  // Together has since served a larger request: its limit is at least that.
  catalog.learnContextLimit(MISTRAL, { outcome: 'accepted', tokens: 12_009 });
  assert.equal(catalog.get(MISTRAL)?.contextLength, 32768, 'back to the published limit, which the success does not contradict');
  catalog.learnContextLimit(MISTRAL, { outcome: 'rejected', tokens: 10_000 });
  assert.equal(catalog.get(MISTRAL)?.contextLength, 9999);
  catalog.close();
});

test('learning a model the catalog does not list still plans with the answer', async () => {
  const catalog = liveCatalog();
  await catalog.refresh();
  const learned = catalog.learnContextLimit('acme/custom-endpoint', { outcome: 'accepted', tokens: 5000 });
  assert.deepEqual(learned, { model: 'acme/custom-endpoint', before: undefined, after: 5000, changed: true });
  catalog.close();
});

test('malformed observations get a TypeError saying what to send', () => {
  const catalog = liveCatalog();
  const bad: unknown[] = [
    null,
    { outcome: 'maybe', tokens: 10 },
    { outcome: 'accepted', tokens: -1 },
    { outcome: 'accepted', tokens: 1.5 },
    { outcome: 'accepted', tokens: Number.NaN },
    { outcome: 'rejected', tokens: 10, limit: 0 },
    { outcome: 'accepted', tokens: 1e12 },
  ];
  for (const observation of bad) {
    assert.throws(
      () => catalog.learnContextLimit(MISTRAL, observation as never),
      (error: unknown) => error instanceof TypeError && /learnContextLimit/.test(error.message),
      JSON.stringify(observation),
    );
  }
  assert.throws(() => catalog.learnContextLimit('', { outcome: 'accepted', tokens: 1 }), TypeError);
  assert.deepEqual(catalog.learnedContextLimits(), {});
  catalog.close();
});

test('contextLimitFromMessage reads Together\'s context error', () => {
  assert.deepEqual(
    contextLimitFromMessage('Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3997 `inputs` tokens and 100 `max_new_tokens`'),
    { limit: 4096, inputTokens: 3997, maxNewTokens: 100 },
  );
  assert.deepEqual(contextLimitFromMessage("This model's maximum context length is 8192 tokens."), { limit: 8192 });
  assert.equal(contextLimitFromMessage('Credit limit exceeded.'), undefined);
});

test('onContextLimitLearned hears each change (for sharing it), not observations that change nothing', async () => {
  const heard: Array<[number | undefined, string]> = [];
  const catalog = createCatalog({
    fetchModels: async () => liveListFromSnapshot(),
    onContextLimitLearned: (learned, observation) => heard.push([learned.after, observation.outcome]),
  });
  await catalog.refresh();
  catalog.learnContextLimit(MISTRAL, { outcome: 'accepted', tokens: 1000 });
  catalog.learnContextLimit(MISTRAL, { outcome: 'rejected', tokens: 20_000 });
  catalog.learnContextLimit(MISTRAL, { outcome: 'rejected', tokens: 25_000 });
  assert.deepEqual(heard, [[19_999, 'rejected']]);
  catalog.close();
});
