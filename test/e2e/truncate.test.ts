// onContextOverflow 'truncate' end to end: a chat over an 8,192-token model's context goes through the library
// pipeline and the gateway (`policies.preflight`) to the emulator, which counts it with the same tokenizer and
// accepts it; the `truncated` event and the gateway's `x-tether-truncated` header carry the counts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipeline } from '../../src/pipeline/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { PolicyEvent } from '../../src/policy/index.js';
import { KEYS, MODELS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const turn = 'Retries spend a budget; the throttle sheds load before the rate limit does. ';
const messages = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: turn.repeat(50) },
  { role: 'assistant', content: turn.repeat(20) },
  { role: 'user', content: turn.repeat(700) },
];
const body = { model: MODELS.smallContext, messages, max_tokens: 32 };

describe("onContextOverflow 'truncate' against the emulator", () => {
  let emu: Emulator;
  const inference = (): number => emu.stats().byPath['/v1/chat/completions'] ?? 0;

  before(async () => {
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu?.close();
  });

  test('library: the chat is cut to fit, sent once, accepted; the truncated event has the counts', async () => {
    const pipeline = createPipeline({ apiKey: KEYS.main, baseUrl: emu.baseUrl, env: {}, pacing: false, onContextOverflow: 'truncate' });
    const events: PolicyEvent<'truncated'>[] = [];
    pipeline.events.on('truncated', (event) => {
      events.push(event);
    });
    try {
      const sentBefore = inference();
      const result = await pipeline.send({ endpoint: 'chat', body });
      assert.equal(result.status, 200);
      assert.equal(inference() - sentBefore, 1, 'one upstream request, accepted');
      assert.equal(events.length, 1);
      const event = events[0]!;
      assert.equal(event.droppedMessages, 2);
      assert.equal(event.cutMessageIndex, 1);
      assert.ok(event.tokensBefore > MODELS.smallContextLength);
      assert.ok(event.tokensAfter + 32 <= MODELS.smallContextLength && event.tokensAfter + 32 >= MODELS.smallContextLength - 6, String(event.tokensAfter));
      assert.deepEqual(result.truncated, { droppedMessages: 2, cutMessageIndex: 1, tokensBefore: event.tokensBefore, tokensAfter: event.tokensAfter });
      const usage = (result.kind === 'json' ? result.body : undefined) as { usage?: { prompt_tokens?: number } };
      assert.equal(usage.usage?.prompt_tokens, event.tokensAfter, "the emulator's own count is tether's");
    } finally {
      await pipeline.close();
    }
  });

  test('gateway: policies.preflight truncate answers 200 with x-tether-truncated', async () => {
    const gateway = await createGateway(
      { port: 0, logLevel: 'silent', upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main }, policies: { preflight: { onContextOverflow: 'truncate' } } },
      { env: {} },
    );
    try {
      const response = await fetch(`${gateway.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await response.arrayBuffer();
      assert.equal(response.status, 200);
      assert.match(response.headers.get('x-tether-truncated') ?? '', /^dropped=2; cut=1; tokens=\d+->\d+$/);
    } finally {
      await gateway.close();
    }
  });

  test("Together's context_length_exceeded_behavior goes upstream untouched and Together decides", async () => {
    const pipeline = createPipeline({ apiKey: KEYS.main, baseUrl: emu.baseUrl, env: {}, pacing: false, onContextOverflow: 'truncate' });
    let truncatedEvents = 0;
    pipeline.events.on('truncated', () => {
      truncatedEvents++;
    });
    try {
      const result = await pipeline.send({ endpoint: 'chat', body: { ...body, context_length_exceeded_behavior: 'truncate' } });
      assert.equal(result.status, 200, 'the emulator (as Together) truncated it itself');
      assert.equal(truncatedEvents, 0);
      assert.equal(result.truncated, undefined);
    } finally {
      await pipeline.close();
    }
  });
});
