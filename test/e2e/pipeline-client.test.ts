// createClient against the emulator: the typed calls a library user makes, streamed and not, and its hooks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { TogetherError, createClient } from '../../src/index.js';
import type { TetherClient } from '../../src/index.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const EMBEDDING = 'BAAI/bge-base-en-v1.5';
const KEY = 'tk-client';

let emu: RunningEmulator;
let client: TetherClient;
const outcomes: boolean[] = [];

before(async () => {
  emu = await startEmulator({ port: 0, seed: 2, keys: [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }] });
  client = createClient({ apiKey: KEY, baseUrl: emu.baseUrl, env: {} });
  client.events.on('outcome', (event) => {
    outcomes.push(event.ok);
  });
});

after(async () => {
  await client.close();
  await emu.close();
});

test('chat: JSON, then streamed with usage and cost when it ends', async () => {
  const completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 10, seed: 4 });
  assert.equal(completion.object, 'chat.completion');
  const content = completion.choices[0]?.message.content ?? '';
  assert.ok(content.length > 0);

  const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 10, seed: 4, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  assert.equal(text, content, 'the chunks add up to the unstreamed answer');
  const record = await stream.done;
  assert.equal(record.usage?.completion_tokens, completion.usage?.completion_tokens);
  assert.ok((record.costUsd ?? 0) > 0, 'usage x pricing');
  assert.equal(stream.model, MODEL);
});

test('completions (JSON and streamed), embeddings, and the model list', async () => {
  const completion = await client.completions.create({ model: MODEL, prompt: 'The capital of France is', max_tokens: 6 });
  assert.ok((completion.choices[0]?.text ?? '').length > 0);
  const stream = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 6, stream: true });
  let chunks = 0;
  for await (const chunk of stream) if (chunk.choices.length > 0) chunks++;
  assert.ok(chunks > 0);

  const embeddings = await client.embeddings.create({ model: EMBEDDING, input: ['first', 'second'] });
  assert.equal(embeddings.data.length, 2);
  assert.ok((embeddings.data[0]?.embedding.length ?? 0) > 0);

  const models = await client.models.list();
  assert.ok(models.some((m) => m.id === MODEL && m.contextLength === 131_072));
});

test('a bad body is a TogetherError with no upstream call; every call reported one outcome', async () => {
  emu.resetStats();
  await assert.rejects(
    client.chat.completions.create({ model: MODEL, messages: [] }),
    (error) => error instanceof TogetherError && error.category === 'validation' && /messages must contain at least one message/.test(error.message),
  );
  assert.equal(emu.stats().requests, 0);
  assert.deepEqual(outcomes, [true, true, true, true, true, false]);
});

test('after close() nothing is sent', async () => {
  const closing = createClient({ apiKey: KEY, baseUrl: emu.baseUrl, env: {} });
  await closing.close();
  await assert.rejects(
    closing.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    (error) => error instanceof TogetherError && error.code === 'pipeline_closed',
  );
});
