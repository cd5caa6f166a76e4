// The emulator's generated text: a 'length' answer uses max_tokens exactly, as Together's does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateText } from '../../src/emulator/generate.js';
import { countTextTokens } from '../../src/tokens/index.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const countTokens = async (text: string): Promise<number> => (await countTextTokens(MODEL, text)).tokens;

test("a 'length' finish has exactly max_tokens completion tokens, cutting into a word where the budget ends there", async () => {
  const short: string[] = [];
  let lengthFinishes = 0;
  let midWord = 0;
  // 200 drafts: cutting at whole words alone left 20 of them a token short (a word of two tokens at the end).
  for (let prompt = 0; prompt < 40; prompt++) {
    for (const max of [2, 5, 9, 14, 20]) {
      const full = await generateText({ emulatorSeed: 5, model: MODEL, prompt: `p${prompt}`, choiceIndex: 0, countTokens });
      const cut = await generateText({ emulatorSeed: 5, model: MODEL, prompt: `p${prompt}`, choiceIndex: 0, maxTokens: max, countTokens });
      if (cut.finishReason !== 'length') continue;
      lengthFinishes++;
      assert.ok(full.text.startsWith(cut.text), 'the cut answer is a prefix of the whole one');
      assert.equal(cut.completionTokens, await countTokens(cut.text));
      if (cut.completionTokens !== max) short.push(`max ${max}: ${cut.completionTokens} ${JSON.stringify(cut.text)}`);
      if (!/[\s.]$/.test(cut.text) && !full.text.slice(cut.text.length).startsWith(' ')) midWord++;
    }
  }
  assert.ok(lengthFinishes > 100, `only ${lengthFinishes} drafts were cut`);
  assert.deepEqual(short, []);
  assert.ok(midWord > 0, 'some answers end inside a word');
});

test('an answer that fits is whole, with finish_reason stop', async () => {
  const whole = await generateText({ emulatorSeed: 5, model: MODEL, prompt: 'p1', choiceIndex: 0, maxTokens: 10_000, countTokens });
  assert.equal(whole.finishReason, 'stop');
  assert.equal(whole.text, whole.pieces.join(''));
  assert.equal(whole.completionTokens, await countTokens(whole.text));
});
