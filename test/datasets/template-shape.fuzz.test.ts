// The template-shape shortcut (src/datasets/template-shape.ts) against full rendering, per family it is used for:
// for random chats with random text, the count by shape equals countChatTokens on the rendered template, or the
// shortcut declines (undefined). Hand-picked boundary texts (leading and trailing whitespace, digits, contractions,
// special-token text, combining marks, NEL, think tags) are checked the same way, and a plain chat must take the
// shortcut. Inputs that ever failed are kept in test/fixtures/fuzz/template-shape-corpus.json and replayed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { countChatTokens, loadTokenizer } from '../../src/tokens/index.js';
import type { ChatMessageLike, TokenizerFamily } from '../../src/tokens/index.js';
import { countByShape, SHAPE_FAMILIES } from '../../src/datasets/template-shape.js';

const SEED = 20261207;
const CORPUS = JSON.parse(readFileSync(new URL('../fixtures/fuzz/template-shape-corpus.json', import.meta.url), 'utf8')) as Array<{ family: TokenizerFamily; messages: ChatMessageLike[] }>;

const TRICKY = [
  'Hello',
  ' leading space',
  'trailing space ',
  '\nleading newline',
  'trailing newline\n',
  "'s contraction",
  '123456 digits',
  '!!\n\n?? punctuation',
  'x<|eot_id|>y',
  '<|im_end|> special',
  'e\u0301 combining',
  '\u0301 leading combining',
  '\u0085nel',
  'emoji 🎉👍 東京',
  'a  b\t\tc',
  '<think>x</think> y',
  'ends in tab\t',
];

async function agree(family: TokenizerFamily, messages: ChatMessageLike[]): Promise<boolean> {
  const fast = await countByShape(family, messages);
  if (fast === undefined) return false;
  const full = await countChatTokens(family, messages, { addGenerationPrompt: false });
  assert.equal(full.exact, true, full.note);
  assert.equal(fast.tokens, full.tokens, JSON.stringify({ family, messages }));
  return true;
}

const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.constantFrom(...TRICKY),
  fc.array(fc.constantFrom('word', ' ', '\n', '12', '.', "'ll", 'é', '🎉', '<|eot_id|>', '\t', 'Ω'), { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')),
);

const chat = fc
  .tuple(fc.boolean(), fc.integer({ min: 1, max: 6 }), fc.array(text, { minLength: 7, maxLength: 7 }))
  .map(([system, turns, texts]) => {
    const messages: ChatMessageLike[] = system ? [{ role: 'system', content: texts[6]! }] : [];
    for (let i = 0; i < turns; i++) messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content: texts[i]! });
    return messages;
  });

for (const family of [...SHAPE_FAMILIES]) {
  describe(`template shape: ${family}`, () => {
    test('loads', async () => {
      const status = await loadTokenizer(family);
      assert.ok(status.available, status.reason);
    });

    test('a plain chat takes the shortcut and matches full rendering', async () => {
      const used = await agree(family, [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'What is 15% of 240?' },
        { role: 'assistant', content: '36.' },
        { role: 'user', content: 'And 20%?' },
        { role: 'assistant', content: '48.' },
      ]);
      assert.ok(used);
    });

    test('boundary texts agree or decline', async () => {
      for (const content of TRICKY) {
        await agree(family, [{ role: 'user', content }, { role: 'assistant', content: 'ok' }]);
        await agree(family, [{ role: 'system', content }, { role: 'user', content: 'q' }, { role: 'assistant', content }]);
      }
    });

    test('random chats agree or decline', async () => {
      let used = 0;
      await fc.assert(
        fc.asyncProperty(chat, async (messages) => {
          if (await agree(family, messages)) used++;
        }),
        { seed: SEED, numRuns: 150 },
      );
      assert.ok(used > 30, `the shortcut was used for ${used} of 150 chats`);
    });
  });
}

describe('template shape corpus', () => {
  for (const [index, entry] of CORPUS.entries()) {
    test(`case ${index}: ${entry.family}`, async () => {
      await agree(entry.family, entry.messages);
    });
  }
});
