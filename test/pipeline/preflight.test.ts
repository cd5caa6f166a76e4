// Preflight: the cheap bound never under-counts, skips tokenization when a request clearly fits, and the policies
// work on exact numbers when it does not.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { countChatTokens, loadTokenizer } from '../../src/tokens/index.js';
import { checkBody } from '../../src/pipeline/check-body.js';
import type { CheckedBody } from '../../src/pipeline/check-body.js';
import { budgetTokens, preflight, promptBound } from '../../src/pipeline/preflight.js';
import { MODEL } from './helpers.js';

const paragraph = (JSON.parse(readFileSync(new URL('../fixtures/token-counts.json', import.meta.url), 'utf8')) as { paragraph: { text: string } }).paragraph.text;

function chat(messages: Array<{ role: string; content: string }>, extra: Record<string, unknown> = {}): CheckedBody {
  const checked = checkBody('chat', { model: MODEL, messages, ...extra });
  assert.ok(!(checked instanceof Error), 'a valid body');
  return checked;
}

const CHATS: Array<Array<{ role: string; content: string }>> = [
  [{ role: 'user', content: 'Hi' }],
  [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Explain TCP slow start.' },
    { role: 'assistant', content: 'It grows the window exponentially until loss.' },
    { role: 'user', content: 'And then?' },
  ],
  [{ role: 'user', content: paragraph }],
  [{ role: 'user', content: 'function f<T>(x: T): T {\n  return x; // identity\n}\n'.repeat(20) }],
  [{ role: 'user', content: '速率限制是什么？请用中文回答。🙂🚀 ' + 'Ünïcödé '.repeat(30) }],
  [{ role: 'user', content: '' }],
];

describe('preflight', () => {
  before(async () => {
    await loadTokenizer('llama3_1');
  });

  test('the cheap bound is never below the exact count', async () => {
    for (const messages of CHATS) {
      const exact = await countChatTokens(MODEL, messages);
      assert.ok(exact.exact);
      const bound = promptBound(chat(messages));
      assert.ok(bound >= exact.tokens, `bound ${bound} < exact ${exact.tokens} for ${JSON.stringify(messages).slice(0, 60)}`);
    }
  });

  test('a request that clearly fits is not tokenized', async () => {
    const result = await preflight(chat([{ role: 'user', content: paragraph }], { max_tokens: 1000 }), { id: MODEL, contextLength: 131_072 }, false);
    assert.ok(result.fits);
    assert.equal(result.plan.counted, false);
  });

  test('near the limit it counts exactly, and clamp lowers max_tokens to exactly what is left', async () => {
    const body = chat([{ role: 'user', content: paragraph }], { max_tokens: 3000 });
    const exact = (await countChatTokens(MODEL, [{ role: 'user', content: paragraph }])).tokens;
    const limit = exact + 2000;
    const refused = await preflight(body, { id: MODEL, contextLength: limit }, false);
    assert.ok(!refused.fits);
    assert.deepEqual({ ...refused.facts, exact: true }, { model: MODEL, limit, promptTokens: exact, maxTokens: 3000, exact: true });
    const clamped = await preflight(body, { id: MODEL, contextLength: limit }, true);
    assert.ok(clamped.fits);
    assert.equal(clamped.plan.counted, true);
    assert.equal(clamped.plan.maxTokens, 2000);
    assert.equal(clamped.plan.clampedFrom, 3000);
  });

  test('a prompt that alone fills the context cannot be clamped', async () => {
    const result = await preflight(chat([{ role: 'user', content: paragraph }], { max_tokens: 10 }), { id: MODEL, contextLength: 100 }, true);
    assert.ok(!result.fits);
    assert.match(result.facts.tried ?? '', /prompt alone/);
  });

  test('without max_tokens the prompt must leave room for one token (Together fills the rest)', async () => {
    const exact = (await countChatTokens(MODEL, [{ role: 'user', content: paragraph }])).tokens;
    const body = chat([{ role: 'user', content: paragraph }]);
    assert.ok((await preflight(body, { id: MODEL, contextLength: exact + 1 }, false)).fits);
    const full = await preflight(body, { id: MODEL, contextLength: exact }, false);
    assert.ok(!full.fits && full.facts.maxTokens === 1);
    // The budget charges an assumed completion rather than the whole context.
    const fits = await preflight(body, { id: MODEL, contextLength: exact + 1 }, false);
    assert.equal(budgetTokens(fits.plan, 512), exact + 512);
  });

  test('an estimate (no tokenizer for the model) never stops a request', async () => {
    const checked = checkBody('chat', { model: 'acme/unknown-family-70b', messages: [{ role: 'user', content: paragraph }], max_tokens: 10 });
    assert.ok(!(checked instanceof Error));
    const result = await preflight(checked, { id: 'acme/unknown-family-70b', contextLength: 1000 }, false);
    assert.ok(result.fits);
    assert.equal(result.plan.exact, false);
  });
});
