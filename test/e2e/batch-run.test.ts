// `tether run` end to end: the CLI in a child process, the real pipeline, the emulator. A 402 in the middle of
// 2,000 requests, kill -9 at random points, and three workers sharing one job through Redis.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { readRunStatuses, runJobId } from '../../src/batch/index.js';
import { customIds, printedResumeArgs, runCli, startCli, tempDir, TEST_HOME, writeRequests } from '../batch/cli-helpers.js';
import { redisAvailable, startRedis } from '../policy/redis-server.js';

const KEY = 'tk-batch-run';
const TOTAL = 2000;

describe('tether run against the emulator', () => {
  let emu: RunningEmulator;
  let env: { baseUrl: string; apiKey: string };
  before(async () => {
    emu = await startEmulator({
      port: 0,
      seed: 7,
      // Response ids and `created` derive from the request, so two runs can be compared byte for byte.
      reproducible: true,
      keys: [{ key: KEY, requestsPerSecond: 100_000, tokensPerMinute: 1_000_000_000, creditsUsd: 1000 }],
    });
    env = { baseUrl: emu.baseUrl, apiKey: KEY };
  });
  after(() => emu.close());

  test('2,000 requests, 402 after 700: stops, prints the resume command, resumes, output identical to an uninterrupted run', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeRequests(input, TOTAL);

    const straight = join(dir, 'straight.jsonl');
    emu.reset();
    const clean = await runCli(['run', input, '-o', straight, '--concurrency', '64'], env);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(emu.stats().inferenceCalls, TOTAL);

    const out = join(dir, 'out.jsonl');
    emu.reset();
    emu.setFaults([{ kind: 'credits', afterRequests: 700 }]);
    const stopped = await runCli(['run', input, '-o', out, '--concurrency', '64'], env);
    assert.equal(stopped.code, 1, stopped.stderr);
    assert.match(stopped.stderr, /stopped: credits ran out \(HTTP 402\)/);
    assert.match(stopped.stderr, /done: 700 of 2000, left: 1300/);
    assert.equal(existsSync(out), false, 'no partial output file');
    assert.equal(emu.stats().inferenceCalls, 700);
    const stoppedStatus = (await readRunStatuses(join(TEST_HOME, 'runs'))).find((s) => s.jobId === runJobId(out));
    assert.deepEqual([stoppedStatus?.state, stoppedStatus?.done, stoppedStatus?.left], ['stopped', 700, 1300], 'the progress file for dashboards says so too');
    const resume = printedResumeArgs(stopped.stderr);
    assert.deepEqual(resume, ['run', input, '-o', out, '--concurrency', '64']);

    emu.setFaults([]);
    emu.reset({ credits: true, stats: true, faults: false, limits: false });
    const resumed = await runCli(resume, env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /done: 2000 of 2000 requests/);
    assert.match(resumed.stderr, /resuming: 700 of 2000 already done/);
    assert.equal((await readRunStatuses(join(TEST_HOME, 'runs'))).find((s) => s.jobId === runJobId(out))?.state, 'done');
    assert.equal(emu.stats().inferenceCalls, TOTAL - 700, 'nothing done twice');
    assert.equal(readFileSync(out, 'utf8'), readFileSync(straight, 'utf8'), 'byte-identical to the uninterrupted run');
    assert.deepEqual(
      customIds(out),
      Array.from({ length: TOTAL }, (_, i) => `req-${i}`),
    );
  });

  test('kill -9 at random points (3 runs), then resume: no duplicate, no loss', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    const n = 600;
    writeRequests(input, n);
    const out = join(dir, 'out.jsonl');
    const checkpoint = `${out}.tether.sqlite`;
    const doneInCheckpoint = (): number => {
      if (!existsSync(checkpoint)) return 0;
      try {
        const db = new Database(checkpoint, { readonly: true, fileMustExist: true });
        try {
          return (db.prepare<{ n: number }>('SELECT count(*) AS n FROM results').get()?.n ?? 0) as number;
        } finally {
          db.close();
        }
      } catch {
        return 0; // the schema is not there yet
      }
    };
    emu.reset();
    let keptBefore = 0;
    for (let run = 0; run < 3; run++) {
      // A random point in the next quarter of the job: somewhere while requests are in flight.
      const target = keptBefore + 20 + Math.floor(Math.random() * (n / 5));
      const { child, done } = startCli(['run', input, '-o', out, '--concurrency', '32'], env);
      while (doneInCheckpoint() < target) {
        const exited = await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 20))]);
        assert.equal(exited, false, 'the run ended before it was killed');
      }
      child.kill('SIGKILL');
      const result = await done;
      assert.equal(result.signal, 'SIGKILL');
      const kept = doneInCheckpoint();
      assert.ok(kept >= target && kept >= keptBefore, `run ${run}: ${kept} kept after the kill (target ${target})`);
      keptBefore = kept;
    }
    assert.equal(existsSync(out), false);
    const final = await runCli(['run', input, '-o', out, '--concurrency', '32'], env);
    assert.equal(final.code, 0, final.stderr);
    const ids = customIds(out);
    assert.deepEqual(
      ids,
      Array.from({ length: n }, (_, i) => `req-${i}`),
    );
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.ok(lines.every((line) => (JSON.parse(line) as { response?: { choices?: unknown[] } }).response?.choices?.length === 1));
    // Only requests in flight at a kill were sent twice: at most 3 kills × 32 in flight.
    const calls = emu.stats().inferenceCalls;
    assert.ok(calls >= n && calls <= n + 3 * 32, `${calls} calls for ${n} requests`);
  });

  test('three workers on one Redis job, 2,000 requests: each done exactly once', { skip: !redisAvailable() && 'redis-server is not installed' }, async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeRequests(input, TOTAL);
    emu.reset();
    const store = `${redis.url}/0`;
    const workers = [0, 1, 2].map((i) => runCli(['run', input, '-o', join(dir, `out-${i}.jsonl`), '--store', store, '--concurrency', '32', '--json'], env));
    const results = await Promise.all(workers);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(emu.stats().inferenceCalls, TOTAL, 'the emulator answered each request once');
    const client: Redis = await redis.client();
    const resultKeys = await client.keys('tether:run:*:results');
    assert.equal(resultKeys.length, 1);
    assert.equal(await client.hlen(resultKeys[0]!), TOTAL);
    const outputs = [0, 1, 2].map((i) => readFileSync(join(dir, `out-${i}.jsonl`), 'utf8'));
    assert.equal(outputs[1], outputs[0]);
    assert.equal(outputs[2], outputs[0]);
    assert.deepEqual(
      customIds(join(dir, 'out-0.jsonl')),
      Array.from({ length: TOTAL }, (_, i) => `req-${i}`),
    );
    const shares = results.map((r) => (JSON.parse(r.stdout) as { finishedHere: number }).finishedHere);
    assert.equal(shares.reduce((a, b) => a + b, 0), TOTAL);
    assert.ok(shares.every((s) => s > 0), `every worker did a share: ${shares.join(', ')}`);
    const pacingKeys = await client.keys('tether:pace*');
    assert.ok(pacingKeys.length > 0, 'the rate budget was kept in Redis too');
  });
});
