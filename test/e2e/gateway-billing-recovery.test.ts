// 402 recovery without a restart: two gateways sharing Redis, one key out of credit. A 402 on one gateway stops
// the key on both (the other sends nothing with it); credit is added in the emulator; one probe (a 1-token chat
// completion) finds it back and both gateways send again — no reload, no restart. The admin endpoint (admin token
// only) resumes every gateway at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { redisAvailable, startRedis } from '../policy/redis-server.js';
import type { TestRedis } from '../policy/redis-server.js';
import { KEYS, MODELS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const PROBE_MS = 400;
const ADMIN_TOKEN = 'admin-token-0123456789';

async function setCredits(emu: Emulator, usd: number): Promise<void> {
  const added = await fetch(`${emu.baseUrl.replace(/\/v1$/, '')}/_emulator/credits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: KEYS.broke, usd }),
  });
  assert.equal(added.status, 200, await added.text());
}

function resume(gateway: RunningGateway, token: string | undefined): Promise<Response> {
  return fetch(`${gateway.url}/admin/keys/resume`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

function chat(gateway: RunningGateway): Promise<{ status: number; code: string | undefined }> {
  return chatAs(gateway, undefined);
}

async function chatAs(gateway: RunningGateway, token: string | undefined): Promise<{ status: number; code: string | undefined }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ model: MODELS.chat, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, code: body.error?.code ?? undefined };
}

function brokeRequests(emu: Emulator): number {
  let total = 0;
  for (const [name, byModel] of Object.entries(emu.stats().byKeyModel)) {
    if (name !== 'broke' && name !== KEYS.broke) continue;
    for (const counts of Object.values(byModel)) total += counts.requests;
  }
  return total;
}

describe('402 recovery shared by two gateways on Redis', { skip: redisAvailable() ? false : 'redis-server is not installed' }, () => {
  let redis: TestRedis;
  let emu: Emulator;
  const gateways: RunningGateway[] = [];

  before(async () => {
    redis = await startRedis();
    emu = await startTestEmulator();
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await createGateway(
          { port: 0, logLevel: 'silent', redis: redis.url, upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.broke }, policies: { billingProbe: { intervalMs: PROBE_MS, model: MODELS.chat } } },
          { env: {} },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // subscriptions ready
  });
  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await emu?.close();
    await redis?.stop();
  });

  test('a 402 stops the key on both; the probe resumes both once credit is back', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    assert.equal((await chat(a)).status, 402);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the stop travels
    const sentBefore = brokeRequests(emu);
    // Gateway b never saw the 402 itself, yet sends nothing with the key.
    assert.equal((await chat(b)).status, 402);
    assert.equal(brokeRequests(emu), sentBefore, 'the stopped key sent nothing upstream from the other gateway');

    // Credit is added through the emulator's admin API, as in Together's console.
    await setCredits(emu, 100);
    const deadline = Date.now() + 5_000;
    let statuses: number[] = [];
    while (Date.now() < deadline) {
      statuses = [(await chat(a)).status, (await chat(b)).status];
      if (statuses.every((s) => s === 200)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(statuses, [200, 200], 'both gateways send again after the probe, without a reload');
  });

  test('the admin endpoint resumes every gateway at once; only with the admin token', async () => {
    // Gateways that never probe, so only the admin endpoint can resume them.
    while (gateways.length > 0) await gateways.pop()!.close();
    const config = { port: 0, logLevel: 'silent' as const, redis: redis.url, upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.broke }, policies: { billingProbe: { intervalMs: false as const } } };
    const c = await createGateway({ ...config, adminToken: ADMIN_TOKEN, clients: [{ name: 'app', token: 'client-token-1' }] }, { env: {} });
    const d = await createGateway(config, { env: {} });
    gateways.push(c, d);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await setCredits(emu, 0);
    const asClient = (gateway: RunningGateway) => (gateway === c ? chatAs(c, 'client-token-1') : chat(d));
    assert.equal((await asClient(c)).status, 402);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await asClient(d)).status, 402);
    await setCredits(emu, 100);
    // Still stopped: nothing probes these.
    assert.equal((await asClient(d)).status, 402);

    assert.equal((await resume(c, undefined)).status, 401);
    assert.equal((await resume(c, 'client-token-1')).status, 401, 'a client token is not the admin token');
    assert.equal((await resume(d, ADMIN_TOKEN)).status, 404, 'a gateway without adminToken has no admin endpoint');
    const resumed = await resume(c, ADMIN_TOKEN);
    assert.equal(resumed.status, 200);
    assert.deepEqual(await resumed.json(), { resumed: true });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the resume travels
    assert.equal((await asClient(c)).status, 200);
    assert.equal((await asClient(d)).status, 200, 'the other gateway resumed too, through Redis');
  });
});
