// onContextOverflow 'truncate': for every tokenizer family, a chat over a small context is cut to fit exactly —
// counted with the model's own tokenizer and chat template, within a few tokens of the limit — and the emulator's
// own context check (completionBudget) accepts it. Old turns go first (tool pairs together), then the middle of the
// longest message.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TOKENIZER_FAMILIES, countChatTokens, familyForModel, loadTokenizer } from '../../src/tokens/index.js';
import type { ChatMessageLike, TokenizerFamily } from '../../src/tokens/index.js';
import { checkBody } from '../../src/pipeline/check-body.js';
import { preflight } from '../../src/pipeline/preflight.js';
import { TRUNCATION_MARKER, cutMiddle, droppableGroups, truncateChat } from '../../src/pipeline/truncate.js';
import { completionBudget } from '../../src/emulator/text-inference.js';

const catalog = JSON.parse(readFileSync(new URL('../../data/together-models.json', import.meta.url), 'utf8')) as { models: { id: string; type: string }[] };

/** A chat model of the catalog whose tokenizer family is `family`. */
function modelOf(family: TokenizerFamily): string {
  const found = catalog.models.find((m) => (m.type === 'chat' || m.type === 'language') && familyForModel(m.id) === family);
  assert.ok(found, `the catalog has a model of family ${family}`);
  return found.id;
}

const prose = 'The pacer keeps requests under the dynamic rate; retries spend a budget, and circuits open on hard failures. ';

function conversation(longTurn: string): ChatMessageLike[] {
  return [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: prose.repeat(5) },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"rate"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: prose.repeat(3) },
    { role: 'assistant', content: prose.repeat(4) },
    { role: 'user', content: longTurn },
  ];
}

describe("onContextOverflow 'truncate'", () => {
  before(async () => {
    await Promise.all(TOKENIZER_FAMILIES.map((family) => loadTokenizer(family)));
  });

  test('old turns group oldest first, a tool call with its results; system and the last user turn stay', () => {
    assert.deepEqual(droppableGroups(conversation('x')), [[1], [2, 3], [4]]);
    assert.deepEqual(droppableGroups([{ role: 'user', content: 'only' }]), []);
  });

  test('cutMiddle keeps both ends and never splits a surrogate pair', () => {
    assert.equal(cutMiddle('abcdefgh', 4), `ab${TRUNCATION_MARKER}gh`);
    assert.equal(cutMiddle('abc', 10), 'abc');
    const cut = cutMiddle('🙂🙂🙂🙂', 3);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(cut), 'no lone surrogate');
  });

  for (const family of TOKENIZER_FAMILIES) {
    test(`exact for ${family}: fits prompt + max_tokens ≤ context, within a few tokens, and the emulator accepts it`, async () => {
      const model = modelOf(family);
      const messages = conversation(prose.repeat(60));
      const before = await countChatTokens(model, messages);
      assert.ok(before.exact, `${family} counts exactly`);
      const maxTokens = 64;
      const limit = Math.floor(before.tokens / 2) + maxTokens; // well over: drop all old turns, then cut
      const checked = checkBody('chat', { model, messages, max_tokens: maxTokens });
      assert.ok(!(checked instanceof Error));
      const refused = await preflight(checked, { id: model, contextLength: limit }, false);
      assert.ok(!refused.fits, 'over the context without truncation');
      const result = await preflight(checked, { id: model, contextLength: limit }, 'truncate');
      assert.ok(result.fits, 'truncation makes it fit');
      const truncation = result.plan.truncation;
      assert.ok(truncation);
      assert.equal(truncation.droppedMessages, 4, 'every old turn dropped, the tool pair with them');
      assert.equal(truncation.tokensBefore, before.tokens);
      const sent = truncation.messages;
      assert.deepEqual(sent.map((m) => m.role), ['system', 'user']);
      assert.equal(truncation.cutMessageIndex, 1);
      assert.ok(String(sent[1]?.content).includes(TRUNCATION_MARKER));
      const after = (await countChatTokens(model, sent)).tokens;
      assert.equal(after, truncation.tokensAfter, 'the reported count is the real one');
      assert.ok(after + maxTokens <= limit, `${after} + ${maxTokens} ≤ ${limit}`);
      assert.ok(limit - maxTokens - after <= 6, `within a few tokens of the limit (${limit - maxTokens - after} short)`);
      assert.ok(completionBudget(limit, after, maxTokens, 'error').ok, 'the emulator accepts it');
    });
  }

  test('dropping old turns is enough when it is: no cut, only as many turns as needed go', async () => {
    const model = modelOf('llama3_1');
    const messages = conversation('What now?');
    const full = (await countChatTokens(model, messages)).tokens;
    const limit = full - 20 + 16; // a little over with max_tokens 16: the oldest turn goes, not all
    const truncation = await truncateChat(model, messages, limit - 16);
    assert.ok(truncation);
    assert.equal(truncation.cutMessageIndex, undefined);
    assert.equal(truncation.droppedMessages, 1);
    assert.ok(truncation.tokensAfter <= limit - 16);
  });

  test("Together's own context_length_exceeded_behavior is neither refused nor altered", async () => {
    const model = modelOf('llama3_1');
    const messages = [{ role: 'user', content: prose.repeat(100) }];
    for (const mode of [false, 'clamp', 'truncate'] as const) {
      const checked = checkBody('chat', { model, messages, max_tokens: 64, context_length_exceeded_behavior: 'truncate' });
      assert.ok(!(checked instanceof Error));
      const result = await preflight(checked, { id: model, contextLength: 512 }, mode);
      assert.ok(result.fits, `passes under ${String(mode)}`);
      assert.equal(result.plan.truncation, undefined);
      assert.equal(result.plan.clampedFrom, undefined);
    }
  });

  test('a chat that cannot fit even with its longest message cut to a marker is refused with what was tried', async () => {
    const model = modelOf('llama3_1');
    const messages = [{ role: 'system', content: prose.repeat(40) }, { role: 'user', content: prose.repeat(30) }];
    const checked = checkBody('chat', { model, messages, max_tokens: 8 });
    assert.ok(!(checked instanceof Error));
    const result = await preflight(checked, { id: model, contextLength: 200 }, 'truncate');
    assert.ok(!result.fits);
    assert.match(result.facts.tried ?? '', /Truncating cannot help/);
  });
});
