// The gateway cooperates with its clients' own retries: an answer it already retried tells the unmodified `openai`
// SDK (default maxRetries 2) not to retry it again, so one client call costs the gateway's attempts and no more;
// an open circuit's 503 says when its probe will be let through; and an open circuit never turns another client's
// bad key into a retryable 503.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { APIError, AuthenticationError } from 'openai';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { KEYS, MODELS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const COOL_DOWN_MS = 20_000;
const BOTH = [
  { kind: 'status' as const, status: 503, rate: 1, model: MODELS.overloaded },
  { kind: 'status' as const, status: 503, rate: 1, model: MODELS.chat },
];
/** 500s (hard failures) open circuits; capacity 503s do not (the adaptive throttle sheds them). */
const BOTH_FAILING = BOTH.map((fault) => ({ ...fault, status: 500 }));

/** Inference requests the emulator saw for the overloaded model and its fallback. */
function upstreamRequests(emu: Emulator): number {
  let total = 0;
  for (const byModel of Object.values(emu.stats().byKeyModel)) total += (byModel[MODELS.overloaded]?.requests ?? 0) + (byModel[MODELS.chat]?.requests ?? 0);
  return total;
}

describe('gateway and the clients’ own retries', () => {
  let emu: Emulator;
  let gateway: RunningGateway;
  let retrying: RunningGateway;

  before(async () => {
    emu = await startTestEmulator();
    const upstream = { baseUrl: emu.baseUrl, apiKey: KEYS.main, keys: [{ name: 'unknown', apiKey: KEYS.unknown }] };
    const clients = [
      { name: 'main', token: 'gw-token-main' },
      { name: 'stranger', token: 'gw-token-stranger', upstreamKey: 'unknown' },
    ];
    // The overloaded model's one fallback is overloaded too (BOTH): the client sees the gateway's verdict.
    const routes = { [MODELS.overloaded]: [MODELS.chat] };
    gateway = await createGateway(
      { port: 0, logLevel: 'silent', upstream, clients, routes, policies: { retries: { baseDelayMs: 5, maxDelayMs: 20 }, breaker: { threshold: 3, coolDownMs: COOL_DOWN_MS } } },
      { env: {} },
    );
    // A second gateway whose circuit never opens, for counting retries alone.
    retrying = await createGateway(
      { port: 0, logLevel: 'silent', upstream, clients, routes, policies: { retries: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, breaker: { threshold: 1000 } } },
      { env: {} },
    );
  });
  after(async () => {
    await retrying?.close();
    await gateway?.close();
    await emu?.close();
  });

  test('an answer the gateway already retried is not retried by the openai SDK: 6 upstream requests, not 18', async () => {
    emu.setFaults(BOTH);
    const before = upstreamRequests(emu);
    const client = new OpenAI({ apiKey: 'gw-token-main', baseURL: `${retrying.url}/v1` }); // default maxRetries: 2
    const error = await client.chat.completions
      .create({ model: MODELS.overloaded, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof APIError, String(error));
    assert.equal(error.status, 503);
    assert.equal(error.headers?.get('x-should-retry'), 'false');
    // The gateway's 3 attempts on each model are all: the SDK sent one call (without the header, 3 calls: 18).
    assert.equal(upstreamRequests(emu) - before, 6);
    emu.setFaults([]);
  });

  test('an open circuit answers 503 with retry-after = the time to its probe; a bad key still gets 401', async () => {
    emu.setFaults(BOTH_FAILING);
    const body = { model: MODELS.overloaded, messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 4 };
    const main = new OpenAI({ apiKey: 'gw-token-main', baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    // 3 failed attempts on each model (one call) open both circuits.
    await main.chat.completions.create(body).catch(() => undefined);
    const sentBefore = upstreamRequests(emu);
    const refused = await main.chat.completions.create(body).then(() => undefined, (e: unknown) => e);
    assert.ok(refused instanceof APIError, String(refused));
    assert.equal(refused.status, 503);
    assert.equal((refused.error as { code?: string } | undefined)?.code, 'circuit_open');
    const retryAfter = Number(refused.headers?.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= COOL_DOWN_MS / 1000, `retry-after ${String(retryAfter)}`);
    assert.ok(retryAfter >= COOL_DOWN_MS / 1000 - 5, `retry-after ${retryAfter} is the time left of the ${COOL_DOWN_MS} ms cool-down`);
    assert.equal(upstreamRequests(emu), sentBefore, 'an open circuit sends nothing to the model');

    // Another client, whose upstream key is bad: its 401, not the circuit's 503.
    const stranger = new OpenAI({ apiKey: 'gw-token-stranger', baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const denied = await stranger.chat.completions.create(body).then(() => undefined, (e: unknown) => e);
    assert.ok(denied instanceof AuthenticationError, `expected a 401, got ${String(denied)}`);
    assert.equal(denied.status, 401);
    // And the good key, once vouched for, is refused by the circuit without another check.
    const again = await main.chat.completions.create(body).then(() => undefined, (e: unknown) => e);
    assert.ok(again instanceof APIError && again.status === 503);
    emu.setFaults([]);
  });
});
