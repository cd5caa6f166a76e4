// How many workers a validation starts (threads.ts), and the in-order merge that keeps a slow worker from holding
// the main thread back (merge-queue.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUSY_SAMPLES, busyThreads, leastBusyThreads, workersFor, WORKER_MIN_BYTES } from '../../src/datasets/threads.js';
import { MergeQueue } from '../../src/datasets/merge-queue.js';
import type { ChunkResult } from '../../src/datasets/chunk.js';

describe('workersFor', () => {
  test('a worker per core idle right now, beyond this thread', () => {
    const big = WORKER_MIN_BYTES;
    // A quiet 2-core machine: only this thread runs, so the other core takes a worker.
    assert.equal(workersFor(big, 2, 1), 1);
    assert.equal(workersFor(big, 2, 0), 1, 'the count includes this thread: never below one');
    assert.equal(workersFor(big, 2, 2), 0);
    assert.equal(workersFor(big, 2, 9), 0);
    assert.equal(workersFor(big, 8, 2), 3, 'at most three');
    assert.equal(workersFor(big, 8, 6), 2);
    assert.equal(workersFor(big - 1, 8, 1), 0, 'a small file is checked on this thread');
  });

  test('busyThreads counts at least this thread', () => {
    assert.ok(Number.isInteger(busyThreads()) && busyThreads() >= 1);
  });

  /** A sampler that answers `counts` in turn and records how often it was asked. */
  const sampler = (counts: number[]) => {
    const asked = { times: 0 };
    return { asked, sample: () => counts[Math.min(asked.times++, counts.length - 1)]! };
  };

  test('a thread that runs for a moment is not load: the fewest of several samples counts', async () => {
    const transient = sampler([2, 2, 1, 2]);
    assert.equal(await leastBusyThreads(transient.sample, 5, 0), 1);
    assert.equal(transient.asked.times, 3, 'stops once only this thread runs');
    const busy = sampler([3, 2, 4, 2, 3, 1]);
    assert.equal(await leastBusyThreads(busy.sample, 5, 0), 2, 'a machine busy in every sample stays busy');
    assert.equal(busy.asked.times, 5);
    const idle = sampler([1, 3]);
    assert.equal(await leastBusyThreads(idle.sample), 1);
    assert.equal(idle.asked.times, 1, 'an idle machine costs one sample');
    assert.ok(BUSY_SAMPLES > 1);
  });
});

const result = (lines: number): ChunkResult => ({ lines, samples: lines, messages: 0, runs: [], issues: [], omitted: {} });

/** A promise and its resolve/reject. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('MergeQueue', () => {
  test('chunks checked here do not wait for a slow worker until the window is full, and merge in file order', async () => {
    const merged: number[] = [];
    const queue = new MergeQueue(3, async (r) => void merged.push(r.lines));
    queue.addReady(result(1), 10);
    const slow = deferred<ChunkResult>();
    queue.addPending(slow.promise, 10);
    queue.addReady(result(3), 10);
    await queue.drain(); // returns without the worker's answer: two wait, the window is three
    assert.deepEqual(merged, [1]);
    assert.equal(queue.waiting, 2);
    queue.addReady(result(4), 10);
    const full = queue.drain(); // three wait: now it waits for the oldest
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(merged, [1]);
    slow.resolve(result(2));
    await full;
    assert.deepEqual(merged, [1, 2, 3, 4]);
    assert.equal(queue.waiting, 0);
  });

  test("a worker's answer merges as soon as it is at the head; drain(true) waits for all", async () => {
    const merged: number[] = [];
    const queue = new MergeQueue(32, async (r) => void merged.push(r.lines));
    const a = deferred<ChunkResult>();
    const b = deferred<ChunkResult>();
    queue.addPending(a.promise, 1);
    queue.addPending(b.promise, 1);
    b.resolve(result(2));
    await queue.drain();
    assert.deepEqual(merged, [], 'the second waits for the first');
    a.resolve(result(1));
    await new Promise((resolve) => setImmediate(resolve));
    await queue.drain();
    assert.deepEqual(merged, [1, 2]);
    const c = deferred<ChunkResult>();
    queue.addPending(c.promise, 1);
    setTimeout(() => c.resolve(result(3)), 5);
    await queue.drain(true);
    assert.deepEqual(merged, [1, 2, 3]);
  });

  test("a worker's failure surfaces at its turn, not as an unhandled rejection before", async () => {
    const queue = new MergeQueue(32, async () => undefined);
    const failing = deferred<ChunkResult>();
    queue.addPending(failing.promise, 1);
    failing.reject(new Error('worker died'));
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(queue.drain(true), /worker died/);
  });
});
