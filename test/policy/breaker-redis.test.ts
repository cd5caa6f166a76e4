// Breaker transitions shared through a real redis-server: two registries (as two gateway processes would have, each
// with its own connections) see each other's opens and closes; a late one seeds from Redis; Redis going away leaves
// each working on its own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { TogetherError } from '../../src/errors/index.js';
import { BreakerRegistry, PolicyEvents, decodeTransition, startRedisBreakerSync } from '../../src/policy/index.js';
import type { BreakerSync } from '../../src/policy/index.js';
import { REDIS_SKIP, freePort, startRedis, type TestRedis } from './redis-server.js';

const MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const OTHER = 'Qwen/Qwen2.5-7B-Instruct-Turbo';
const skip = REDIS_SKIP;
const overloaded = new TogetherError({ category: 'server', message: '500', cause: 'c', fix: 'f', retryable: true });

interface Instance {
  breakers: BreakerRegistry;
  sync: BreakerSync;
  /** `breaker` events, as `from->to` with `(peer)` for applied ones. */
  changes: string[];
  errors: unknown[];
  close(): Promise<void>;
}

/** One "process": its registry, and connections set up as the pipeline sets them up. */
function instance(url: string, keyPrefix: string, coolDownMs = 60_000): Instance {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, disconnectTimeout: 50 });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null, autoResubscribe: false, disconnectTimeout: 50 });
  redis.on('error', () => {});
  subscriber.on('error', () => {});
  const events = new PolicyEvents();
  const changes: string[] = [];
  events.on('breaker', (e) => changes.push(`${e.model === MODEL ? '' : `${e.model} `}${e.from}->${e.to}${e.source ? ` (${e.source})` : ''}`));
  const breakers = new BreakerRegistry({ threshold: 2, coolDownMs, events });
  const errors: unknown[] = [];
  const sync = startRedisBreakerSync({ breakers, redis, subscriber, keyPrefix, onError: (error) => errors.push(error) });
  return {
    breakers,
    sync,
    changes,
    errors,
    async close() {
      await sync.close();
      await Promise.all([redis, subscriber].map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
    },
  };
}

function trip(breakers: BreakerRegistry, model = MODEL): void {
  for (let i = 0; i < 2; i++) breakers.acquire(model)?.failure(overloaded);
}

async function waitFor(what: string, predicate: () => boolean, withinMs = 2_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('breaker transitions shared through Redis', { skip }, () => {
  let redis: TestRedis;
  const open: Instance[] = [];
  const start = async (prefix: string, coolDownMs?: number): Promise<Instance> => {
    const made = instance(redis.url, prefix, coolDownMs);
    open.push(made);
    await made.sync.ready;
    return made;
  };
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(open.map((i) => i.close()));
    await redis?.stop();
  });

  test("A's circuit opening makes B refuse the model within a moment; B emits it as a peer's", async () => {
    const [a, b] = [await start('open'), await start('open')];
    trip(a.breakers);
    assert.equal(a.breakers.isOpen(MODEL), true);
    await waitFor('B sees the circuit open', () => b.breakers.isOpen(MODEL));
    assert.equal(b.breakers.acquire(MODEL), undefined);
    assert.equal(b.breakers.snapshot()[MODEL]?.openedAt, a.breakers.snapshot()[MODEL]?.openedAt, 'the cool-down counts from A\'s opening');
    assert.deepEqual(b.changes, ['closed->open (peer)']);
    assert.deepEqual(a.changes, ['closed->open'], 'A does not apply its own message');
    assert.deepEqual([...a.errors, ...b.errors], []);
  });

  test("a peer's close closes it here: a manual reset, and a successful probe after the cool-down", async () => {
    const [a, b] = [await start('close', 300), await start('close', 300)];
    trip(a.breakers);
    await waitFor('B open', () => b.breakers.isOpen(MODEL));
    a.breakers.reset(MODEL);
    await waitFor('B closed by A\'s reset', () => b.breakers.state(MODEL) === 'closed');

    trip(a.breakers);
    await waitFor('B open again', () => b.breakers.state(MODEL) === 'open');
    await new Promise((resolve) => setTimeout(resolve, 320));
    const probe = b.breakers.acquire(MODEL);
    assert.ok(probe?.probe, 'after the cool-down B probes the model itself');
    probe.success();
    await waitFor('A closed by B\'s probe', () => a.breakers.state(MODEL) === 'closed');
    assert.deepEqual(a.changes, ['closed->open', 'open->closed', 'closed->open', 'open->closed (peer)']);
  });

  test('an instance started while a circuit is open elsewhere respects it from the start', async () => {
    const a = await start('seed');
    trip(a.breakers, OTHER);
    trip(a.breakers);
    a.breakers.reset(OTHER);
    const client = await redis.client();
    let written = 0;
    for (let i = 0; i < 100 && written < 2; i++) {
      written = await client.exists(`seed:${MODEL}`, `seed:${OTHER}`);
      if (written < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(written, 2, 'both circuits were written');
    assert.equal(decodeTransition(await client.get(`seed:${OTHER}`))?.state, 'closed');
    const ttl = await client.pttl(`seed:${MODEL}`);
    assert.ok(ttl > 60_000 && ttl <= 180_000, `the record expires after a few cool-downs (pttl ${ttl})`);

    const c = await start('seed');
    assert.equal(c.breakers.isOpen(MODEL), true, 'seeded open');
    assert.equal(c.breakers.snapshot()[MODEL]?.openedAt, a.breakers.snapshot()[MODEL]?.openedAt);
    assert.equal(c.breakers.isOpen(OTHER), false, 'a closed record leaves the circuit closed');
    assert.deepEqual(c.changes, ['closed->open (peer)']);
  });

  test("B's own failures still open its circuit (and A follows); garbage on the channel or under the prefix is ignored", async () => {
    const [a, b] = [await start('own'), await start('own')];
    const client = await redis.client();
    await client.publish('own:transitions', 'not json');
    await client.publish('own:transitions', JSON.stringify({ model: MODEL, state: 'half_open', at: Date.now(), by: 'x' }));
    await client.set(`own:${OTHER}`, '{"state":"open"}');
    trip(b.breakers);
    assert.equal(b.breakers.isOpen(MODEL), true);
    await waitFor('A follows B', () => a.breakers.isOpen(MODEL));
    const late = await start('own');
    assert.equal(late.breakers.isOpen(MODEL), true);
    assert.equal(late.breakers.state(OTHER), 'closed');
    assert.equal(decodeTransition('{"model":"m","state":"open","at":1,"by":"x"}')?.state, 'open');
    assert.equal(decodeTransition('{"model":"","state":"open","at":1,"by":"x"}'), undefined);
    assert.equal(decodeTransition(null), undefined);
  });

  test('Redis killed mid-way: both keep working locally, errors go to onError, nothing is unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    const own = await startRedis();
    const [a, b] = [instance(own.url, 'down'), instance(own.url, 'down')];
    try {
      await Promise.all([a.sync.ready, b.sync.ready]);
      trip(a.breakers);
      await waitFor('B open', () => b.breakers.isOpen(MODEL));
      await own.kill();

      const started = performance.now();
      a.breakers.reset(MODEL);
      trip(b.breakers, OTHER);
      assert.ok(performance.now() - started < 20, 'transitions never wait for Redis');
      assert.equal(a.breakers.state(MODEL), 'closed');
      assert.equal(b.breakers.isOpen(OTHER), true, 'B opens on its own failures');
      assert.ok(a.breakers.acquire(OTHER), 'A, not told, still sends to it');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(b.breakers.isOpen(MODEL), true, "A's close could not reach B: B stays open, locally consistent");
      assert.ok(a.errors.length > 0 && b.errors.length > 0, 'the failed writes were reported to onError');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await own.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  test('Redis away at start: the subscribe happens once it is up, and a transition made meanwhile is shared then', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const a = instance(url, 'late');
    let server: TestRedis | undefined;
    let b: Instance | undefined;
    try {
      trip(a.breakers);
      assert.equal(a.breakers.isOpen(MODEL), true, 'works locally without Redis');
      await new Promise((resolve) => setTimeout(resolve, 50));
      server = await startRedis({ port });
      await a.sync.ready;
      b = instance(url, 'late');
      await b.sync.ready;
      await waitFor("A's open, written once Redis was up, seeds B", () => b!.breakers.isOpen(MODEL));
      b.breakers.reset(MODEL);
      await waitFor('A, subscribed late, hears B', () => a.breakers.state(MODEL) === 'closed');
    } finally {
      await Promise.all([a.close(), b?.close()]);
      await server?.stop();
    }
  });
});
