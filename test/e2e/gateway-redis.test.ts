// Two gateways with `redis` set pace one Together key from one shared budget: a burst split across them reaches
// the emulator as one smooth stream under the key's limit (no 429s), instead of each gateway spending it alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { redisAvailable, startRedis } from '../policy/redis-server.js';
import type { TestRedis } from '../policy/redis-server.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const KEY = 'tk-shared-budget';
const RATE = 3;

describe('gateways sharing pacing through Redis', { skip: redisAvailable() ? false : 'redis-server is not installed' }, () => {
  let redis: TestRedis;
  let emu: RunningEmulator;
  const gateways: RunningGateway[] = [];

  before(async () => {
    redis = await startRedis();
    emu = await startEmulator({ port: 0, keys: [{ key: KEY, requestsPerSecond: RATE, tokensPerMinute: 10_000_000, creditsUsd: 100 }] });
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await createGateway(
          { port: 0, logLevel: 'silent', redis: redis.url, upstream: { baseUrl: emu.baseUrl, apiKey: KEY }, policies: { pacing: { requestsPerSecond: RATE } } },
          { env: {} },
        ),
      );
    }
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await emu?.close();
    await redis?.stop();
  });

  test('a burst split across two gateways stays under the key\'s limit', async () => {
    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    const send = async (gateway: RunningGateway): Promise<number> => {
      const response = await fetch(`${gateway.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
      return response.status;
    };
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 2 * RATE }, (_, i) => send(gateways[i % 2]!)),
    );
    const elapsed = performance.now() - started;
    assert.deepEqual(statuses, statuses.map(() => 200));
    assert.equal(emu.stats().byStatus['429'] ?? 0, 0, 'the emulator answered 429: the budget was not shared');
    // 6 requests at a shared 3/s (less the safety margin) need well over a second; two separate budgets would not.
    assert.ok(elapsed >= 1200, `the burst took ${elapsed.toFixed(0)} ms: each gateway paced alone`);
  });
});
