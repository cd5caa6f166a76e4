// WorkerPool: a worker still starting already takes one chunk (queued in its port), so it begins the moment it is
// up; the chunk's result is the same as on this thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/datasets/pool.js';
import { runChunk } from '../../src/datasets/job.js';
import type { ChunkJob } from '../../src/datasets/job.js';
import { DEFAULT_RULE_OPTIONS } from '../../src/datasets/types.js';
import { assistant, conversation, user } from './helpers.js';

const job: ChunkJob = { options: DEFAULT_RULE_OPTIONS, cap: 20 };
const chunkOf = (seq: number, text: string) => ({ seq, bytes: new TextEncoder().encode(text), final: false });

test('a starting worker takes one chunk at once, and more once it is ready', async () => {
  const text = `${conversation(user('hi'), assistant('hello'))}\n{"bad"}\n`;
  const pool = new WorkerPool(1);
  try {
    pool.start(job);
    // Nothing has run on the event loop yet: the worker cannot have said it is ready.
    const first = pool.trySubmit(chunkOf(0, text), 2);
    assert.ok(first, 'taken while starting');
    assert.equal(pool.trySubmit(chunkOf(1, text), 2), undefined, 'one chunk while starting');
    const { result } = await first;
    assert.deepEqual(result, await runChunk(new TextEncoder().encode(text), false, job));
    const second = pool.trySubmit(chunkOf(2, text), 2);
    const third = pool.trySubmit(chunkOf(3, text), 2);
    assert.ok(second && third, 'two in flight once ready');
    await Promise.all([second, third]);
  } finally {
    await pool.close();
  }
});
