// Together's dynamic limits in the emulator (facts §4.2, §11): per key × model, about twice the recent successful
// rate between a base and a cap; 429 dynamic_* above it with the -dynamic headers; platform capacity answering 503
// to a key under its rate; and the stats a storm benchmark reads. Time is a fake clock: no test waits for it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { DynamicModelLimit } from '../../src/emulator/dynamic-limits.js';
import { PlatformCapacity } from '../../src/emulator/capacity.js';
import { call, CHAT_MODEL, OTHER_CHAT_MODEL } from './helpers.js';

const KEY = 'tk-dynamic';
const running: RunningEmulator[] = [];
after(async () => {
  await Promise.all(running.map((emu) => emu.close()));
});

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<RunningEmulator> {
  const emu = await startEmulator({ port: 0, seed: 5, ...options });
  running.push(emu);
  return emu;
}

function chat(emu: RunningEmulator, model = CHAT_MODEL, content = 'Hi', maxTokens = 4): ReturnType<typeof call> {
  return call(emu, '/v1/chat/completions', { key: KEY, body: { model, messages: [{ role: 'user', content }], max_tokens: maxTokens } });
}

test('the dynamic rate starts at the base, rises with sustained success to twice the recent rate, and stops at the cap', () => {
  const limit = new DynamicModelLimit({ baseRpm: 60, capRpm: 300, baseTpm: 1e9, capTpm: 1e9, historyMs: 60_000 });
  let now = 0;
  assert.equal(limit.rpm(now), 60);
  assert.ok(limit.check(now, 1).ok);
  limit.consume(now, 1);
  const refused = limit.check(now, 1);
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.kind === 'requests' && refused.retryAfterMs === 1000);
  // A minute at the base rate (1 a second): 60 successes in the past minute, so the rate becomes 120 a minute.
  for (let i = 1; i < 60; i++) {
    now += 1000;
    assert.ok(limit.check(now, 1).ok, `request ${i} at the base rate`);
    limit.consume(now, 1);
  }
  assert.equal(limit.rpm(now), 120);
  // Sustained at the new rate, it rises again, up to the cap.
  for (let i = 0; i < 240; i++) {
    now += 500;
    if (limit.check(now, 1).ok) limit.consume(now, 1);
  }
  // The rate is measured in buckets of 1/60 of the history: within one bucket's worth of the exact 240.
  assert.ok(limit.rpm(now) >= 236 && limit.rpm(now) <= 240, `rpm ${limit.rpm(now)}`);
  for (let i = 0; i < 600; i++) {
    now += 250;
    if (limit.check(now, 1).ok) limit.consume(now, 1);
  }
  assert.equal(limit.rpm(now), 300, 'capped');
  // Silence for the whole history: back to the base.
  now += 61_000;
  assert.equal(limit.rpm(now), 60);
});

test('a burst far above the dynamic rate is throttled, a steady pace is not', () => {
  const limit = new DynamicModelLimit({ baseRpm: 120, capRpm: 6000, baseTpm: 1e9, capTpm: 1e9, historyMs: 60_000 });
  let served = 0;
  for (let i = 0; i < 20; i++) {
    if (limit.check(0, 1).ok) {
      limit.consume(0, 1);
      served++;
    }
  }
  assert.equal(served, 2, 'a burst of 20 at once gets one second of the 2/s rate');
  let steady = 0;
  for (let t = 1000; t <= 10_000; t += 500) {
    if (limit.check(t, 1).ok) {
      limit.consume(t, 1);
      steady++;
    }
  }
  assert.equal(steady, 19, 'every request paced at the rate is served');
});

test('over HTTP: 429 dynamic_request_limited with the -dynamic headers above the rate, then a higher rate after sustained success', async () => {
  const clock = fakeClock();
  const emu = await emulator({
    clock: clock.now,
    keys: [{ key: KEY, requestsPerSecond: 100, tokensPerMinute: 10_000_000, creditsUsd: 100, dynamic: { baseRpm: 60, capRpm: 600, historyMs: 10_000 } }],
  });
  const first = await chat(emu);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-ratelimit-limit-dynamic'), '1');
  assert.equal(first.headers.get('x-ratelimit-remaining-dynamic'), '0');
  assert.ok(first.headers.get('x-tokenlimit-limit-dynamic'));
  assert.ok(first.headers.get('x-tokenlimit-remaining-dynamic'));
  assert.equal(first.headers.get('x-ratelimit-limit'), '100', 'the fixed headers stay');

  const second = await chat(emu);
  assert.equal(second.status, 429);
  assert.equal(second.json.error.type, 'dynamic_request_limited');
  assert.equal(second.json.error.code, 'dynamic_request_limited');
  assert.match(second.json.error.message, /dynamic rate limit is 60 requests per minute/);
  assert.equal(second.headers.get('retry-after'), '1');
  assert.equal(second.headers.get('x-ratelimit-limit-dynamic'), '1');
  assert.equal(second.headers.get('x-ratelimit-remaining-dynamic'), '0');
  assert.ok(Number(second.headers.get('x-ratelimit-remaining')) > 0, 'the key is far under its own fixed rate');

  // The dynamic limit is per model: another model has its own.
  assert.equal((await chat(emu, OTHER_CHAT_MODEL)).status, 200);

  // A pace of one request every 600 ms is above the base rate (1 a second): part of it is refused.
  const paced = async (model: string): Promise<number[]> => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(600);
      statuses.push((await chat(emu, model)).status);
    }
    return statuses;
  };
  clock.advance(2000);
  assert.deepEqual(await paced(OTHER_CHAT_MODEL), [200, 429, 200, 429, 200]);

  // Ten seconds of one request a second (the whole history): the rate doubles, to about 2 a second.
  for (let i = 0; i < 10; i++) {
    clock.advance(1000);
    assert.equal((await chat(emu)).status, 200, `paced request ${i}`);
  }
  clock.advance(1000);
  const raised = await chat(emu);
  assert.equal(raised.status, 200);
  assert.ok(Number(raised.headers.get('x-ratelimit-limit-dynamic')) >= 1.8, `dynamic limit now ${raised.headers.get('x-ratelimit-limit-dynamic')}/s`);
  // The same 600 ms pace is now within the rate: all served.
  assert.deepEqual(await paced(CHAT_MODEL), [200, 200, 200, 200, 200]);
  // A sudden burst far above it is still throttled.
  clock.advance(1000);
  const burst = await Promise.all(Array.from({ length: 6 }, () => chat(emu)));
  assert.ok(burst.filter((r) => r.status === 429).length >= 4, `burst statuses ${burst.map((r) => r.status).join(',')}`);
});

test('over HTTP: 429 dynamic_token_limited above the dynamic token rate', async () => {
  const clock = fakeClock();
  const emu = await emulator({
    clock: clock.now,
    keys: [{ key: KEY, requestsPerSecond: 100, tokensPerMinute: 10_000_000, creditsUsd: 100, dynamic: { baseRpm: 6000, baseTpm: 30, capTpm: 100_000, historyMs: 10_000 } }],
  });
  const reply = await chat(emu, CHAT_MODEL, 'Tell me a long story about the sea and the ships that sail on it. '.repeat(5), 20);
  assert.equal(reply.status, 429);
  assert.equal(reply.json.error.type, 'dynamic_token_limited');
  assert.equal(reply.json.error.code, 'dynamic_token_limited');
  assert.equal(reply.headers.get('x-tokenlimit-limit-dynamic'), '30');
  assert.ok(reply.headers.get('retry-after'));
});

test('platform capacity: 503 for a key under its own rate once the model\'s capacity is used up, other models unaffected', async () => {
  const clock = fakeClock();
  const emu = await emulator({
    clock: clock.now,
    keys: [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }],
    capacity: [{ model: CHAT_MODEL, requestsPerSecond: 2 }],
  });
  const replies = await Promise.all([chat(emu), chat(emu), chat(emu)]);
  assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 503]);
  const overloaded = replies.find((r) => r.status === 503);
  assert.equal(overloaded?.json.error.type, 'server_error');
  assert.equal(overloaded?.json.error.message, 'The server is overloaded or not ready yet.');
  assert.ok(Number(overloaded?.headers.get('x-ratelimit-remaining')) > 900, 'the key itself had plenty of its rate left');
  assert.equal((await chat(emu, OTHER_CHAT_MODEL)).status, 200);
  clock.advance(1000);
  assert.equal((await chat(emu)).status, 200, 'capacity is per second');
});

test('over HTTP, `concurrent` capacity holds a place until the stream ends, then frees it', async () => {
  const emu = await emulator({
    keys: [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }],
    capacity: [{ model: CHAT_MODEL, concurrent: 1 }],
    faults: [{ kind: 'slow_stream', chunkDelayMs: 50, model: CHAT_MODEL }],
  });
  const streaming = await fetch(`${emu.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, stream: true }),
  });
  assert.equal(streaming.status, 200);
  assert.deepEqual(emu.stats().inFlight, { [CHAT_MODEL]: 1 });
  const refused = await chat(emu);
  assert.equal(refused.status, 503, 'the one place is taken by the stream');
  await streaming.text();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(emu.stats().inFlight, {});
  assert.equal((await chat(emu)).status, 200, 'freed once the stream ended');
});

test('platform capacity counts requests in flight when `concurrent` is set', () => {
  const capacity = new PlatformCapacity([{ model: 'm', concurrent: 2 }]);
  const first = capacity.admit(0, 'm');
  capacity.admit(0, 'm');
  assert.deepEqual(capacity.check(0, 'm'), { ok: false, limit: 'concurrent', value: 2 });
  first();
  first(); // released once only
  assert.deepEqual(capacity.check(0, 'm'), { ok: true });
  assert.deepEqual(capacity.busy(), { m: 1 });
  assert.deepEqual(capacity.check(0, 'm', { factor: 0.5 }), { ok: false, limit: 'concurrent', value: 1 });
  assert.deepEqual(capacity.check(0, 'other'), { ok: true }, 'no capacity configured: unlimited');
});

test('stats count what the upstream saw: requests per key and model, statuses, 429s, 503s and the cost charged', async () => {
  const clock = fakeClock();
  const emu = await emulator({
    clock: clock.now,
    keys: [
      { key: KEY, name: 'storm', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100, dynamic: { baseRpm: 120, historyMs: 10_000 } },
    ],
    capacity: [{ model: OTHER_CHAT_MODEL, requestsPerSecond: 1 }],
  });
  await Promise.all([chat(emu), chat(emu), chat(emu)]); // 2 served, 1 dynamic 429
  await Promise.all([chat(emu, OTHER_CHAT_MODEL), chat(emu, OTHER_CHAT_MODEL)]); // 1 served, 1 capacity 503
  const stats = emu.stats();
  assert.deepEqual(stats.byKeyModel.storm?.[CHAT_MODEL]?.byStatus, { 200: 2, 429: 1 });
  assert.equal(stats.byKeyModel.storm?.[CHAT_MODEL]?.requests, 3);
  assert.deepEqual(stats.byKeyModel.storm?.[OTHER_CHAT_MODEL]?.byStatus, { 200: 1, 503: 1 });
  assert.equal(stats.rateLimited, 1);
  assert.equal(stats.overloaded, 1);
  const perModel = Object.values(stats.byKeyModel.storm ?? {}).reduce((sum, c) => sum + c.costUsd, 0);
  assert.ok(stats.costUsd > 0);
  assert.ok(Math.abs(stats.costUsd - perModel) < 1e-12);
  assert.ok(Math.abs(100 - (stats.creditsUsd.storm ?? 0) - stats.costUsd) < 1e-9, 'the cost is what the credits lost');
  emu.resetStats();
  assert.deepEqual(emu.stats().byKeyModel, {});
  assert.equal(emu.stats().costUsd, 0);
});

test('a dynamic base above its cap is refused, naming the key', async () => {
  await assert.rejects(
    startEmulator({ keys: [{ key: KEY, requestsPerSecond: 1, dynamic: { baseRpm: 120 } }] }),
    /keys\[0\]\.dynamic.*baseRpm \(120\) is above capRpm \(60\)/,
  );
  await assert.rejects(startEmulator({ keys: [{ key: KEY, rateLimits: 'fixed', dynamic: true }] }), /keys\[0\]\.dynamic.*fixed/);
});
