// Issue 15 (the class behind failure 2: work a client's input can make unbounded): a prompt far larger than any
// context was tokenized whole before it was refused — 5 to 22 s of tokenizer time for a 9 MB prompt (~0.5 µs a byte,
// 1.5 for CJK). Past PREFIX_BYTES_PER_TOKEN bytes per context token, the prompt's first part is counted first; when it
// alone fills the context the request is refused on that count ("at least N tokens"). Repetitive text that the prefix
// does not prove too long is still counted whole, so nothing Together would accept is refused.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countChatTokens, loadTokenizer } from '../../src/tokens/index.js';
import { checkBody } from '../../src/pipeline/check-body.js';
import type { CheckedBody } from '../../src/pipeline/check-body.js';
import { contextOverflowError } from '../../src/pipeline/errors.js';
import { PREFIX_BYTES_PER_TOKEN, countPromptPrefix, preflight } from '../../src/pipeline/preflight.js';
import { MODEL } from './helpers.js';

const CONTEXT = 131_072;
const model = { id: MODEL, contextLength: CONTEXT };

function checked(endpoint: 'chat' | 'completions', body: Record<string, unknown>): CheckedBody {
  const result = checkBody(endpoint, { model: MODEL, ...body });
  assert.ok(!(result instanceof Error), 'a valid body');
  return result;
}

describe('preflight counts a huge prompt on its first part', () => {
  before(async () => {
    await loadTokenizer('llama3_1');
  });

  test('a 9 MB chat is refused on a prefix count, at once, with "at least" numbers', async () => {
    const body = checked('chat', { messages: [{ role: 'user', content: 'hello '.repeat(1_500_000) }], max_tokens: 16 });
    const started = performance.now();
    const result = await preflight(body, model, false);
    const ms = performance.now() - started;
    assert.equal(result.fits, false);
    if (result.fits) return;
    assert.ok(result.facts.promptTokens >= CONTEXT, `${result.facts.promptTokens} tokens counted`);
    assert.equal(result.facts.countedChars !== undefined && result.facts.countedChars <= CONTEXT * PREFIX_BYTES_PER_TOKEN, true);
    const message = contextOverflowError(result.facts).message;
    assert.match(message, /^Prompt \(at least \d+ tokens in its first \d+ characters alone\) \+ max_tokens \(16\) = at least \d+ exceeds the 131072-token context/);
    // Whole, this prompt took 5-22 s to count on this machine; the prefix is a ninth of it.
    assert.ok(ms < 4_000, `refused in ${ms.toFixed(0)} ms`);
  });

  test('completions take the same path', async () => {
    const body = checked('completions', { prompt: 'The quick brown fox. '.repeat(200_000), max_tokens: 8 });
    const result = await preflight(body, model, true);
    assert.equal(result.fits, false);
    if (!result.fits) assert.match(result.facts.tried ?? '', /prompt alone fills the context/);
  });

  test('the prefix count never exceeds the whole count', async () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Ünïcödé text, 速率限制 and code(x) => x + 1; '.repeat(400) }];
    const whole = (await countChatTokens(MODEL, messages)).tokens;
    for (const chars of [100, 1_000, 5_000, 12_000]) {
      const prefix = await countPromptPrefix(checked('chat', { messages }), MODEL, chars);
      assert.ok(prefix !== undefined && prefix.tokens <= whole, `${prefix?.tokens} of ${whole} at ${chars}`);
    }
  });

  test('repetitive text the prefix cannot prove too long is counted whole, and fits', async () => {
    // 2 MB of spaces: past the prefix threshold (1 MB), but ~16k tokens: it fits the 131k context.
    const body = checked('chat', { messages: [{ role: 'user', content: `start${' '.repeat(2_000_000)}end` }], max_tokens: 16 });
    const result = await preflight(body, model, false);
    assert.equal(result.fits, true);
    assert.ok(result.plan.counted && result.plan.exact && result.plan.promptTokens < CONTEXT);
  });
});
