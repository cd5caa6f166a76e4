// Issue 18: the emulator's 429 bodies follow the real ones in together-api-facts.md §3.3 and §11 — fixed-tier
// keys get the legacy credit_limit-typed text, -Free models their own per-model limit (model_rate_limit), dynamic
// keys dynamic_* — and tether's own classifier reads each as a rate limit, never as billing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { UNCONFIRMED } from '../../src/emulator/errors.js';
import { classify } from '../../src/errors/index.js';
import { call, chat, start } from './helpers.js';

let emu: RunningEmulator;
before(async () => {
  emu = await start({
    keys: [
      { key: 'free-fixed', requestsPerSecond: 1, tokensPerMinute: 1_000_000, creditsUsd: 10, tier: 0, rateLimits: 'fixed' },
      { key: 'paid-fixed', requestsPerSecond: 10, tokensPerMinute: 180_000, creditsUsd: 10, tier: 1, rateLimits: 'fixed' },
      { key: 'dynamic', requestsPerSecond: 1, tokensPerMinute: 1_000_000, creditsUsd: 10, tier: 1 },
      { key: 'roomy', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 10, tier: 1 },
    ],
  });
});
after(() => emu.close());

async function burst(key: string, body: Record<string, unknown>, count: number) {
  return Promise.all(Array.from({ length: count }, () => call(emu, '/v1/chat/completions', { key, body })));
}

function limited(replies: Awaited<ReturnType<typeof burst>>) {
  const reply = replies.find((r) => r.status === 429);
  assert.ok(reply, `no 429 in ${replies.map((r) => r.status).join(',')}`);
  return reply;
}

describe('429 bodies', () => {
  test('a free-tier key on fixed limits: the real legacy text, typed credit_limit, code null', async () => {
    const reply = limited(await burst('free-fixed', chat(), 3));
    assert.deepEqual(reply.json.error, {
      message: 'You have been rate limited. Your rate limit is 60 queries per minute. Please navigate to https://api.together.xyz/settings/billing to upgrade to a paid plan.',
      type: 'credit_limit',
      param: null,
      code: null,
    });
    assert.equal(typeof reply.json.id, 'string');
    const error = classify({ status: 429, body: reply.json, headers: reply.headers });
    assert.equal(error.category, 'rate_limit');
  });

  test('a paid key on fixed limits names both limits as the real fragment does', async () => {
    const reply = limited(await burst('paid-fixed', chat(), 14));
    assert.match(reply.json.error.message, /Your rate limits are 600 RPM \(10 QPS\) and 180000 TPM \(3000 TPS\)\./);
    assert.equal(reply.json.error.type, 'credit_limit');
  });

  test('a dynamic key (the default): dynamic_request_limited in type and code', async () => {
    const reply = limited(await burst('dynamic', chat(), 3));
    assert.equal(reply.json.error.type, 'dynamic_request_limited');
    assert.equal(reply.json.error.code, 'dynamic_request_limited');
    assert.ok(Number(reply.headers.get('retry-after')) >= 1);
  });

  test('a -Free model has its own per-model limit: model_rate_limit with the real text', async () => {
    const free = chat({ model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo-Free' });
    const statuses: number[] = [];
    let reply;
    for (let i = 0; i < 7; i++) {
      const r = await call(emu, '/v1/chat/completions', { key: 'roomy', body: free });
      statuses.push(r.status);
      if (r.status === 429) reply = r;
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429]);
    assert.ok(reply);
    assert.deepEqual(reply.json.error, {
      message: 'You have been rate limited for model meta-llama/Llama-3.3-70B-Instruct-Turbo-Free. Your rate limit is 6 queries per minute.',
      type: 'model_rate_limit',
      param: null,
      code: null,
    });
    assert.equal(classify({ status: 429, body: reply.json, headers: reply.headers }).category, 'rate_limit');
    // The key's other models are not held back by it.
    assert.equal((await call(emu, '/v1/chat/completions', { key: 'roomy', body: chat() })).status, 200);
  });

  test('what is still guessed is listed in one place', () => {
    for (const topic of ['dynamicRateLimit', 'fixedTierRateLimit', 'modelRateLimit', 'overloaded', 'tierGate'] as const) {
      assert.ok(UNCONFIRMED[topic].length > 20, topic);
    }
  });
});
