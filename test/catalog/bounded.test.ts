// Issue 15, failure 2 in the catalog: a long model id is refused before any lookup, "did you mean" work is bounded
// whatever the input, and a refusal never repeats a long id whole.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MODEL_ID_LENGTH, MAX_SUGGEST_QUERY, createCatalog, similarity, suggest } from '../../src/catalog/index.js';
import { liveListFromSnapshot } from './live-list.js';

const LIVE = liveListFromSnapshot();
const IDS = LIVE.map((m) => m.id);

describe('bounded model id handling', () => {
  const catalog = createCatalog({ fetchModels: async () => LIVE });
  after(() => catalog.close());

  test('the cap is far above every real id', () => {
    const longest = Math.max(...IDS.map((id) => id.length));
    assert.ok(longest < 64, `longest id ${longest}`);
    assert.ok(MAX_MODEL_ID_LENGTH >= 4 * longest);
    assert.ok(MAX_SUGGEST_QUERY >= 2 * longest);
  });

  test('a 200 KB id is refused at once, without suggestions, and not repeated', async () => {
    const id = 'meta-llama/' + 'z'.repeat(200_000);
    const started = performance.now();
    const resolution = await catalog.resolve(id);
    const ms = performance.now() - started;
    assert.ok(ms < 200, `took ${ms.toFixed(0)} ms`);
    assert.equal(resolution.ok, false);
    if (resolution.ok) return;
    assert.deepEqual(resolution.suggestions, []);
    assert.match(resolution.message, new RegExp(`200011 characters long; Together model ids are at most ${MAX_MODEL_ID_LENGTH}`));
    assert.ok(resolution.message.length < 400 && resolution.id.length <= 100);
  });

  test('an unknown id under the cap: bounded work, and quoted only in part', async () => {
    const id = 'meta-llama/Llama-3.3-70B-' + 'w'.repeat(MAX_MODEL_ID_LENGTH - 30);
    const resolution = await catalog.resolve(id);
    assert.equal(resolution.ok, false);
    if (resolution.ok) return;
    assert.ok(!resolution.message.includes(id), 'the whole id was quoted');
    assert.match(resolution.message, /…" \(\d+ characters\)/);
  });

  test('suggest: a query of any length costs little, and real typos still match', () => {
    for (const length of [1_000, 10_000, 200_000]) {
      const started = performance.now();
      assert.deepEqual(suggest('x'.repeat(length), IDS), []);
      assert.equal(similarity('y'.repeat(length), IDS[0]!), Infinity);
      assert.ok(performance.now() - started < 50, `length ${length}`);
    }
    // Under the query cap, the length gate keeps the work per candidate small.
    const started = performance.now();
    suggest('a-b-c-d-e-f-'.repeat(10), IDS);
    assert.ok(performance.now() - started < 200);
    assert.equal(suggest('meta-llama/Llama-3.3-70B-Instruct-Trubo', IDS)[0], 'meta-llama/Llama-3.3-70B-Instruct-Turbo');
  });
});
