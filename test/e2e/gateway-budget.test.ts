// Budgets that hold under concurrency: a client's worst cases are reserved before requests are sent and settled to
// the real cost as they end. Three gateways sharing one Redis, then one gateway with streams cancelled mid-way:
// 300 concurrent requests with varied max_tokens, then the refused ones again in waves until nothing more fits.
// The emulator's own accounting must never show more than the budget, and at least 90% of it must be usable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { REDIS_SKIP, startRedis } from '../support/index.js';
import type { TestRedis } from '../support/index.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const TOKEN = 'tok-team-budget-0001';
const FREE_TOKEN = 'tok-free-no-budget-01';

function gatewayConfig(emu: RunningEmulator, key: string, budgetUsd: number, redis?: string): Record<string, unknown> {
  return {
    port: 0,
    logLevel: 'silent',
    // Load shedding would answer some of 300 concurrent requests 503 on a busy machine: not what this tests.
    overload: false,
    ...(redis !== undefined ? { redis } : {}),
    upstream: { baseUrl: emu.baseUrl, apiKey: key },
    clients: [
      { name: 'team', token: TOKEN, budget: { usd: budgetUsd, per: 'day' } },
      { name: 'free', token: FREE_TOKEN },
    ],
  };
}

interface Outcome {
  status: number;
  code?: string;
}

/** One request; `cancelAfterFirstChunk` reads a stream's first chunk, then leaves. */
async function send(gateway: RunningGateway, i: number, options: { stream?: boolean; cancel?: boolean } = {}): Promise<Outcome> {
  const controller = new AbortController();
  const body = { model: MODEL, messages: [{ role: 'user', content: `request ${i}` }], max_tokens: 8 + ((i * 37) % 25) * 8, stream: options.stream === true };
  const response = await fetch(`${gateway.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  if (response.status !== 200) {
    const error = ((await response.json()) as { error?: { code?: string } }).error;
    return { status: response.status, ...(error?.code ? { code: error.code } : {}) };
  }
  if (options.cancel && response.body) {
    const reader = response.body.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    return { status: 200 };
  }
  await response.arrayBuffer();
  return { status: 200 };
}

/** 300 at once, then the refused ones again in waves until a wave has no success: what the budget let through. */
async function drain(gateways: RunningGateway[], kind: (i: number) => { stream?: boolean; cancel?: boolean }): Promise<{ answered: number; refused: number; waves: number }> {
  let pending = Array.from({ length: 300 }, (_, i) => i);
  let answered = 0;
  let refused = 0;
  let waves = 0;
  while (pending.length > 0 && waves < 40) {
    waves++;
    const outcomes = await Promise.all(pending.map((i) => send(gateways[i % gateways.length]!, i, kind(i)).then((o) => ({ i, o }))));
    const again: number[] = [];
    for (const { i, o } of outcomes) {
      if (o.status === 200) answered++;
      else {
        assert.equal(o.status, 403, `request ${i} got ${o.status} ${o.code}`);
        assert.equal(o.code, 'budget_exceeded');
        refused++;
        again.push(i);
      }
    }
    if (again.length === pending.length) break; // nothing more fits
    pending = again;
  }
  return { answered, refused, waves };
}

async function metricsOf(gateway: RunningGateway): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`);
  return response.text();
}

describe('a client budget shared by three gateways through Redis', { skip: REDIS_SKIP }, () => {
  const BUDGET = 0.002;
  let redis: TestRedis;
  let emu: RunningEmulator;
  const gateways: RunningGateway[] = [];

  before(async () => {
    redis = await startRedis();
    emu = await startEmulator({ port: 0, seed: 7, faults: [], keys: [{ key: 'tk-budget-shared', name: 'shared', requestsPerSecond: 100_000, tokensPerMinute: 1_000_000_000, creditsUsd: 100 }] });
    for (let i = 0; i < 3; i++) gateways.push(await createGateway(gatewayConfig(emu, 'tk-budget-shared', BUDGET, redis.url), { env: {} }));
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await emu?.close();
    await redis?.stop();
  });

  test('300 concurrent requests: spend never above the budget, at least 90% of it usable', async () => {
    const { answered, refused, waves } = await drain(gateways, () => ({}));
    const spent = emu.stats().byKeyModel['shared']?.[MODEL]?.costUsd ?? 0;
    console.log(JSON.stringify({ test: 'three-gateways', budgetUsd: BUDGET, spentUsd: spent, usable: spent / BUDGET, answered, refused, waves }));
    assert.ok(spent <= BUDGET, `the emulator charged $${spent} against a $${BUDGET} budget`);
    assert.ok(spent >= 0.9 * BUDGET, `only $${spent} of $${BUDGET} (${((100 * spent) / BUDGET).toFixed(1)}%) was usable`);
    // Every gateway shows the same shared window, with nothing left reserved.
    for (const gateway of gateways) {
      const text = await metricsOf(gateway);
      const spentLine = /tether_gateway_budget_spent_usd\{client="team",per="day"\} ([\d.e-]+)/.exec(text);
      assert.ok(spentLine, 'no budget gauge in /metrics');
      assert.ok(Math.abs(Number(spentLine[1]) - spent) < 1e-6, `/metrics says $${spentLine[1]}, the emulator $${spent}`);
      assert.match(text, /tether_gateway_budget_reserved_usd\{client="team",per="day"\} 0\b/);
      assert.match(text, /tether_gateway_budget_limit_usd\{client="team",per="day"\} 0\.002/);
    }
    // The dashboard's data has a row for the client, from the same gauges.
    const data = (await (await fetch(`${gateways[2]!.url}/ui/data.json`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { budgets?: Array<Record<string, unknown>> };
    const row = data.budgets?.find((b) => b['client'] === 'team');
    assert.ok(row, `no budget row on the dashboard: ${JSON.stringify(data.budgets)}`);
    assert.equal(row['limitUsd'], BUDGET);
    assert.equal(row['reservedUsd'], 0);
    assert.ok(Math.abs(Number(row['spentUsd']) - spent) < 1e-6);
  });

  test('a client without a budget is not limited by another client\'s', async () => {
    const response = await fetch(`${gateways[0]!.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${FREE_TOKEN}` },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
    });
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  });

  test('a budgeted client cannot spend through a forwarded path (a batch); reads go through', async () => {
    const before = emu.stats().byPath['/v1/batches'] ?? 0;
    const refused = await fetch(`${gateways[0]!.baseUrl}/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ input_file_id: 'file-x', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    });
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(refused.status, 403);
    assert.equal(body.error.code, 'budget_unpriced');
    assert.match(body.error.message, /POST \/v1\/batches is forwarded to Together unchanged/);
    assert.equal(emu.stats().byPath['/v1/batches'] ?? 0, before, 'the batch reached the emulator');
    const list = await fetch(`${gateways[0]!.baseUrl}/batches`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await list.arrayBuffer();
    assert.equal(list.status, 200);
  });

  test('the refusal is a 403 naming the budget, what is left and when it resets, not retried by SDKs', async () => {
    const response = await fetch(`${gateways[1]!.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4000 }),
    });
    const body = (await response.json()) as { error: { message: string; code: string } };
    assert.equal(response.status, 403);
    assert.equal(body.error.code, 'budget_exceeded');
    assert.match(body.error.message, /Budget "team" \(\$0\.002000 per UTC day\) has \$[\d.]+ left .* resets \d{4}-\d{2}-\d{2}T00:00:00\.000Z/);
    assert.equal(response.headers.get('x-should-retry'), 'false');
    assert.ok(Number(response.headers.get('retry-after')) > 0);
  });
});

describe('a client budget whose Redis is away', { skip: REDIS_SKIP }, () => {
  test('a budgeted request is refused at once with 503 budget_store_unavailable, never sent blind', async () => {
    const redis = await startRedis();
    const emu = await startEmulator({ port: 0, seed: 9, faults: [], keys: [{ key: 'tk-budget-away', name: 'away', requestsPerSecond: 1000, tokensPerMinute: 1_000_000_000, creditsUsd: 100 }] });
    const gateway = await createGateway(gatewayConfig(emu, 'tk-budget-away', 1, redis.url), { env: {} });
    try {
      assert.equal((await send(gateway, 1)).status, 200);
      await redis.kill();
      const started = performance.now();
      const outcome = await send(gateway, 2);
      assert.deepEqual(outcome, { status: 503, code: 'budget_store_unavailable' });
      assert.ok(performance.now() - started < 5_000, 'the refusal waited for Redis');
      assert.equal(emu.stats().byKeyModel['away']?.[MODEL]?.requests, 1, 'a request was sent without its budget checked');
    } finally {
      await gateway.close();
      await emu.close();
      await redis.stop();
    }
  });
});

describe('a client budget on one gateway, streams cancelled mid-way included', () => {
  const BUDGET = 0.002;
  let emu: RunningEmulator;
  let gateway: RunningGateway;

  before(async () => {
    emu = await startEmulator({ port: 0, seed: 8, faults: [], keys: [{ key: 'tk-budget-one', name: 'one', requestsPerSecond: 100_000, tokensPerMinute: 1_000_000_000, creditsUsd: 100 }] });
    gateway = await createGateway(gatewayConfig(emu, 'tk-budget-one', BUDGET), { env: {} });
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  test('300 concurrent requests, a third streamed and every sixth cancelled: never above, at least 90% usable', async () => {
    const { answered, refused, waves } = await drain([gateway], (i) => ({ stream: i % 3 === 0, cancel: i % 6 === 0 }));
    // Cancelled streams settle as their connections close: wait until nothing is reserved.
    const deadline = Date.now() + 5_000;
    while (!/tether_gateway_budget_reserved_usd\{client="team",per="day"\} 0\b/.test(await metricsOf(gateway)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const spent = emu.stats().byKeyModel['one']?.[MODEL]?.costUsd ?? 0;
    console.log(JSON.stringify({ test: 'one-gateway-streams', budgetUsd: BUDGET, spentUsd: spent, usable: spent / BUDGET, answered, refused, waves }));
    assert.ok(spent <= BUDGET, `the emulator charged $${spent} against a $${BUDGET} budget`);
    assert.ok(spent >= 0.9 * BUDGET, `only $${spent} of $${BUDGET} (${((100 * spent) / BUDGET).toFixed(1)}%) was usable`);
  });

  test('a config reload keeps what was spent; a raised limit takes effect at once', async () => {
    await gateway.reload(gatewayConfig(emu, 'tk-budget-one', BUDGET));
    assert.deepEqual(await send(gateway, 1), { status: 403, code: 'budget_exceeded' });
    await gateway.reload(gatewayConfig(emu, 'tk-budget-one', 2 * BUDGET));
    assert.equal((await send(gateway, 1)).status, 200);
  });
});
