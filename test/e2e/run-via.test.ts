// `tether run --via auto` end to end: the CLI in a child process against the emulator. Discount-eligible lines
// go to the Batch API, the rest live; what a batch has not answered by the deadline (less the margin) is sent
// live after the batch is cancelled; every line is answered exactly once, in input order; --dry-run compares.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { printedResumeArgs, runCli, startCli, tempDir } from '../batch/cli-helpers.js';

const KEY = 'tk-run-via';
const ELIGIBLE = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'; // 50% off in a batch
const NO_DISCOUNT = 'openai/gpt-oss-20b'; // batchable, no discount: live under auto
const NOT_BATCHABLE = 'meta-llama/Llama-3.2-3B-Instruct-Turbo';
const MODELS = [ELIGIBLE, NO_DISCOUNT, ELIGIBLE, NOT_BATCHABLE];

function writeMixed(path: string, n: number): void {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ custom_id: `req-${i}`, body: { model: MODELS[i % MODELS.length], messages: [{ role: 'user', content: `Request ${i}` }], max_tokens: 4 } }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

async function batchesOf(emu: RunningEmulator): Promise<Array<{ id: string; status: string; model_id?: string; output_file_id?: string }>> {
  const response = await fetch(`${emu.baseUrl}/batches`, { headers: { authorization: `Bearer ${KEY}` } });
  return (await response.json()) as Array<{ id: string; status: string; output_file_id?: string }>;
}

async function lineCount(emu: RunningEmulator, fileId: string | undefined): Promise<number> {
  if (!fileId) return 0;
  const response = await fetch(`${emu.baseUrl}/files/${fileId}/content`, { headers: { authorization: `Bearer ${KEY}` } });
  return (await response.text()).trimEnd().split('\n').filter(Boolean).length;
}

function ids(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
}

describe('tether run --via auto against the emulator', () => {
  const emulators: RunningEmulator[] = [];
  const start = async (batches: { stepMs: number; linesPerStep: number }): Promise<{ emu: RunningEmulator; env: { baseUrl: string; apiKey: string } }> => {
    const emu = await startEmulator({ port: 0, seed: 5, keys: [{ key: KEY, requestsPerSecond: 100_000, tokensPerMinute: 1_000_000_000, creditsUsd: 1000 }], batches });
    emulators.push(emu);
    return { emu, env: { baseUrl: emu.baseUrl, apiKey: KEY } };
  };
  let fast: Awaited<ReturnType<typeof start>>;
  before(async () => {
    fast = await start({ stepMs: 20, linesPerStep: 200 });
  });
  after(() => Promise.all(emulators.map((e) => e.close())));

  test('eligible lines go through the Batch API, the rest live, each exactly once, in order', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeMixed(input, 200);
    const out = join(dir, 'out.jsonl');
    const run = await runCli(['run', input, '-o', out, '--via', 'auto', '--deadline', '5m', '--batch-poll', '0.05', '--json'], fast.env);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { complete: boolean; done: number; spentUsd: number };
    assert.equal(summary.complete, true);
    assert.deepEqual(ids(out), Array.from({ length: 200 }, (_, i) => `req-${i}`));
    assert.equal(fast.emu.stats().inferenceCalls, 100, 'the 100 lines of models without a batch discount went live');
    const batches = await batchesOf(fast.emu);
    assert.equal(batches.length, 1, 'one batch, for the one eligible model');
    assert.equal(batches[0]?.status, 'COMPLETED');
    assert.equal(await lineCount(fast.emu, batches[0]?.output_file_id), 100);
    assert.ok(summary.spentUsd > 0, 'batch answers are counted at the batch price');
  });

  test('--dry-run prints the estimate live versus auto and sends nothing', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeMixed(input, 40);
    const calls = fast.emu.stats().inferenceCalls;
    const run = await runCli(['run', input, '-o', join(dir, 'out.jsonl'), '--dry-run', '--json'], fast.env);
    assert.equal(run.code, 0, run.stderr);
    const estimate = JSON.parse(run.stdout) as { liveUsd: number; autoUsd: number; batched: number };
    assert.equal(estimate.batched, 20);
    assert.ok(estimate.autoUsd < estimate.liveUsd, JSON.stringify(estimate));
    assert.equal(fast.emu.stats().inferenceCalls, calls, 'nothing sent');
  });

  test('what the batch has not answered by the deadline less the margin is sent live, after the batch is cancelled', async (t) => {
    // 1 request every 100 ms: 60 eligible lines would take 6 s; the batch is cut off after about 2 s.
    const slow = await start({ stepMs: 100, linesPerStep: 1 });
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeMixed(input, 120);
    const out = join(dir, 'out.jsonl');
    const run = await runCli(['run', input, '-o', out, '--via', 'auto', '--deadline', '4s', '--deadline-margin', '2', '--batch-poll', '0.1', '--json'], slow.env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(ids(out), Array.from({ length: 120 }, (_, i) => `req-${i}`), 'every line once, in order');
    const [batch] = await batchesOf(slow.emu);
    assert.equal(batch?.status, 'CANCELLED');
    const answeredByBatch = await lineCount(slow.emu, batch?.output_file_id);
    assert.ok(answeredByBatch > 0 && answeredByBatch < 60, `the batch answered ${answeredByBatch}`);
    assert.equal(slow.emu.stats().inferenceCalls + answeredByBatch, 120, 'no line answered twice, none dropped');
  });

  test('a 402 part-way stops both paths; the resume waits on the batch already submitted and answers every line once', async (t) => {
    const { emu, env } = await start({ stepMs: 50, linesPerStep: 10 });
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeMixed(input, 120);
    const out = join(dir, 'out.jsonl');
    emu.setFaults([{ kind: 'credits', afterRequests: 20 }]);
    const stopped = await runCli(['run', input, '-o', out, '--via', 'auto', '--deadline', '5m', '--batch-poll', '0.05', '--concurrency', '4'], env);
    assert.equal(stopped.code, 1, stopped.stderr);
    assert.match(stopped.stderr, /credits ran out/);
    const liveBefore = emu.stats().inferenceCalls;
    emu.setFaults([]);
    emu.reset({ credits: true, stats: true, faults: false, limits: false });
    const resumed = await runCli(printedResumeArgs(stopped.stderr), env);
    assert.equal(resumed.code, 0, resumed.stderr);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { custom_id: string; error?: unknown });
    assert.deepEqual(lines.map((l) => l.custom_id), Array.from({ length: 120 }, (_, i) => `req-${i}`));
    assert.equal(lines.filter((l) => l.error).length, 0, 'lines the batch failed for lack of credit were sent again, not kept as errors');
    const batches = await batchesOf(emu);
    assert.equal(batches.length, 1, 'the resume did not submit the batch again');
    const batchAnswers = await lineCount(emu, batches[0]?.output_file_id);
    assert.equal(liveBefore + emu.stats().inferenceCalls + batchAnswers, 120, 'every line answered exactly once across both runs');
  });

  test('kill -9 part-way: the resume waits on the recorded batch, and the output has every line once', async (t) => {
    const { emu, env } = await start({ stepMs: 100, linesPerStep: 5 });
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeMixed(input, 120);
    const out = join(dir, 'out.jsonl');
    const args = ['run', input, '-o', out, '--via', 'auto', '--deadline', '5m', '--batch-poll', '0.05', '--concurrency', '2'];
    const running = startCli(args, env);
    const deadline = Date.now() + 15_000;
    while (!existsSync(`${out}.tether-batches.json`) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(existsSync(`${out}.tether-batches.json`), 'the batch was recorded');
    running.child.kill('SIGKILL');
    await running.done;
    assert.equal(existsSync(out), false, 'killed before the job completed');
    const resumed = await runCli(args, env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(ids(out), Array.from({ length: 120 }, (_, i) => `req-${i}`));
    const batches = await batchesOf(emu);
    assert.equal(batches.length, 1, 'the resume did not submit the batch again');
    // The emulator's counter spans both runs (it is not reset).
    const total = emu.stats().inferenceCalls + (await lineCount(emu, batches[0]?.output_file_id));
    // At most the requests in flight at the kill (--concurrency 2) are sent twice; no line is dropped.
    assert.ok(total >= 120 && total <= 122, `live ${emu.stats().inferenceCalls} + batch answers = ${total}`);
    assert.equal(existsSync(`${out}.tether-batches.json`), false, 'the record is removed once the job is complete');
  });

  test('a batch status that answers 503 for a while is asked again, not given up', async (t) => {
    const { emu, env } = await start({ stepMs: 50, linesPerStep: 10 });
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeMixed(input, 80);
    const out = join(dir, 'out.jsonl');
    const running = startCli(['run', input, '-o', out, '--via', 'auto', '--deadline', '5m', '--batch-poll', '0.05'], env);
    const state = `${out}.tether-batches.json`;
    const until = Date.now() + 15_000;
    while (!existsSync(state) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    const [recorded] = (JSON.parse(readFileSync(state, 'utf8')) as { batches: Array<{ id: string }> }).batches;
    emu.setFaults([{ kind: 'status', status: 503, path: `/v1/batches/${recorded?.id}` }]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const refused = emu.stats().faults.status ?? 0;
    emu.setFaults([]);
    const done = await running.done;
    assert.equal(done.code, 0, done.stderr);
    assert.ok(refused > 0, 'the batch status was refused while the fault was on');
    assert.deepEqual(ids(out), Array.from({ length: 80 }, (_, i) => `req-${i}`));
    const batches = await batchesOf(emu);
    assert.equal(emu.stats().inferenceCalls + (await lineCount(emu, batches[0]?.output_file_id)), 80, 'the batch answers were kept, none sent live twice');
  });

  test('--via auto without --deadline is a usage error', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeMixed(input, 4);
    const run = await runCli(['run', input, '-o', join(dir, 'out.jsonl'), '--via', 'auto'], fast.env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--via auto needs --deadline/);
    const capped = await runCli(['run', input, '-o', join(dir, 'out.jsonl'), '--via', 'auto', '--deadline', '1h', '--max-cost', '1'], fast.env);
    assert.equal(capped.code, 2);
    assert.match(capped.stderr, /--max-cost works with --via live only/);
  });
});
