// breaker.store { redis }: two pipelines (as two processes would be) share their circuits — a model one of them cut
// off is not sent to by the other — and pacing and breakers on one URL share one command connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { createPipeline } from '../../src/pipeline/index.js';
import type { JsonResult, Pipeline } from '../../src/pipeline/index.js';
import { REDIS_SKIP as skip, redisForFile } from '../policy/redis-server.js';
import { chatJson, errorBody, fakeTransport } from './fake-transport.js';
import type { FakeTransport } from './fake-transport.js';
import { FALLBACK, KEY, MODEL, chatBody, modelOf } from './helpers.js';

const redis = redisForFile();

function make(url: string): { pipeline: Pipeline; transport: FakeTransport } {
  const transport = fakeTransport((request) =>
    modelOf(request.body) === MODEL ? { kind: 'error', status: 500, body: errorBody('internal error') } : { kind: 'json', body: chatJson(FALLBACK) },
  );
  const pipeline = createPipeline({
    apiKey: KEY,
    transport,
    env: {},
    preloadTokenizers: false,
    routes: { [MODEL]: [FALLBACK] },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 4 },
    pacing: { requestsPerSecond: 10_000, store: { redis: url } },
    breaker: { threshold: 2, coolDownMs: 60_000, store: { redis: url } },
  });
  return { pipeline, transport };
}

/** Connections to the test's Redis, less the one asking. */
async function clients(lister: Redis): Promise<number> {
  const list = (await lister.client('LIST')) as string;
  return list.trim().split('\n').length - 1;
}

test('breaker.store is checked like pacing.store', () => {
  assert.throws(() => createPipeline({ env: {}, breaker: { store: {} as { redis: string } } }), /breaker\.store must be 'memory' or \{ redis/);
  assert.throws(() => createPipeline({ env: {}, breaker: { store: 'redis' as 'memory' } }), TypeError);
});

test('a circuit opened by one pipeline keeps the other off the model; one command connection per URL', { skip }, async () => {
  const lister = await redis.server.client();
  const before = await clients(lister);
  const a = make(redis.server.url);
  const b = make(redis.server.url);
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)); // let both connect and subscribe
    assert.equal((await clients(lister)) - before, 4, 'per pipeline: one command client (pacing and breakers) and one subscriber');


    const first = (await a.pipeline.send({ endpoint: 'chat', body: chatBody() })) as JsonResult;
    assert.equal(first.model, FALLBACK);
    assert.equal(a.transport.calls.filter((c) => modelOf(c.body) === MODEL).length, 2, "A's two 500s opened the circuit");
    for (let i = 0; i < 100 && b.pipeline.state().breakers.find((c) => c.model === MODEL)?.state !== 'open'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(b.pipeline.state().breakers.find((c) => c.model === MODEL)?.state, 'open');
    const second = (await b.pipeline.send({ endpoint: 'chat', body: chatBody() })) as JsonResult;
    assert.equal(second.model, FALLBACK);
    assert.deepEqual(b.transport.calls.map((c) => modelOf(c.body)), [FALLBACK], 'B never sent to the model A cut off');
  } finally {
    await Promise.all([a.pipeline.close(), b.pipeline.close()]);
  }
  for (let i = 0; i < 50 && (await clients(lister)) > before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(await clients(lister), before, 'close() closed every connection');
});
