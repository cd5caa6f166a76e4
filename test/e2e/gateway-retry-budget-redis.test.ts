// Two gateways on one Redis draw retries from one budget per key × model: however the calls are split between
// them, retries stay within the budget (here a floor of 5 per model over the window, no share of requests), and a
// call refused a retry says so (`retry_budget_exhausted`, the real 503 inside).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { redisAvailable, startRedis } from '../policy/redis-server.js';
import type { TestRedis } from '../policy/redis-server.js';
import { KEYS, MODELS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const BOTH = [
  { kind: 'status' as const, status: 503, rate: 1, model: MODELS.overloaded },
  { kind: 'status' as const, status: 503, rate: 1, model: MODELS.chat },
];

function upstream(emu: Emulator, model: string): number {
  let total = 0;
  for (const byModel of Object.values(emu.stats().byKeyModel)) total += byModel[model]?.requests ?? 0;
  return total;
}

describe('retry budget shared by two gateways on Redis', { skip: redisAvailable() ? false : 'redis-server is not installed' }, () => {
  let redis: TestRedis;
  let emu: Emulator;
  const gateways: RunningGateway[] = [];

  before(async () => {
    redis = await startRedis();
    emu = await startTestEmulator();
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await createGateway(
          {
            port: 0,
            logLevel: 'silent',
            redis: redis.url,
            upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main },
            routes: { [MODELS.overloaded]: [MODELS.chat] },
            policies: {
              retries: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
              breaker: { threshold: 1000 },
              throttle: false,
              retryBudget: { ratio: 0, minRetriesPerSecond: 0.5, windowMs: 10_000 },
            },
          },
          { env: {} },
        ),
      );
    }
  });
  after(async () => {
    for (const gateway of gateways) await gateway.close();
    await emu?.close();
    await redis?.stop();
  });

  test('6 calls over two gateways: 5 retries per model in all, not 5 per gateway', async () => {
    emu.setFaults(BOTH);
    const codes: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${gateways[i % 2]!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODELS.overloaded, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
      });
      assert.equal(response.status, 503);
      codes.push(((await response.json()) as { error: { code: string | null } }).error.code);
    }
    // Each call's first attempt on each model, plus the 5 retries the shared budget allows on each.
    assert.equal(upstream(emu, MODELS.overloaded), 6 + 5);
    assert.equal(upstream(emu, MODELS.chat), 6 + 5);
    assert.ok(codes.includes('retry_budget_exhausted'), `codes: ${codes.join(', ')}`);
    emu.setFaults([]);
  });
});
