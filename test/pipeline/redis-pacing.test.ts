// pacing.store { redis }: two pipelines (as two processes would be) sending with one key share its budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipeline } from '../../src/pipeline/index.js';
import { REDIS_SKIP as skip, redisForFile } from '../policy/redis-server.js';
import { chatJson, fakeTransport } from './fake-transport.js';
import { KEY, MODEL, chatBody } from './helpers.js';

const redis = redisForFile();

test('two pipelines with a Redis pacing store share one key budget', { skip }, async () => {
  const make = () =>
    createPipeline({
      apiKey: KEY,
      transport: fakeTransport(() => ({ kind: 'json', body: chatJson(MODEL) })),
      env: {},
      preloadTokenizers: false,
      pacing: { requestsPerSecond: 20, learnFromHeaders: false, store: { redis: redis.server.url } },
    });
  const a = make();
  const b = make();
  // Let both clients connect (until then each paces on its own in-memory insurance limiter).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, () => [a.send({ endpoint: 'chat', body: chatBody() }), b.send({ endpoint: 'chat', body: chatBody() })]).flat());
  const took = performance.now() - started;
  await Promise.all([a.close(), b.close()]);
  const interval = 1000 / (20 * 0.95);
  // Alone, each would send its 8 in 7 intervals; sharing the key, the 16 take 15.
  assert.ok(took >= 14 * interval, `16 sends took ${Math.round(took)} ms: the budget was not shared`);
});
