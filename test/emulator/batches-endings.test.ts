// The emulator's batches that end part-way, as Together's do: EXPIRED, FAILED or CANCELLED after N requests with
// a partial output file and an error file; injected per-request errors; a batch for a model that cannot be
// batched FAILS; eligible models are charged at the batch discount.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/index.js';
import { call, CHAT_MODEL, KEY, sleep, start } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- BatchJob bodies and file lines are inspected field by field */
const emulators: RunningEmulator[] = [];
after(() => Promise.all(emulators.map((e) => e.close())));

async function emulator(batches: EmulatorOptions['batches']): Promise<RunningEmulator> {
  const emu = await start({ batches: { stepMs: 10, linesPerStep: 1000, ...batches } });
  emulators.push(emu);
  return emu;
}

async function runBatch(emu: RunningEmulator, n: number, model = CHAT_MODEL): Promise<Record<string, any>> {
  const text = Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `r${i}`, body: { model, messages: [{ role: 'user', content: `hi ${i}` }], max_tokens: 4 } })).join('\n');
  const form = new FormData();
  form.set('purpose', 'batch-api');
  form.set('file_name', 'b.jsonl');
  form.set('file', new Blob([text]), 'b.jsonl');
  const uploaded = (await (await fetch(`${emu.url}/v1/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form })).json()) as { id: string };
  const created = await call(emu, '/v1/batches', { body: { endpoint: '/v1/chat/completions', input_file_id: uploaded.id } });
  const id = (created.json as { job: { id: string } }).job.id;
  for (let i = 0; i < 200; i++) {
    const job = (await call(emu, `/v1/batches/${id}`)).json as Record<string, any>;
    if (['COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED'].includes(job.status)) return job;
    await sleep(10);
  }
  throw new Error('the batch did not end');
}

async function lines(emu: RunningEmulator, fileId: string | undefined): Promise<Array<Record<string, any>>> {
  if (!fileId) return [];
  return (await call(emu, `/v1/files/${fileId}/content`)).text.trimEnd().split('\n').map((l) => JSON.parse(l));
}

for (const status of ['EXPIRED', 'FAILED', 'CANCELLED'] as const) {
  test(`a batch configured to end ${status} after 30 of 50 requests keeps a partial output file and an error file`, async () => {
    const emu = await emulator({ endings: [{ afterLines: 30, status, message: 'The batch failed part-way.' }], lineErrors: [{ every: 10, code: 'rate_limit_exceeded' }] });
    const job = await runBatch(emu, 50);
    assert.equal(job.status, status);
    assert.equal(job.progress, 60);
    const output = await lines(emu, job.output_file_id);
    const errors = await lines(emu, job.error_file_id);
    assert.equal(output.length + errors.length, 30);
    assert.deepEqual(errors.map((e) => e.custom_id).sort(), ['r19', 'r29', 'r9']);
    assert.equal(errors[0]?.error.code, 'rate_limit_exceeded');
    if (status === 'FAILED') assert.equal(job.error, 'The batch failed part-way.');
    else assert.equal(job.error, undefined);
  });
}

test('a batch for a model that cannot be batched FAILS at validation, naming the model', async () => {
  const emu = await emulator({});
  const job = await runBatch(emu, 3, 'deepseek-ai/DeepSeek-V3.1');
  assert.equal(job.status, 'FAILED');
  assert.match(job.error, /deepseek-ai\/DeepSeek-V3\.1 is not available for batch inference/);
  assert.equal(job.output_file_id, undefined);
});

test('an eligible model is charged at half price in a batch', async () => {
  const emu = await emulator({});
  const before = emu.stats().creditsUsd;
  const job = await runBatch(emu, 20);
  assert.equal(job.status, 'COMPLETED');
  const output = await lines(emu, job.output_file_id);
  const tokens = output.reduce((sum, l) => sum + l.response.body.usage.prompt_tokens + l.response.body.usage.completion_tokens, 0);
  const spent = Object.values(before)[0]! - Object.values(emu.stats().creditsUsd)[0]!;
  assert.ok(Math.abs(spent - (tokens * 0.18 * 0.5) / 1e6) < 1e-12, `spent ${spent} for ${tokens} tokens`);
});
