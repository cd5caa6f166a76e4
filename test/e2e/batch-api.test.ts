// Together's Batch API end to end against the emulator: `tether batch` in a child process for the main path
// (check → split → upload → create → wait → results in input order), and the module's functions over the real
// transport for batches that end FAILED, EXPIRED and CANCELLED.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from '../../src/api/index.js';
import type { Transport } from '../../src/api/index.js';
import { cancelBatch, getBatch, submitBatch, waitForBatches, writeBatchResults } from '../../src/batch/index.js';
import type { SubmittedPart } from '../../src/batch/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/index.js';
import { BATCH_MODEL, customIds, runCli, tempDir } from '../batch/cli-helpers.js';

const KEY = 'tk-batch-api';
/** Batch-capable in the snapshot, but excluded from the emulator's models: every request for it fails there. */
const GONE_MODEL = 'Qwen/Qwen2.5-7B-Instruct-Turbo';
/** Batches of this model FAIL validation (emulator config). */
const FAILING_MODEL = 'Qwen/QwQ-32B';

function requestLines(n: number, model = BATCH_MODEL, prefix = 'q'): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ custom_id: `${prefix}-${i}`, body: { model, messages: [{ role: 'user', content: `Batch question ${i}` }], max_tokens: 4 } }),
  );
}

async function emulator(batches: EmulatorOptions['batches']): Promise<RunningEmulator> {
  return startEmulator({
    port: 0,
    keys: [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 100_000_000, creditsUsd: 100 }],
    models: { exclude: [GONE_MODEL] },
    batches,
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- result lines are inspected field by field
function readLines(path: string): any[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('tether batch against the emulator', () => {
  let emu: RunningEmulator;
  let env: { baseUrl: string; apiKey: string };
  before(async () => {
    emu = await emulator({ stepMs: 20, linesPerStep: 20, failures: [{ model: FAILING_MODEL, message: 'Batch capacity for this model is unavailable.' }] });
    env = { baseUrl: emu.baseUrl, apiKey: KEY };
  });
  after(() => emu.close());

  test('a file over the per-batch limit is split, waited for, and its results come back in input order', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'questions.jsonl');
    const lines = requestLines(25);
    // One request for a model the server cannot run: a classified error line in the results.
    lines[7] = JSON.stringify({ custom_id: 'gone', body: { model: GONE_MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 } });
    writeFileSync(input, `${lines.join('\n')}\n`);

    const submitted = await runCli(['batch', 'submit', input, '--max-lines', '10'], env);
    assert.equal(submitted.code, 0, submitted.stderr);
    assert.match(submitted.stdout, /25 requests, over the Batch API's limit of 10 requests .* so it is split into 3 batches/);
    const parts = [...submitted.stdout.matchAll(/batch (\S+): requests (\d+)–(\d+) \((\d+),/g)];
    assert.deepEqual(
      parts.map((m) => [Number(m[2]), Number(m[3])]),
      [
        [1, 10],
        [11, 20],
        [21, 25],
      ],
    );
    const ids = parts.map((m) => m[1] as string);
    assert.match(submitted.stdout, new RegExp(`results: tether batch results ${ids.join(' ')} -o results.jsonl`));

    const waited = await runCli(['batch', 'wait', ...ids, '--interval', '0.05', '--timeout', '30'], env);
    assert.equal(waited.code, 0, waited.stderr);
    for (const id of ids) assert.match(waited.stdout, new RegExp(`${id}: COMPLETED`));

    const out = join(dir, 'results.jsonl');
    const results = await runCli(['batch', 'results', ...ids, '-o', out], env);
    assert.equal(results.code, 0, results.stderr);
    assert.match(results.stdout, /wrote 25 lines .*: 24 answered, 1 failed/);
    assert.deepEqual(
      customIds(out),
      JSON.parse(`[${lines.map((l) => JSON.stringify(JSON.parse(l).custom_id)).join(',')}]`),
    );
    const byId = new Map(readLines(out).map((l) => [l.custom_id, l]));
    assert.equal(byId.get('q-0').response.object, 'chat.completion');
    assert.deepEqual(Object.keys(byId.get('gone').error).sort(), ['category', 'code', 'fix', 'message', 'status']);
    assert.equal(byId.get('gone').error.category, 'not_found');
    assert.equal(byId.get('gone').error.code, 'invalid_model');

    const list = await runCli(['batch', 'list', '--json'], env);
    const listed = JSON.parse(list.stdout) as Array<{ id: string; status: string }>;
    assert.deepEqual(
      listed.map((j) => j.id).sort(),
      [...ids].sort(),
    );
    assert.ok(listed.every((j) => j.status === 'COMPLETED'));
  });

  test('submit checks every line first and uploads nothing when one is wrong', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'bad.jsonl');
    const lines = requestLines(4);
    lines[1] = JSON.stringify({ custom_id: 'q-0', body: { model: BATCH_MODEL, messages: [{ role: 'user', content: 'dup' }] } });
    lines[2] = JSON.stringify({ custom_id: 'x', body: { model: 'mistralai/Mixtral-8x7B-v0.1', prompt: 'not chat' } });
    lines[3] = JSON.stringify({ custom_id: 'y', body: { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbx', messages: [{ role: 'user', content: 'typo' }] } });
    writeFileSync(input, `${lines.join('\n')}\n${JSON.stringify({ custom_id: 'z', body: { model: 'meta-llama/Llama-3-70b-chat-hf', messages: [{ role: 'user', content: 'long' }], max_tokens: 9000 } })}\n`);
    emu.resetStats();
    const result = await runCli(['batch', 'submit', input], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /4 problem\(s\); nothing was uploaded/);
    assert.match(result.stderr, /line 2: custom_id "q-0" is also used on line 1/);
    assert.match(result.stderr, /line 3: is a completions request, but this batch runs \/v1\/chat\/completions only/);
    assert.match(result.stderr, /line 4: model "meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbx" is not in Together's catalog; did you mean "meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo"/);
    assert.match(result.stderr, /line 5: \d+ prompt tokens \+ max_tokens 9000 do not fit meta-llama\/Llama-3-70b-chat-hf's 8192-token context/);
    assert.equal(emu.stats().byPath['/v1/files'] ?? 0, 0);
    assert.equal(emu.stats().byPath['/v1/files/upload'] ?? 0, 0);
  });
});

describe('batches that do not complete', () => {
  const emulators: RunningEmulator[] = [];
  const transports: Transport[] = [];
  after(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await Promise.all(emulators.map((e) => e.close()));
  });
  async function setup(t: { after: (fn: () => void) => void }, batches: EmulatorOptions['batches'], lines: string[]) {
    const emu = await emulator(batches);
    emulators.push(emu);
    const transport = createTransport({ baseUrl: emu.baseUrl, apiKey: KEY });
    transports.push(transport);
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const result = await submitBatch({ transport, inputPath: input });
    assert.equal(result.kind, 'submitted');
    const part = (result as { parts: SubmittedPart[] }).parts[0]!;
    return { transport, id: part.job.id, out: join(dir, 'out.jsonl') };
  }

  test('FAILED: wait ends, and every result line carries the batch error', async (t) => {
    const { transport, id, out } = await setup(t, { stepMs: 20, failures: [{ model: FAILING_MODEL, message: 'Batch capacity for this model is unavailable.' }] }, requestLines(3, FAILING_MODEL));
    const [job] = await waitForBatches(transport, [id], { intervalMs: 20, timeoutMs: 10_000 });
    assert.equal(job!.status, 'FAILED');
    const summary = await writeBatchResults(transport, [id], out);
    assert.deepEqual([summary.answered, summary.unanswered], [0, 3]);
    const line = readLines(out)[0];
    assert.equal(line.error.code, 'batch_failed');
    assert.equal(line.error.category, 'validation');
    assert.match(line.error.message, /Batch capacity for this model is unavailable/);
  });

  test('EXPIRED: finished requests are kept, the rest say the batch expired', async (t) => {
    const { transport, id, out } = await setup(t, { stepMs: 20, linesPerStep: 1, windowMs: 200 }, requestLines(40));
    const [job] = await waitForBatches(transport, [id], { intervalMs: 20, timeoutMs: 10_000 });
    assert.equal(job!.status, 'EXPIRED');
    const summary = await writeBatchResults(transport, [id], out);
    assert.equal(summary.total, 40);
    assert.ok(summary.answered > 0 && summary.unanswered > 0, JSON.stringify(summary));
    const lines = readLines(out);
    assert.deepEqual(
      lines.map((l) => l.custom_id),
      Array.from({ length: 40 }, (_, i) => `q-${i}`),
    );
    assert.equal(lines[0].response.object, 'chat.completion');
    assert.equal(lines.at(-1).error.code, 'batch_expired');
    assert.equal(lines.at(-1).error.category, 'timeout');
  });

  test('CANCELLED: results before it finishes are refused; after cancel, finished requests are kept', async (t) => {
    const { transport, id, out } = await setup(t, { stepMs: 20, linesPerStep: 1 }, requestLines(200));
    await assert.rejects(writeBatchResults(transport, [id], out), /is (VALIDATING|IN_PROGRESS); wait until it ends/);
    for (let i = 0; i < 200 && (await getBatch(transport, id)).status !== 'IN_PROGRESS'; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    const cancelled = await cancelBatch(transport, id);
    assert.equal(cancelled.status, 'CANCELLED');
    const summary = await writeBatchResults(transport, [id], out);
    assert.equal(summary.total, 200);
    assert.ok(summary.answered > 0 && summary.unanswered > 0, JSON.stringify(summary));
    assert.equal(readLines(out).at(-1).error.code, 'batch_cancelled');
    await assert.rejects(cancelBatch(transport, id), (error: Error & { category?: string; status?: number }) => {
      assert.equal(error.status, 400);
      assert.match(error.message, /cannot be cancelled/);
      return true;
    });
  });
});
