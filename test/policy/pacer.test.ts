import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import fc from 'fast-check';
import { Pacer, PolicyEvents, SENT_NOW, createMemoryPacerStore, keyFingerprint, type PacerOptions, type PolicyEvent } from '../../src/policy/index.js';
import { FakeClock, flush } from './fake-clock.js';

const KEY = 'sk-test-key';

/** Largest number of `times` inside any window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number, weights?: number[]): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let sum = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) sum += weights ? weights[j]! : 1;
    best = Math.max(best, sum);
  }
  return best;
}

describe('Pacer (fake time)', () => {
  let clock: FakeClock | undefined;
  let pacer: Pacer | undefined;
  afterEach(async () => {
    await pacer?.close();
    clock?.restore();
    pacer = clock = undefined;
  });

  function setup(options: Omit<PacerOptions, 'clock'> = {}): { clock: FakeClock; pacer: Pacer; released: number[] } {
    clock = new FakeClock(1_700_000_000_000, { mockGlobals: true });
    pacer = new Pacer({ ...options, clock });
    return { clock, pacer, released: [] };
  }

  function acquireAll(p: Pacer, c: FakeClock, n: number, released: number[], tokens = 0): Promise<{ waitedMs: number }[]> {
    return Promise.all(
      Array.from({ length: n }, () =>
        p.acquire(KEY, { tokens }).then((result) => {
          released.push(c.now());
          return result;
        }),
      ),
    );
  }

  test('a configured rate: sends are evenly spaced just under it, never more than the rate in any second', async () => {
    const { clock, pacer, released } = setup({ requestsPerSecond: 10 });
    const all = clock.run(acquireAll(pacer, clock, 30, released));
    const results = await all;
    const start = released[0]!;
    const gaps = released.slice(1).map((t, i) => t - released[i]!);
    assert.ok(Math.min(...gaps) >= 1000 / 10 / 0.95 - 1e-6 - 0.001, `min gap ${Math.min(...gaps)}`);
    assert.ok(maxInWindow(released, 1000) <= 10);
    assert.ok(Math.abs(released.at(-1)! - start - 29 * (1000 / 9.5)) < 2, `took ${released.at(-1)! - start} ms`);
    assert.equal(results[0]!.waitedMs, 0);
    assert.ok(results[29]!.waitedMs > 3000);
    assert.equal(pacer.pending(KEY), 0);
  });

  test('admit: a request with budget now goes without a promise; one that must wait gets one', async () => {
    const { clock, pacer } = setup({ requestsPerSecond: 10 });
    assert.equal(pacer.admit(KEY), SENT_NOW, 'the first slot is free: taken at once');
    const waiting = pacer.admit(KEY);
    assert.ok(waiting instanceof Promise, 'the next slot is 1/9.5 s off: a wait');
    await clock.advance(200);
    assert.equal(Math.round((await waiting).waitedMs), 105);
    assert.equal(pacer.pending(KEY), 0);
  });

  test('an unknown limit: one probe goes first, the rest wait for its headers, then go at the learned rate', async () => {
    const { clock, pacer, released } = setup();
    const all = acquireAll(pacer, clock, 21, released);
    await clock.advance(0);
    assert.equal(released.length, 1, 'only the probe went');
    assert.equal(pacer.limits(KEY).source, 'initial');
    await clock.advance(80); // the probe's response arrives
    assert.equal(released.length, 1);
    pacer.observe(KEY, { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '19', 'x-ratelimit-reset': '1' });
    assert.deepEqual(pacer.limits(KEY), { requestsPerSecond: 19, tokensPerMinute: undefined, source: 'learned' });
    await clock.run(all);
    const afterProbe = released.slice(1);
    assert.ok(afterProbe[0]! - released[0]! <= 80 + 1000 / 19, 'the queue was re-planned as soon as the limit was learned');
    assert.ok(maxInWindow(released, 1000) <= 20);
    const span = afterProbe.at(-1)! - afterProbe[0]!;
    assert.ok(Math.abs(span - 19 * (1000 / 19)) < 2, `20 sends after the probe took ${span} ms`);
  });

  test('without headers the unknown key is paced at the initial rate; two header-less responses stop that', async () => {
    const { clock, pacer, released } = setup({ initialRequestsPerSecond: 2 });
    const all = acquireAll(pacer, clock, 6, released);
    await clock.advance(1_200);
    assert.equal(released.length, 3, 'probe + two more at 2/s (1.9/s after the margin)');
    pacer.observe(KEY, { 'content-type': 'application/json' });
    pacer.observe(KEY, new Headers());
    assert.equal(pacer.limits(KEY).source, 'none');
    await clock.run(all);
    assert.ok(released.at(-1)! - released[2]! < 600, 'the rest went without the probe rate');
  });

  test('FIFO: waiters are released in the order they asked, whatever their token counts', async () => {
    const { clock, pacer } = setup({ requestsPerSecond: 50, tokensPerMinute: 100_000 });
    const order: number[] = [];
    const all = Promise.all([5, 500, 1, 3000, 20, 7].map((tokens, i) => pacer.acquire(KEY, { tokens }).then(() => order.push(i))));
    await clock.run(all);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  });

  test('abort removes a waiter (head or not) without disturbing the others', async () => {
    const { clock, pacer } = setup({ requestsPerSecond: 1 });
    const released: string[] = [];
    const controllers = ['a', 'b', 'c', 'd'].map(() => new AbortController());
    const waits = ['a', 'b', 'c', 'd'].map((name, i) =>
      pacer.acquire(KEY, { signal: controllers[i]!.signal }).then(
        () => released.push(name),
        (error: Error) => released.push(`${name}:${error.message}`),
      ),
    );
    await clock.advance(10);
    assert.deepEqual(released, ['a']);
    controllers[2]!.abort(new Error('c gave up'));
    controllers[1]!.abort(new Error('b gave up')); // b is the head, sleeping for its slot
    await clock.advance(0);
    assert.deepEqual(released, ['a', 'c:c gave up', 'b:b gave up']);
    assert.equal(pacer.pending(KEY), 1);
    await clock.run(Promise.all(waits));
    assert.deepEqual(released, ['a', 'c:c gave up', 'b:b gave up', 'd']);
    await assert.rejects(pacer.acquire(KEY, { signal: AbortSignal.abort(new Error('already')) }), /already/);
  });

  test('penalize (a 429) holds the queue for exactly the wait the server asked', async () => {
    const { clock, pacer, released } = setup({ requestsPerSecond: 100 });
    await clock.run(pacer.acquire(KEY));
    const penalizedAt = clock.now();
    pacer.penalize(KEY, 2_500);
    const all = acquireAll(pacer, clock, 3, released);
    await clock.advance(2_499);
    assert.equal(released.length, 0);
    await clock.run(all);
    assert.equal(released[0]! - penalizedAt, 2_500);
  });

  test('a spent window (remaining 0) holds the queue until x-ratelimit-reset', async () => {
    const { clock, pacer, released } = setup({ requestsPerSecond: 100 });
    pacer.observe(KEY, { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.7' });
    const observedAt = clock.now();
    await clock.run(acquireAll(pacer, clock, 1, released));
    assert.equal(released[0]! - observedAt, 700);
  });

  test('tokens per minute: a request that does not fit waits for the next window', async () => {
    const { clock, pacer, released } = setup({ tokensPerMinute: 1_000, safetyFactor: 1 });
    const all = acquireAll(pacer, clock, 3, released, 400);
    await clock.advance(1_000);
    assert.equal(released.length, 2, '800 of 1000 tokens used; 400 more would not fit');
    await clock.run(all);
    assert.ok(released[2]! - released[0]! >= 60_000 && released[2]! - released[0]! <= 60_010, `third after ${released[2]! - released[0]!} ms`);
  });

  test('pacing_wait events carry the key fingerprint, never the key', async () => {
    const events = new PolicyEvents();
    const seen: PolicyEvent<'pacing_wait'>[] = [];
    events.on('pacing_wait', (event) => seen.push(event));
    const { clock, pacer } = setup({ requestsPerSecond: 5, events });
    await clock.run(Promise.all([pacer.acquire(KEY), pacer.acquire(KEY)]));
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.key, keyFingerprint(KEY));
    assert.ok(!JSON.stringify(seen).includes(KEY));
    assert.ok(seen[0]!.waitedMs > 190);
  });

  test('close() rejects every waiter and leaves no timer behind', async () => {
    const { clock, pacer } = setup({ requestsPerSecond: 1 });
    const waits = [pacer.acquire(KEY), pacer.acquire(KEY), pacer.acquire('another key')];
    await clock.advance(10);
    await pacer.close();
    const results = await Promise.allSettled(waits);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((results[1] as PromiseRejectedResult).reason), /pacer was closed/);
    await flush();
    assert.equal(clock.pendingTimers(), 0);
    await assert.rejects(pacer.acquire(KEY), /pacer is closed/);
  });

  test('bad options and inputs are refused with clear messages', () => {
    assert.throws(() => new Pacer({ requestsPerSecond: 0 }), /requestsPerSecond must be a positive number \(got 0\)/);
    assert.throws(() => new Pacer({ safetyFactor: 1.5 }), /safetyFactor must be a number in \(0, 1\]/);
    const p = new Pacer();
    return assert.rejects(p.acquire(KEY, { tokens: -1 }), /tokens must be a number >= 0/).then(() => p.close());
  });

  test('property: N acquires never exceed the request budget in any 1 s window, nor the token budget in a window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 300, max: 3_000 }),
        async (rps, n, tokenCounts, tpm) => {
          // Requests: a configured rate, N concurrent acquires.
          const c1 = new FakeClock(1_700_000_000_000, { mockGlobals: true });
          const p1 = new Pacer({ requestsPerSecond: rps, clock: c1 });
          const times: number[] = [];
          try {
            await c1.run(Promise.all(Array.from({ length: n }, () => p1.acquire(KEY).then(() => times.push(c1.now())))));
          } finally {
            await p1.close();
            c1.restore();
          }
          assert.equal(times.length, n);
          assert.ok(maxInWindow(times, 1000) <= rps, `${maxInWindow(times, 1000)} sends in a second at ${rps}/s`);

          // Tokens: the fixed 60 s windows the budget is counted in (each starts at its first send).
          const c2 = new FakeClock(1_700_000_000_000, { mockGlobals: true });
          const p2 = new Pacer({ tokensPerMinute: tpm, clock: c2 });
          const sent: { at: number; tokens: number }[] = [];
          try {
            await c2.run(Promise.all(tokenCounts.map((tokens) => p2.acquire(KEY, { tokens }).then(() => sent.push({ at: c2.now(), tokens })))));
          } finally {
            await p2.close();
            c2.restore();
          }
          const budget = Math.floor(tpm * 0.95);
          let windowStart = -Infinity;
          let used = 0;
          for (const { at, tokens } of sent) {
            if (tokens === 0) continue;
            if (at >= windowStart + 60_000) {
              windowStart = at;
              used = 0;
            }
            used += Math.min(tokens, budget);
            assert.ok(used <= budget, `${used} tokens in one window, budget ${budget}`);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('Pacer (real time)', () => {
  test('accuracy: 60 requests at a learned 20/s take about 3 s and never exceed 20 in any second', async () => {
    const pacer = new Pacer();
    const sentAt: number[] = [];
    const started = performance.now();
    const all = Array.from({ length: 60 }, (_, i) =>
      pacer.acquire(KEY).then(() => {
        sentAt.push(performance.now());
        // The probe's response arrives a few ms after it was sent, with the key's limit.
        if (i === 0) setTimeout(() => pacer.observe(KEY, { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '19' }), 5);
      }),
    );
    await Promise.all(all);
    const took = performance.now() - started;
    await pacer.close();
    assert.ok(took >= 3000 * 0.85 && took <= 3000 * 1.15, `took ${Math.round(took)} ms`);
    assert.ok(maxInWindow(sentAt, 1000) <= 20, `${maxInWindow(sentAt, 1000)} sends in one second`);
  });
});

describe('pacer stores: senders sharing one budget', () => {
  test('memory: a send late in its slot is followed by the next sender no sooner than an interval later', () => {
    const store = createMemoryPacerStore();
    const interval = 100;
    // Sender A, idle until now, goes at once at 150 (late in slot 1); sender B, with no spacing of its own, asks at 160.
    const a = store.reserveSync!('k', { now: 150, notBefore: 0, intervalMs: interval, tokens: 0 });
    const b = store.reserveSync!('k', { now: 160, notBefore: 0, intervalMs: interval, tokens: 0 });
    assert.deepEqual(a, { granted: true, sendAt: 150 });
    assert.ok(b.granted && b.sendAt >= 250, `B sends at ${b.granted ? b.sendAt : '-'}: closer than an interval to A's 150`);
    // On time (at a slot's start), nothing is lost: the next sender takes the very next slot.
    const c = store.reserveSync!('j', { now: 300, notBefore: 0, intervalMs: interval, tokens: 0 });
    const d = store.reserveSync!('j', { now: 300, notBefore: 0, intervalMs: interval, tokens: 0 });
    assert.deepEqual([c, d], [{ granted: true, sendAt: 300 }, { granted: true, sendAt: 400 }]);
  });
});
