import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { ModelInfo } from '../../src/api/index.js';
import { createCatalog } from '../../src/catalog/index.js';
import { liveListFromSnapshot } from './live-list.js';

const LIVE = liveListFromSnapshot();
const extra = (id: string): ModelInfo => ({ id, object: 'model', created: 1, type: 'chat', context_length: 4096 });

/** A fetchModels whose answers the test controls: each call takes the next queued behaviour. */
function fakeFetch() {
  const calls: Array<AbortSignal | undefined> = [];
  const queue: Array<() => Promise<ModelInfo[]>> = [];
  const fetchModels = (signal?: AbortSignal): Promise<ModelInfo[]> => {
    calls.push(signal);
    const next = queue.shift();
    return next ? next() : Promise.resolve(LIVE);
  };
  return { fetchModels, calls, queue };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('catalog cache', () => {
  test('loads once and serves from cache within the TTL', async () => {
    let clock = 1_000;
    const fake = fakeFetch();
    const catalog = createCatalog({ fetchModels: fake.fetchModels, ttlMs: 60_000, now: () => clock });
    try {
      assert.equal((await catalog.list()).length, LIVE.length);
      clock += 59_000;
      await catalog.list();
      await catalog.resolve('meta-llama/Llama-3.3-70B-Instruct-Turbo');
      assert.equal(fake.calls.length, 1);
      assert.equal(catalog.status().source, 'live');
      assert.equal(catalog.status().loadedAt, 1_000);
    } finally {
      catalog.close();
    }
  });

  test('a resolution is reused while the list stands; a stale list is refreshed and resolved afresh', async () => {
    let clock = 1_000;
    const fake = fakeFetch();
    const catalog = createCatalog({ fetchModels: fake.fetchModels, ttlMs: 60_000, now: () => clock });
    const id = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
    try {
      const first = await catalog.resolve(id);
      assert.equal(first.ok, true);
      assert.equal(await catalog.resolve(id), first, 'the same list answers from its cache');
      assert.notEqual(await catalog.resolve(id, { allowSuccessor: true }), first, 'allowSuccessor is resolved on its own');
      // The next list drops the model: once it has loaded, the id no longer resolves.
      fake.queue.push(() => Promise.resolve(LIVE.filter((m) => m.id !== id)));
      clock += 61_000;
      assert.equal((await catalog.resolve(id)).ok, true, 'a stale list still answers while the new one loads');
      await delay(5);
      assert.equal(fake.calls.length, 2);
      const after = await catalog.resolve(id);
      assert.equal(after.ok, false);
    } finally {
      catalog.close();
    }
  });

  test('concurrent first callers share one fetch', async () => {
    const fake = fakeFetch();
    const gate = deferred<ModelInfo[]>();
    fake.queue.push(() => gate.promise);
    const catalog = createCatalog({ fetchModels: fake.fetchModels });
    try {
      const waiting = Promise.all([catalog.list(), catalog.resolve('openai/gpt-oss-20b'), catalog.list()]);
      await delay(1);
      assert.equal(catalog.status().loading, true);
      gate.resolve(LIVE);
      const [a, resolution, b] = await waiting;
      assert.equal(fake.calls.length, 1);
      assert.equal(a.length, b.length);
      assert.equal(resolution.ok, true);
    } finally {
      catalog.close();
    }
  });

  test('a stale list is served at once while one background refresh replaces it', async () => {
    let clock = 0;
    const fake = fakeFetch();
    const catalog = createCatalog({ fetchModels: fake.fetchModels, ttlMs: 1_000, now: () => clock });
    try {
      await catalog.list();
      clock = 5_000;
      const gate = deferred<ModelInfo[]>();
      fake.queue.push(() => gate.promise);
      // Stale: both callers get the old list immediately, and only one refresh starts.
      const [first, second] = await Promise.all([catalog.list(), catalog.list()]);
      assert.equal(first.length, LIVE.length);
      assert.equal(second.length, LIVE.length);
      assert.equal(fake.calls.length, 2);
      assert.equal((await catalog.resolve('acme/new-model')).ok, false);
      gate.resolve([...LIVE, extra('acme/new-model')]);
      await delay(1);
      assert.equal((await catalog.resolve('acme/new-model')).ok, true);
      assert.equal(catalog.status().loadedAt, 5_000);
    } finally {
      catalog.close();
    }
  });

  test('a failed refresh keeps the old list, reports the error, and waits before retrying', async () => {
    let clock = 0;
    const fake = fakeFetch();
    const reported: unknown[] = [];
    const catalog = createCatalog({
      fetchModels: fake.fetchModels,
      ttlMs: 1_000,
      retryAfterFailureMs: 10_000,
      now: () => clock,
      onRefreshError: (error) => reported.push(error),
    });
    try {
      await catalog.list();
      clock = 2_000;
      const outage = new Error('503 from /models');
      fake.queue.push(() => Promise.reject(outage));
      assert.equal((await catalog.list()).length, LIVE.length);
      await delay(1);
      assert.deepEqual(reported, [outage]);
      assert.equal(catalog.status().lastError, outage);
      assert.equal(catalog.status().source, 'live', 'the old live list is still in use');
      clock = 5_000; // still inside the failure back-off: no new fetch
      await catalog.list();
      assert.equal(fake.calls.length, 2);
      clock = 12_001;
      await catalog.list();
      await delay(1);
      assert.equal(fake.calls.length, 3);
      assert.equal(catalog.status().lastError, undefined, 'a success clears the error');
    } finally {
      catalog.close();
    }
  });

  test('when the first load fails, answers come from the snapshot and say so', async () => {
    const fake = fakeFetch();
    fake.queue.push(() => Promise.reject(new Error('offline')));
    const catalog = createCatalog({ fetchModels: fake.fetchModels, onRefreshError: () => undefined });
    try {
      const resolution = await catalog.resolve('meta-llama/Meta-Llama-3.1-8B-Instruct');
      assert.equal(resolution.ok, false);
      assert.equal(resolution.listSource, 'snapshot');
      if (!resolution.ok) assert.match(resolution.message, /bundled catalog snapshot of 2025-11-07, not the live list/);
      assert.equal(catalog.status().source, 'snapshot');
      assert.equal((await catalog.list()).length, LIVE.length);
      await assert.rejects(catalog.refresh().then(() => Promise.reject(new Error('unexpected'))), /unexpected/);
      assert.equal(catalog.status().source, 'live', 'an explicit refresh() loads regardless of back-off');
    } finally {
      catalog.close();
    }
  });

  test('refresh() rejects with the load error; a caller signal stops waiting without cancelling the shared load', async () => {
    const fake = fakeFetch();
    fake.queue.push(() => Promise.reject(new Error('401 Unauthorized')));
    const catalog = createCatalog({ fetchModels: fake.fetchModels, onRefreshError: () => undefined });
    try {
      await assert.rejects(catalog.refresh(), /401/);
      const gate = deferred<ModelInfo[]>();
      fake.queue.push(() => gate.promise);
      const controller = new AbortController();
      const waiting = catalog.refresh(controller.signal);
      const resolving = catalog.resolve('openai/gpt-oss-20b', { signal: controller.signal });
      controller.abort(new Error('caller left'));
      await assert.rejects(waiting, /caller left/);
      await assert.rejects(resolving, /caller left/);
      assert.equal(fake.calls.at(-1)?.aborted, false, 'the shared load goes on');
      gate.resolve(LIVE);
      await delay(1);
      assert.equal(catalog.status().source, 'live');
    } finally {
      catalog.close();
    }
  });

  test('a load that hangs is aborted after fetchTimeoutMs', async () => {
    const catalog = createCatalog({
      fetchModels: (signal) =>
        new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
      fetchTimeoutMs: 20,
      onRefreshError: () => undefined,
    });
    // The load timer is unref'd (it must not hold a process open); this fake load has no socket to do that.
    const keepAlive = setTimeout(() => undefined, 5_000);
    try {
      await assert.rejects(catalog.refresh(), (error: Error) => error.name === 'TimeoutError' && /20 ms/.test(error.message));
    } finally {
      clearTimeout(keepAlive);
      catalog.close();
    }
  });

  test('refreshInBackground refreshes on a timer until close(), which also aborts a running load', async () => {
    const fake = fakeFetch();
    const catalog = createCatalog({ fetchModels: fake.fetchModels, ttlMs: 15, refreshInBackground: true });
    await catalog.list();
    // Nobody calls the catalog now: only the timer can fetch. Poll (a busy machine delays timers).
    const deadline = Date.now() + 2_000;
    while (fake.calls.length < 3 && Date.now() < deadline) await delay(5);
    assert.ok(fake.calls.length >= 3, `expected background refreshes, saw ${fake.calls.length} fetches`);
    const gate = deferred<ModelInfo[]>();
    fake.queue.push(() => gate.promise);
    await delay(20);
    const hanging = fake.calls.at(-1);
    catalog.close();
    assert.equal(hanging?.aborted, true, 'close() aborts the load in flight');
    const after = fake.calls.length;
    await delay(50);
    assert.equal(fake.calls.length, after, 'no fetch after close()');
    gate.resolve(LIVE);
  });

  test('bad options are refused with a clear message', () => {
    assert.throws(() => createCatalog({} as never), /fetchModels must be a function/);
    assert.throws(() => createCatalog({ fetchModels: async () => [], ttlMs: -1 }), /ttlMs must be a positive number/);
  });
});
