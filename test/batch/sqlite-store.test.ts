import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CheckpointBusyError, CheckpointMismatchError, SqliteStore } from '../../src/batch/index.js';
import type { SavedResult } from '../../src/batch/index.js';
import { tempDir } from './helpers.js';

const result = (index: number, extra: Partial<SavedResult> = {}): SavedResult => ({
  index,
  line: `{"custom_id":"r${index}"}`,
  costUsd: 0.5,
  failed: false,
  retryable: false,
  ...extra,
});

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe('SqliteStore', () => {
  test('keeps the first result per index, survives reopening, and hands out only what is not done', async (t) => {
    const path = join(tempDir(t), 'job.sqlite');
    const store = new SqliteStore(path);
    await store.open({ fingerprint: 'f', total: 5 });
    assert.deepEqual((await store.claim(2)).indexes, [0, 1]);
    await store.save([result(1), result(1, { line: 'second' }), result(3, { failed: true, retryable: true, costUsd: 0 })]);
    await store.release([0]);
    assert.deepEqual((await store.claim(10)).indexes, [0, 2, 4]);
    await store.close();

    const again = new SqliteStore(path);
    const summary = await again.open({ fingerprint: 'f', total: 5 });
    assert.deepEqual(summary, { total: 5, done: 2, failed: 1, spentUsd: 0.5, maxRequestCostUsd: 0.5 });
    assert.deepEqual((await again.claim(10)).indexes, [0, 2, 4]);
    assert.deepEqual(await collect(again.lines()), ['{"custom_id":"r1"}', '{"custom_id":"r3"}']);
    await again.close();

    const retry = new SqliteStore(path);
    assert.equal((await retry.open({ fingerprint: 'f', total: 5 }, { retryFailed: true })).done, 1);
    assert.deepEqual((await retry.claim(10)).indexes, [0, 2, 3, 4]);
    await retry.close();
  });

  test('refuses a checkpoint of another job', async (t) => {
    const path = join(tempDir(t), 'job.sqlite');
    const store = new SqliteStore(path);
    await store.open({ fingerprint: 'one', total: 1 });
    await store.close();
    await assert.rejects(new SqliteStore(path).open({ fingerprint: 'two', total: 1 }), CheckpointMismatchError);
  });

  test('refuses while another live process owns it, and takes over from a dead one', async (t) => {
    const path = join(tempDir(t), 'job.sqlite');
    const setup = new SqliteStore(path);
    await setup.open({ fingerprint: 'f', total: 1 });
    await setup.close();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    const db = new Database(path);
    db.prepare("INSERT OR REPLACE INTO job (key, value) VALUES ('owner', ?)").run(JSON.stringify({ pid: child.pid, host: hostname() }));
    db.close();
    await assert.rejects(new SqliteStore(path).open({ fingerprint: 'f', total: 1 }), (error: Error) => {
      assert.ok(error instanceof CheckpointBusyError);
      assert.match(error.message, new RegExp(`pid ${child.pid}`));
      assert.match(error.message, /--store redis/);
      return true;
    });
    child.kill('SIGKILL');
    await once(child, 'exit');
    const store = new SqliteStore(path);
    assert.equal((await store.open({ fingerprint: 'f', total: 1 })).total, 1);
    await store.close();
  });
});
