// Issue 15 red-team pass: `/v1/chat/completions/` (a trailing slash, which Together and the emulator serve as the same
// endpoint) had no exact route, so it went to the pass-through: straight upstream, around every pipeline stage (the
// body bounds, preflight, pacing, breakers, retries). A modelled route is now matched with or without the slash.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { KEYS, MODELS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

describe('gateway routes with a trailing slash', () => {
  let emu: Emulator;
  let gateway: RunningGateway;
  before(async () => {
    emu = await startTestEmulator();
    gateway = await createGateway({ port: 0, logLevel: 'silent', upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main } }, { env: {} });
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  test('a body past the gateway bounds on /v1/chat/completions/ is refused by the gateway, never sent', async () => {
    const before = emu.stats().inferenceCalls;
    const body = { model: MODELS.chat, messages: [{ role: 'user', content: 'hi' }], stop: Array.from({ length: 100 }, (_, i) => `s${i}`) };
    const response = await fetch(`${gateway.url}/v1/chat/completions/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(response.status, 400);
    assert.equal(json.error.code, 'invalid_request_body');
    assert.match(json.error.message, /`stop` holds 100 stop sequences/);
    assert.equal(emu.stats().inferenceCalls, before);
  });

  test('a valid request on /v1/chat/completions/ goes through the pipeline', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODELS.chat, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-tether-model'), MODELS.chat, 'answered by the pipeline, which names the model');
    await response.arrayBuffer();
  });
});
