// Workers started before the validator loads (early-workers.ts): validateFile takes them over for the file and
// thread count they were started for, and only then; unused, they never keep the process alive.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startWorkersEarly, takeEarlyWorkers } from '../../src/datasets/early-workers.js';
import { validateFile } from '../../src/datasets/index.js';
import { assistant, conversation, tempDir, user } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const lines = Array.from({ length: 400 }, (_, k) => (k % 97 === 5 ? '{"bad"}' : conversation(user(`question ${k}`), assistant(`answer ${k}`))));
const file = tmp.file('data.jsonl', `${lines.join('\n')}\n`);

test('workers started early are taken for the same file and thread count', async () => {
  await startWorkersEarly(file, 1);
  const pool = takeEarlyWorkers(file, 1);
  assert.ok(pool, 'a pool');
  assert.equal(pool.size, 1);
  assert.equal(takeEarlyWorkers(file, 1), undefined, 'taken once');
  await pool.close();
  await startWorkersEarly(file, 0);
  assert.equal(takeEarlyWorkers(file, 0), null, 'decided: none');
});

test('for another file or thread count they are not taken (and are stopped)', async () => {
  await startWorkersEarly(file, 1);
  assert.equal(takeEarlyWorkers(`${file}.other`, 1), undefined);
  assert.equal(takeEarlyWorkers(file, 1), undefined, 'stopped, not kept for later');
  await startWorkersEarly(file, 1);
  assert.equal(takeEarlyWorkers(file, 2), undefined);
  await startWorkersEarly(file, 1);
  assert.equal(takeEarlyWorkers(file, undefined), undefined);
});

test('none for a Parquet file or one that cannot be read', async () => {
  await startWorkersEarly(tmp.file('rows.parquet', 'x'), 1);
  assert.equal(takeEarlyWorkers(`${tmp.dir}/rows.parquet`, 1), undefined);
  await startWorkersEarly(`${tmp.dir}/missing.jsonl`, 1);
  assert.equal(takeEarlyWorkers(`${tmp.dir}/missing.jsonl`, 1), undefined);
  await startWorkersEarly(tmp.dir, 1);
  assert.equal(takeEarlyWorkers(tmp.dir, 1), undefined);
});

test('validateFile with workers started early gives the one-thread report', async () => {
  const reference = await validateFile(file, { threads: 0, chunkSize: 4096 });
  assert.ok(reference.errors.length > 0 && reference.samples === 400);
  await startWorkersEarly(file, 1);
  assert.deepEqual(await validateFile(file, { threads: 1, chunkSize: 4096 }), reference);
  await startWorkersEarly(file, 2);
  assert.deepEqual(await validateFile(file, { threads: 2, chunkSize: 4096 }), reference);
  assert.equal(takeEarlyWorkers(file, 2), undefined, 'validateFile took them');
});

test('workers started early and never used do not keep the process alive', () => {
  const module = new URL('../../src/datasets/early-workers.ts', import.meta.url).href;
  const script = `const { startWorkersEarly } = await import(${JSON.stringify(module)}); await startWorkersEarly(${JSON.stringify(file)}, 1); console.log('started');`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(child.error, undefined, 'the process exits by itself');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'started');
});
