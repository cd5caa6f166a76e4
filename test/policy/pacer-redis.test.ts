import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pacer, createRedisPacerStore } from '../../src/policy/index.js';
import { REDIS_SKIP, startRedis, type TestRedis } from './redis-server.js';

const KEY = 'sk-shared-key';
const skip = REDIS_SKIP;

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j < times.length && times[j]! < times[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('Pacer shared through Redis', { skip }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('two pacers (own clients, as two processes would have) share one key budget', async () => {
    const a = new Pacer({ requestsPerSecond: 20, store: createRedisPacerStore({ redis: await redis.client(), keyPrefix: 'share' }) });
    const b = new Pacer({ requestsPerSecond: 20, store: createRedisPacerStore({ redis: await redis.client(), keyPrefix: 'share' }) });
    const sent: { at: number; by: string }[] = [];
    const started = performance.now();
    const acquire = (pacer: Pacer, by: string) => pacer.acquire(KEY).then(() => sent.push({ at: performance.now(), by }));
    await Promise.all(Array.from({ length: 15 }, () => [acquire(a, 'a'), acquire(b, 'b')]).flat());
    const took = performance.now() - started;
    await Promise.all([a.close(), b.close()]);

    const interval = 1000 / (20 * 0.95);
    // Alone, each pacer would finish its 15 in ~14 intervals (0.74 s); sharing, the 30 take ~29 intervals.
    assert.ok(took >= 27 * interval, `30 sends took ${Math.round(took)} ms: the budget was not shared`);
    assert.ok(took <= 29 * interval * 1.4, `30 sends took ${Math.round(took)} ms`);
    assert.equal(sent.filter((s) => s.by === 'a').length, 15);
    // Sends at least an interval apart across both pacers: a second holds at most the rate (19), plus what the
    // jitter of observing each send here can add.
    const times = sent.map((s) => s.at).sort((x, y) => x - y);
    assert.ok(maxInWindow(times, 1000) <= 21, `${maxInWindow(times, 1000)} sends in one second`);
  });

  test('a send late in its slot is followed by the other process no sooner than an interval later', async () => {
    const a = createRedisPacerStore({ redis: await redis.client(), keyPrefix: 'late' });
    const b = createRedisPacerStore({ redis: await redis.client(), keyPrefix: 'late' });
    const interval = 100;
    const base = Math.ceil(Date.now() / interval) * interval + 10 * interval; // a slot start a second ahead
    const first = await a.reserve(KEY, { now: base + 50, notBefore: 0, intervalMs: interval, tokens: 0 });
    const second = await b.reserve(KEY, { now: base + 60, notBefore: 0, intervalMs: interval, tokens: 0 });
    assert.deepEqual(first, { granted: true, sendAt: base + 50 });
    assert.ok(second.granted && second.sendAt >= base + 50 + interval, `b sends at +${second.granted ? second.sendAt - base : '-'}: closer than an interval to a's +50`);
    const onTime = await a.reserve(KEY, { now: base + 1000, notBefore: 0, intervalMs: interval, tokens: 0 });
    const next = await b.reserve(KEY, { now: base + 1000, notBefore: 0, intervalMs: interval, tokens: 0 });
    assert.deepEqual([onTime, next], [{ granted: true, sendAt: base + 1000 }, { granted: true, sendAt: base + 1100 }]);
    await Promise.all([a.close(), b.close()]);
  });

  test('a 429 seen by one pacer pauses the key for the other', async () => {
    const a = new Pacer({ requestsPerSecond: 50, store: createRedisPacerStore({ redis: await redis.client(), keyPrefix: 'pause' }) });
    const b = new Pacer({ requestsPerSecond: 50, store: createRedisPacerStore({ redis: await redis.client(), keyPrefix: 'pause' }) });
    await a.acquire(KEY);
    const penalizedAt = performance.now();
    a.penalize(KEY, 400);
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the pause reach Redis
    const { waitedMs } = await b.acquire(KEY);
    const since = performance.now() - penalizedAt;
    await Promise.all([a.close(), b.close()]);
    assert.ok(since >= 390 && since < 800, `b sent ${Math.round(since)} ms after a's 429`);
    assert.ok(waitedMs >= 300);
  });

  test('the store writes only fingerprints to Redis, never the API key', async () => {
    const client = await redis.client();
    const pacer = new Pacer({ requestsPerSecond: 5, tokensPerMinute: 10_000, store: createRedisPacerStore({ redis: client, keyPrefix: 'secret' }) });
    await pacer.acquire(KEY, { tokens: 100 });
    pacer.penalize(KEY, 1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pacer.close();
    const keys = await client.keys('secret:*');
    assert.ok(keys.length >= 3, `slot, tokens and pause keys written: ${keys.join(', ')}`);
    assert.ok(keys.every((k) => !k.includes(KEY)));
  });

  test('when Redis goes away, the pacer keeps pacing this process on its in-memory insurance', async () => {
    const own = await startRedis();
    try {
      const client = await own.client();
      client.on('error', () => {}); // the refused reconnects below are the point of the test
      const pacer = new Pacer({ requestsPerSecond: 10, store: createRedisPacerStore({ redis: client, keyPrefix: 'down' }) });
      await pacer.acquire(KEY);
      await own.kill(); // Redis crashes: the client is no longer ready
      const started = performance.now();
      await Promise.all([pacer.acquire(KEY), pacer.acquire(KEY), pacer.acquire(KEY)]);
      const took = performance.now() - started;
      await pacer.close();
      assert.ok(took >= 2 * (1000 / 9.5) - 5, `still paced: 3 sends in ${Math.round(took)} ms`);
    } finally {
      await own.stop();
    }
  });

  test('createRedisPacerStore without a client says what it needs', () => {
    assert.throws(() => createRedisPacerStore({} as never), /needs \{ redis \}: an ioredis client/);
  });
});
