import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatUsd, MemoryStore, parseBatchInput, runFile, runJob, SqliteStore } from '../../src/batch/index.js';
import type { CheckpointStore, SavedResult } from '../../src/batch/index.js';
import { fakeSend, inputLines, tempDir, writeInput } from './helpers.js';

describe('runJob', () => {
  test('writes one line per request in input order, whatever order they finish in', async (t) => {
    const dir = tempDir(t);
    const input = writeInput(dir, inputLines(40));
    const fake = fakeSend({ delayMs: (i) => (i * 7919) % 13 });
    const out = join(dir, 'out.jsonl');
    const result = await runFile({ inputPath: input, outputPath: out, send: fake.send, concurrency: 6, store: 'memory' });
    assert.equal(result.kind, 'ran');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).custom_id),
      Array.from({ length: 40 }, (_, i) => `req-${i}`),
    );
    assert.equal(JSON.parse(lines[3]!).response.choices[0].message.content, 'echo: Question number 3?');
    assert.notDeepEqual(fake.sent, [...fake.sent].sort(), 'requests finished out of order, so the ordering was tested');
  });

  test('a 402 stops sending at once; resuming finishes with output identical to an uninterrupted run', async (t) => {
    const dir = tempDir(t);
    const input = writeInput(dir, inputLines(300));
    const straight = join(dir, 'straight.jsonl');
    await runFile({ inputPath: input, outputPath: straight, send: fakeSend().send, concurrency: 8 });

    const out = join(dir, 'out.jsonl');
    const fake = fakeSend({ creditsFor: 120, delayMs: (i) => i % 3 });
    const first = await runFile({ inputPath: input, outputPath: out, send: fake.send, concurrency: 8 });
    assert.ok(first.kind === 'ran');
    assert.equal(first.outcome.complete, false);
    assert.equal(first.outcome.stop?.reason, 'billing');
    assert.equal(first.outcome.done, 120, 'every success before and in flight at the 402 is kept');
    assert.equal(first.outcome.left, 180);
    assert.ok(first.outcome.sent <= 120 + 8, `stopped at once: ${first.outcome.sent} sent`);
    assert.equal(first.outputWritten, false);

    fake.refill();
    const before = fake.sent.length;
    const second = await runFile({ inputPath: input, outputPath: out, send: fake.send, concurrency: 8 });
    assert.ok(second.kind === 'ran' && second.outcome.complete);
    assert.equal(second.outcome.finishedThisRun, 180, 'nothing done twice');
    assert.equal(fake.sent.length - before, 180);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(straight, 'utf8'));

    // Running the finished job again sends nothing and writes the same bytes.
    const third = await runFile({ inputPath: input, outputPath: out, send: fake.send, concurrency: 8 });
    assert.ok(third.kind === 'ran' && third.outcome.sent === 0);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(straight, 'utf8'));
  });

  test('--max-cost stops before the spend could pass the cap, counting requests in flight', async (t) => {
    const dir = tempDir(t);
    const input = writeInput(dir, inputLines(100));
    const out = join(dir, 'out.jsonl');
    const fake = fakeSend({ delayMs: () => 2 });
    // Each request costs $0.001: 25 fit under $0.0255, and never a 26th, even with 8 in flight.
    const first = await runFile({ inputPath: input, outputPath: out, send: fake.send, concurrency: 8, maxCostUsd: 0.0255, costBound: () => 0 });
    assert.ok(first.kind === 'ran');
    assert.equal(first.outcome.stop?.reason, 'max_cost');
    assert.ok(first.outcome.spentUsd <= 0.0255 + 1e-12, `spent ${first.outcome.spentUsd}`);
    assert.ok(first.outcome.done >= 20, `done ${first.outcome.done}`);
    assert.equal(fake.sent.length, first.outcome.done, 'no request was sent that was not kept');
    const second = await runFile({ inputPath: input, outputPath: out, send: fake.send, concurrency: 8, maxCostUsd: 1 });
    assert.ok(second.kind === 'ran' && second.outcome.complete);
    assert.ok(Math.abs(second.outcome.spentUsd - 0.1) < 1e-9);
  });

  test('--max-cost waits for in-flight reservations to settle instead of stopping, and a rerun under the same cap sends nothing', async (t) => {
    const dir = tempDir(t);
    const input = writeInput(dir, inputLines(40));
    const out = join(dir, 'out.jsonl');
    const fake = fakeSend({ delayMs: () => 2 });
    // Worst case $0.003 a request, real cost $0.001: 8 in flight reserve $0.024. The old runner stopped there (8 of 40
    // done under a $0.0255 cap) and each rerun advanced a few more; the cap lets 22 through at real cost.
    const run = (): ReturnType<typeof runFile> => runFile({ inputPath: input, outputPath: out, send: fake.send, concurrency: 8, maxCostUsd: 0.0255, costBound: () => 0.003 });
    const first = await run();
    assert.ok(first.kind === 'ran');
    assert.equal(first.outcome.stop?.reason, 'max_cost');
    assert.ok(first.outcome.spentUsd <= 0.0255 + 1e-12, `spent ${first.outcome.spentUsd}`);
    assert.ok(first.outcome.done >= 22, `done ${first.outcome.done}`);
    // The stop message states the same spend as the summary's "spent", at the same precision.
    assert.ok(first.outcome.stop?.message.startsWith(`${formatUsd(first.outcome.spentUsd)} spent;`), first.outcome.stop?.message);
    const sentBefore = fake.sent.length;
    const second = await run();
    assert.ok(second.kind === 'ran' && second.outcome.stop?.reason === 'max_cost');
    assert.equal(fake.sent.length, sentBefore, 'a rerun under the same cap sends nothing');
  });

  test('failed requests become error lines; --retry-failed redoes only the retryable ones', async (t) => {
    const dir = tempDir(t);
    const input = writeInput(dir, inputLines(10));
    const out = join(dir, 'out.jsonl');
    const fake = fakeSend({ failIds: new Set(['req-2', 'req-5']) });
    const result = await runFile({ inputPath: input, outputPath: out, send: fake.send });
    assert.ok(result.kind === 'ran' && result.outcome.complete && result.outcome.failed === 2);
    const line = JSON.parse(readFileSync(out, 'utf8').split('\n')[2]!);
    assert.deepEqual(line, { custom_id: 'req-2', error: { category: 'validation', status: 400, code: null, message: 'bad request', fix: 'f' } });
    const again = await runFile({ inputPath: input, outputPath: out, send: fake.send, retryFailed: true });
    assert.ok(again.kind === 'ran' && again.outcome.sent === 0, 'validation errors are not retryable');
  });

  test('results are saved in batches: fewer transactions than results', async () => {
    const parsed = parseBatchInput(inputLines(200));
    const store = new MemoryStore();
    let saves = 0;
    const counting: CheckpointStore = Object.assign(Object.create(store) as CheckpointStore, {
      save: (results: readonly SavedResult[]) => {
        saves++;
        return store.save(results);
      },
    });
    await store.open({ fingerprint: parsed.fingerprint, total: 200 });
    const outcome = await runJob({ requests: parsed.requests, store: counting, send: fakeSend().send, concurrency: 32 });
    assert.equal(outcome.done, 200);
    assert.ok(saves < 100, `${saves} transactions for 200 results`);
  });

  test('an aborted signal stops sending; in-flight requests are kept', async (t) => {
    const dir = tempDir(t);
    const parsed = parseBatchInput(inputLines(50));
    const store = new SqliteStore(join(dir, 'c.sqlite'));
    await store.open({ fingerprint: parsed.fingerprint, total: 50 });
    const controller = new AbortController();
    const fake = fakeSend({ delayMs: () => 3 });
    const outcome = await runJob({
      requests: parsed.requests,
      store,
      send: fake.send,
      concurrency: 4,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 10) controller.abort();
      },
    });
    await store.close();
    assert.equal(outcome.stop?.reason, 'interrupted');
    assert.equal(outcome.done, fake.sent.length);
    assert.ok(outcome.done < 50);
  });

  test('a checkpoint refuses another job and another live owner', async (t) => {
    const dir = tempDir(t);
    const input = writeInput(dir, inputLines(3));
    const out = join(dir, 'out.jsonl');
    await runFile({ inputPath: input, outputPath: out, send: fakeSend().send });
    const other = writeInput(dir, inputLines(4), 'other.jsonl');
    await assert.rejects(runFile({ inputPath: other, outputPath: out, send: fakeSend().send }), /belongs to a different job/);
    await assert.rejects(runFile({ inputPath: input, outputPath: out, send: fakeSend().send, model: 'Qwen/QwQ-32B' }), /different job/);
  });
});
