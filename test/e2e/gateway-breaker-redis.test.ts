// Gateways with `redis` set share circuit-breaker state: once a model's breaker opens behind one gateway, another
// sends that model's requests straight to the fallback — the overloaded model never sees them — and a gateway started
// later respects the open circuit too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { GatewayFileConfig, RunningGateway } from '../../src/gateway/index.js';
import { redisAvailable, startRedis } from '../policy/redis-server.js';
import type { TestRedis } from '../policy/redis-server.js';

const PRIMARY = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const FALLBACK = 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo';
const KEY = 'tk-shared-breaker';

async function chat(gateway: RunningGateway): Promise<{ status: number; model: string | null }> {
  const response = await fetch(`${gateway.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: PRIMARY, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
  });
  await response.arrayBuffer();
  return { status: response.status, model: response.headers.get('x-tether-model') };
}

/** Waits until the gateway's /metrics reports PRIMARY's circuit open (the breaker event of an applied transition). */
async function untilOpen(gateway: RunningGateway, withinMs = 3_000): Promise<void> {
  const line = `tether_breaker_state{model="${PRIMARY}",state="open"} 1`;
  const deadline = Date.now() + withinMs;
  for (;;) {
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    if (metrics.includes(line)) return;
    if (Date.now() > deadline) assert.fail(`${gateway.url} never reported ${PRIMARY}'s circuit open`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('gateways sharing circuit breakers through Redis', { skip: redisAvailable() ? false : 'redis-server is not installed' }, () => {
  let redis: TestRedis;
  let emu: RunningEmulator;
  const gateways: RunningGateway[] = [];
  const start = async (config: GatewayFileConfig): Promise<RunningGateway> => {
    const gateway = await createGateway(config, { env: {} });
    gateways.push(gateway);
    return gateway;
  };

  before(async () => {
    redis = await startRedis();
    emu = await startEmulator({ port: 0, keys: [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }] });
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await emu?.close();
    await redis?.stop();
  });

  test("a breaker tripped behind gateway 1 sends gateway 2's (and a later gateway 3's) requests straight to the fallback", async () => {
    const config = (): GatewayFileConfig => ({
      port: 0,
      logLevel: 'silent',
      redis: redis.url,
      upstream: { baseUrl: emu.baseUrl, apiKey: KEY },
      routes: { [PRIMARY]: [FALLBACK] },
      policies: { retries: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 }, breaker: { threshold: 2, coolDownMs: 600_000 } },
    });
    const [one, two] = [await start(config()), await start(config())];
    emu.setFaults([{ kind: 'status', status: 500, rate: 1, model: PRIMARY }]);

    // Two 500s on the primary (its retries) open its circuit behind gateway 1; the fallback answers.
    assert.deepEqual(await chat(one), { status: 200, model: FALLBACK });
    assert.equal(emu.stats().byModel[PRIMARY], 2);
    await untilOpen(two);

    emu.resetStats();
    assert.deepEqual(await chat(two), { status: 200, model: FALLBACK });
    assert.deepEqual(emu.stats().byModel, { [FALLBACK]: 1 }, 'gateway 2 never sent to the overloaded model');

    const three = await start(config());
    await untilOpen(three);
    assert.deepEqual(await chat(three), { status: 200, model: FALLBACK });
    assert.deepEqual(emu.stats().byModel, { [FALLBACK]: 2 }, 'gateway 3 seeded the open circuit from Redis');
  });
});
