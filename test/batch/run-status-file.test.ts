// `tether run` status files: atomic writes, what the reader keeps and drops, staleness, and the reporter's
// throttle, heartbeat and final state.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRunStatusReporter,
  pruneRunStatuses,
  readRunStatuses,
  runJobId,
  runsDir,
  runStatusFromProgress,
  writeRunStatus,
} from '../../src/batch/index.js';
import type { RunOutcome, RunProgress, RunStatus } from '../../src/batch/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-runs-test-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function status(fields: Partial<RunStatus> = {}): RunStatus {
  return { jobId: 'job1', input: 'in.jsonl', output: 'out.jsonl', done: 10, left: 90, failed: 1, ratePerSec: 5, etaSec: 18, spendUsd: 0.01, state: 'running', updatedAt: new Date().toISOString(), ...fields };
}

function progress(fields: Partial<RunProgress> = {}): RunProgress {
  return { total: 100, done: 0, failed: 0, spentUsd: 0, maxRequestCostUsd: 0, inFlight: 0, finishedThisRun: 0, elapsedMs: 0, ...fields };
}

test('runsDir is $TETHER_HOME/runs, else ~/.tether/runs', () => {
  assert.equal(runsDir({ TETHER_HOME: '/srv/tether' }), join('/srv/tether', 'runs'));
  assert.equal(runsDir({}), join(homedir(), '.tether', 'runs'));
  assert.equal(runJobId('out.jsonl'), runJobId(join(process.cwd(), 'out.jsonl')), 'the same output file is the same job');
  assert.notEqual(runJobId('a.jsonl'), runJobId('b.jsonl'));
});

test('the status of a progress report: left, rate and ETA', () => {
  const s = runStatusFromProgress({ jobId: 'j', input: 'i', output: 'o' }, progress({ done: 40, failed: 2, spentUsd: 0.5, finishedThisRun: 30, elapsedMs: 10_000 }), 'running', Date.UTC(2025, 0, 1));
  assert.deepEqual(s, { jobId: 'j', input: 'i', output: 'o', done: 40, left: 60, failed: 2, ratePerSec: 3, etaSec: 20, spendUsd: 0.5, state: 'running', updatedAt: '2025-01-01T00:00:00.000Z' });
  assert.equal(runStatusFromProgress({ jobId: 'j', input: 'i', output: 'o' }, progress(), 'running', 0).etaSec, null, 'no rate yet: ETA unknown');
});

describe('write and read', () => {
  test('one file per job, replaced atomically, read back newest first', async () => {
    const dir = tempDir();
    await writeRunStatus(status({ jobId: 'old', updatedAt: new Date(Date.now() - 60_000).toISOString(), state: 'done', left: 0 }), dir);
    await writeRunStatus(status({ jobId: 'new' }), dir);
    await writeRunStatus(status({ jobId: 'new', done: 11, left: 89 }), dir);
    assert.deepEqual(readdirSync(dir).sort(), ['new.json', 'old.json'], 'no temp file is left behind');
    const read = await readRunStatuses(dir);
    assert.deepEqual(
      read.map((r) => [r.jobId, r.done, r.stale]),
      [
        ['new', 11, false],
        ['old', 10, false],
      ],
    );
  });

  test('damaged, foreign and too old files are skipped; a silent running job is stale', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'half.json'), '{"jobId": "half", "do');
    writeFileSync(join(dir, 'other.json'), '{"hello": "world"}');
    writeFileSync(join(dir, 'notes.txt'), 'not a status');
    await writeRunStatus(status({ jobId: 'ancient', updatedAt: new Date(Date.now() - 48 * 3600_000).toISOString() }), dir);
    await writeRunStatus(status({ jobId: 'killed', updatedAt: new Date(Date.now() - 120_000).toISOString() }), dir);
    const read = await readRunStatuses(dir);
    assert.deepEqual(
      read.map((r) => [r.jobId, r.stale]),
      [['killed', true]],
    );
    assert.deepEqual(await readRunStatuses(join(dir, 'missing')), [], 'no directory: no jobs');
  });

  test('an invalid status is refused with the field that is wrong', async () => {
    await assert.rejects(writeRunStatus(status({ jobId: '../escape' }), tempDir()), /jobId/);
    await assert.rejects(writeRunStatus(status({ done: -1 }), tempDir()), /done/);
  });

  test('prune deletes files untouched for longer than the limit', async () => {
    const dir = tempDir();
    await writeRunStatus(status({ jobId: 'keep' }), dir);
    await writeRunStatus(status({ jobId: 'drop' }), dir);
    const old = new Date(Date.now() - 30 * 24 * 3600_000);
    utimesSync(join(dir, 'drop.json'), old, old);
    await pruneRunStatuses(dir);
    assert.deepEqual(readdirSync(dir), ['keep.json']);
  });
});

describe('the reporter', () => {
  function read(dir: string, output: string): RunStatus {
    return JSON.parse(readFileSync(join(dir, `${runJobId(output)}.json`), 'utf8')) as RunStatus;
  }

  test('writes at start, at most once per interval while running (the latest report wins), and the final state', async () => {
    const dir = tempDir();
    let now = 1_000_000;
    const reporter = createRunStatusReporter({ input: 'in.jsonl', output: join(dir, 'out.jsonl'), dir, intervalMs: 50, heartbeatMs: 60_000, now: () => now });
    reporter.start({ total: 100, done: 20 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(read(dir, join(dir, 'out.jsonl')).done, 20);
    now += 10;
    reporter.update(progress({ done: 25, finishedThisRun: 5, elapsedMs: 1000 }));
    reporter.update(progress({ done: 30, finishedThisRun: 10, elapsedMs: 2000 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(read(dir, join(dir, 'out.jsonl')).done, 20, 'within the interval nothing more is written');
    await new Promise((resolve) => setTimeout(resolve, 80));
    const trailing = read(dir, join(dir, 'out.jsonl'));
    assert.equal(trailing.done, 30, 'the trailing write carries the latest report');
    assert.equal(trailing.ratePerSec, 5);
    assert.equal(trailing.state, 'running');

    now += 3990;
    const outcome: RunOutcome = { total: 100, done: 100, failed: 3, spentUsd: 0.2, maxRequestCostUsd: 0.01, complete: true, left: 0, sent: 80, finishedThisRun: 80 };
    await reporter.finish(outcome);
    const final = read(dir, join(dir, 'out.jsonl'));
    assert.equal(final.state, 'done');
    assert.equal(final.left, 0);
    assert.equal(final.etaSec, 0);
    assert.equal(final.ratePerSec, 20, '80 requests over the 4 s since start');
    reporter.update(progress({ done: 50 }));
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(read(dir, join(dir, 'out.jsonl')).state, 'done', 'nothing is written after finish');
  });

  test('a stopped run keeps its reason; a run that never started writes nothing', async () => {
    const dir = tempDir();
    const reporter = createRunStatusReporter({ input: 'in.jsonl', output: join(dir, 'a.jsonl'), dir, heartbeatMs: 60_000 });
    reporter.start({ total: 10, done: 0 });
    await reporter.finish({ total: 10, done: 4, failed: 0, spentUsd: 0, maxRequestCostUsd: 0, complete: false, left: 6, sent: 4, finishedThisRun: 4, stop: { reason: 'billing', message: 'credits ran out (402)' } });
    const stopped = read(dir, join(dir, 'a.jsonl'));
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.message, 'credits ran out (402)');

    const never = createRunStatusReporter({ input: 'in.jsonl', output: join(dir, 'b.jsonl'), dir });
    await never.finish(undefined, 'the input was invalid');
    assert.deepEqual(readdirSync(dir).sort(), [`${runJobId(join(dir, 'a.jsonl'))}.json`]);
  });

  test('a directory that cannot be written never fails the run', async () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const reporter = createRunStatusReporter({ input: 'in', output: 'out', dir: join(file, 'runs') });
    reporter.start({ total: 1, done: 0 });
    await reporter.finish(undefined, 'crashed');
  });
});
