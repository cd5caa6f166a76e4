import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBatchInput, RedisStore, runJob } from '../../src/batch/index.js';
import type { SavedResult } from '../../src/batch/index.js';
import { redisAvailable, startRedis } from '../policy/redis-server.js';
import type { TestRedis } from '../policy/redis-server.js';
import { fakeSend, inputLines } from './helpers.js';

const result = (index: number, extra: Partial<SavedResult> = {}): SavedResult => ({
  index,
  line: `line ${index}`,
  costUsd: 0.25,
  failed: false,
  retryable: false,
  ...extra,
});

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('RedisStore', { skip: !redisAvailable() && 'redis-server is not installed' }, () => {
  let redis: TestRedis;
  let job = 0;
  const stores: RedisStore[] = [];
  const store = (leaseMs = 60_000): RedisStore => {
    const s = new RedisStore({ url: redis.url, leaseMs });
    stores.push(s);
    return s;
  };
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis.stop();
  });

  test('workers claim disjoint requests; the first result for an index wins', async () => {
    const id = { fingerprint: `claims-${job++}`, total: 6 };
    const a = store();
    const b = store();
    await a.open(id);
    await b.open(id);
    const first = await a.claim(3);
    const second = await b.claim(10);
    assert.deepEqual(first.indexes, [0, 1, 2]);
    assert.deepEqual(second.indexes, [3, 4, 5]);
    const nothing = await a.claim(3);
    assert.deepEqual(nothing.indexes, []);
    assert.equal(nothing.more, 'later', 'b still holds three');
    await a.save([result(0), result(1), result(2)]);
    await b.save([result(3), result(4), result(5), result(0, { line: 'duplicate' })]);
    const summary = await a.summary();
    assert.deepEqual(summary, { total: 6, done: 6, failed: 0, spentUsd: 1.5, maxRequestCostUsd: 0.25 });
    assert.deepEqual(await collect(b.lines()), ['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    assert.equal((await a.claim(1)).more, 'none');
  });

  test('open tells a worker joining a job in progress from one resuming a stopped job', async () => {
    const id = { fingerprint: `joining-${job++}`, total: 6 };
    const first = store(200);
    assert.equal((await first.open(id)).heldElsewhere, 0, 'a fresh job');
    await first.claim(2);
    await first.save([result(0)]);
    const joiner = store(200);
    const joined = await joiner.open(id);
    assert.equal(joined.heldElsewhere, 1, 'another live worker holds index 1');
    assert.equal(joined.done, 1);
    await first.close(); // releases what it held
    const resumer = store(200);
    assert.equal((await resumer.open(id)).heldElsewhere, 0, 'nobody is running it: a resume');
  });

  test('a released claim, or one whose lease ran out (a crashed worker), is handed out again', async () => {
    const id = { fingerprint: `leases-${job++}`, total: 3 };
    const crashed = store(200);
    const other = store(200);
    await crashed.open(id);
    await other.open(id);
    assert.deepEqual((await crashed.claim(2)).indexes, [0, 1]);
    await crashed.release([1]);
    assert.deepEqual((await other.claim(5)).indexes, [2, 1]);
    assert.deepEqual((await other.claim(5)).indexes, [], 'index 0 is still leased');
    await crashed.close(); // stops renewing, as a killed process would
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.deepEqual((await other.claim(5)).indexes, [0]);
  });

  test('a held claim is renewed while its request runs', async () => {
    const id = { fingerprint: `renew-${job++}`, total: 1 };
    const holder = store(150);
    const other = store(150);
    await holder.open(id);
    await other.open(id);
    assert.deepEqual((await holder.claim(1)).indexes, [0]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual((await other.claim(1)).indexes, []);
  });

  test('stopAll stops the other workers until the job is opened again; retryFailed forgets retryable failures', async () => {
    const id = { fingerprint: `stop-${job++}`, total: 3 };
    const a = store();
    const b = store();
    await a.open(id);
    await b.open(id);
    await a.save([result(0, { failed: true, retryable: true, costUsd: 0 }), result(1, { failed: true, retryable: false, costUsd: 0 })]);
    await a.stopAll('credits ran out');
    assert.equal((await b.claim(1)).stoppedBy, 'credits ran out');
    const summary = await b.open(id, { retryFailed: true });
    assert.deepEqual([summary.done, summary.failed], [1, 1]);
    const claimed = await b.claim(5);
    assert.equal(claimed.stoppedBy, undefined);
    assert.deepEqual(claimed.indexes.sort(), [0, 2]);
  });

  test('three workers on one job: each request runs exactly once', async () => {
    const parsed = parseBatchInput(inputLines(300));
    const workers = [store(), store(), store()];
    const sends = workers.map(() => fakeSend({ delayMs: (i) => i % 2 }));
    for (const w of workers) await w.open({ fingerprint: parsed.fingerprint, total: 300 });
    const outcomes = await Promise.all(
      workers.map((w, i) => runJob({ requests: parsed.requests, store: w, send: sends[i]!.send, concurrency: 8, pollMs: 20 })),
    );
    const all = sends.flatMap((s) => s.sent);
    assert.equal(all.length, 300);
    assert.equal(new Set(all).size, 300);
    assert.ok(sends.every((s) => s.sent.length > 30), `work was shared: ${sends.map((s) => s.sent.length).join(', ')}`);
    assert.ok(outcomes.every((o) => o.complete));
    const lines = await collect(workers[0]!.lines());
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).custom_id),
      parsed.requests.map((r) => r.customId),
    );
  });
});
