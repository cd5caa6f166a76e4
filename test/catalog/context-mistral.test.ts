// The case end to end: a ~12,000-token prompt to Mistral-7B-Instruct-v0.1, which Together's model list
// gives 32,768 tokens of context (its docs say 8,192). Together serves it, so tether must send it, and the
// emulator must enforce the same context_length its model list reports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { countChatTokens } from '../../src/tokens/index.js';
import { createClient } from '../../src/index.js';
import type { TetherClient } from '../../src/index.js';

const MISTRAL = 'mistralai/Mistral-7B-Instruct-v0.1';
const KEY = 'tk-context';

let emu: RunningEmulator;
let client: TetherClient;

before(async () => {
  emu = await startEmulator({ port: 0, seed: 3, keys: [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }] });
  client = createClient({ apiKey: KEY, baseUrl: emu.baseUrl, env: {} });
});

after(async () => {
  await client.close();
  await emu.close();
});

let prompt: Promise<{ content: string; counted: number }> | undefined;

/** A user message of at least 12,009 tokens (and only a little more) in Mistral's tokenizer, built once. */
function prompt12009(): Promise<{ content: string; counted: number }> {
  prompt ??= (async () => {
    const sentence = 'The quick brown fox jumps over the lazy dog near the riverbank. ';
    const count = async (repeat: number): Promise<number> => (await countChatTokens(MISTRAL, [{ role: 'user', content: sentence.repeat(repeat) }])).tokens;
    const base = await count(100);
    const perSentence = ((await count(200)) - base) / 100;
    let repeat = 100 + Math.ceil((12_009 - base) / perSentence);
    while ((await count(repeat)) < 12_009) repeat++;
    return { content: sentence.repeat(repeat), counted: await count(repeat) };
  })();
  return prompt;
}

test('the model list and the emulator agree on Mistral-7B-Instruct-v0.1: 32,768 tokens', async () => {
  const listed = (await client.models.list()).find((m) => m.id === MISTRAL);
  assert.equal(listed?.contextLength, 32768);
  const raw = (await (await fetch(`${emu.baseUrl}/models`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Array<{ id: string; context_length?: number }>;
  assert.equal(raw.find((m) => m.id === MISTRAL)?.context_length, 32768);
});

test('a 12,009-token prompt to Mistral-7B-Instruct-v0.1 gets 200 through createClient', async () => {
  const { content, counted } = await prompt12009();
  assert.ok(counted > 8192 && counted < 12_200, `prompt is ${counted} tokens`);
  const completion = await client.chat.completions.create({ model: MISTRAL, messages: [{ role: 'user', content }], max_tokens: 16 });
  assert.equal(completion.object, 'chat.completion');
  assert.ok((completion.usage?.prompt_tokens ?? 0) > 8192, `the emulator counted ${completion.usage?.prompt_tokens} prompt tokens`);
});

test('the emulator enforces the listed 32,768: a prompt past it is Together\'s 400 naming that limit', async () => {
  const { content } = await prompt12009();
  const response = await fetch(`${emu.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MISTRAL, messages: [{ role: 'user', content: content.repeat(3) }], max_tokens: 16 }),
  });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { error: { message: string } };
  assert.match(body.error.message, /must be <= 32768/);
});
