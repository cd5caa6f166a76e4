// The emulator's Batch API: lifecycle on the emulator clock, output and error files, FAILED / EXPIRED /
// CANCELLED, the `{"error": "…"}` envelope, and every response checked against Together's OpenAPI description.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/index.js';
import { loadContract, validateResponse } from '../e2e/helpers/openapi.js';
import { loadTokenizer } from '../../src/tokens/index.js';
import { call, CHAT_MODEL, KEY, sleep, start } from './helpers.js';
import type { Reply } from './helpers.js';

const emulators: RunningEmulator[] = [];
// Load the contract and the chat model's tokenizer first, so their one-off cost does not land inside a timed lifecycle.
before(async () => {
  loadContract();
  await loadTokenizer('llama3_1');
});
after(() => Promise.all(emulators.map((e) => e.close())));

async function emulator(batches: EmulatorOptions['batches'] = {}): Promise<RunningEmulator> {
  const emu = await start({ batches: { stepMs: 20, linesPerStep: 50, ...batches } });
  emulators.push(emu);
  return emu;
}

function line(id: string, body: Record<string, unknown> = {}): string {
  return JSON.stringify({ custom_id: id, body: { model: CHAT_MODEL, messages: [{ role: 'user', content: `hello ${id}` }], max_tokens: 5, ...body } });
}

async function upload(emu: RunningEmulator, text: string, purpose = 'batch-api'): Promise<string> {
  const form = new FormData();
  form.set('purpose', purpose);
  form.set('file_name', 'batch.jsonl');
  form.set('file', new Blob([text]), 'batch.jsonl');
  const response = await fetch(`${emu.url}/v1/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
  assert.equal(response.status, 200);
  return ((await response.json()) as { id: string }).id;
}

/** Assert the reply matches the OpenAPI schema declared for it. */
function conforms(method: string, path: string, reply: Reply): void {
  const check = validateResponse(method, path, reply.status, reply.headers.get('content-type') ?? '', reply.json);
  assert.ok(check.schemaRef, `the spec declares a schema for ${method} ${path} ${reply.status}`);
  assert.ok(check.valid, `${check.schemaRef}: ${check.errors.join('; ')}`);
}

async function create(emu: RunningEmulator, fileId: string, extra: Record<string, unknown> = {}): Promise<Reply> {
  const reply = await call(emu, '/v1/batches', { body: { endpoint: '/v1/chat/completions', input_file_id: fileId, ...extra } });
  conforms('POST', '/v1/batches', reply);
  return reply;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- BatchJob bodies are inspected field by field
async function waitFor(emu: RunningEmulator, id: string, done: (job: any) => boolean, timeoutMs = 5000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await call(emu, `/v1/batches/${id}`);
    conforms('GET', `/v1/batches/${id}`, reply);
    if (done(reply.json) || Date.now() > deadline) return reply;
    await sleep(15);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- file lines are inspected field by field
async function content(emu: RunningEmulator, fileId: string): Promise<any[]> {
  const reply = await call(emu, `/v1/files/${fileId}/content`);
  assert.equal(reply.status, 200);
  return reply.text.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('POST /v1/batches → COMPLETED', () => {
  test('runs VALIDATING → IN_PROGRESS → COMPLETED and writes output and error files', async () => {
    const emu = await emulator({ stepMs: 20, linesPerStep: 2 });
    const lines = [
      ...Array.from({ length: 120 }, (_, i) => line(`ok-${i}`)),
      line('unknown-model', { model: 'acme/no-such-model' }),
      line('not-batch', { model: 'mistralai/Mixtral-8x7B-v0.1' }),
      line('too-long', { max_tokens: 10_000_000 }),
      line('bad-body', { messages: 'hi' }),
    ];
    const fileId = await upload(emu, `${lines.join('\n')}\n`);
    const created = await create(emu, fileId, { completion_window: '24h' });
    assert.equal(created.status, 201);
    assert.equal(created.json.warning, undefined);
    const job = created.json.job;
    assert.equal(job.status, 'VALIDATING');
    assert.equal(job.input_file_id, fileId);
    assert.match(job.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const seen = new Set<string>();
    const progress: number[] = [];
    const final = await waitFor(emu, job.id, (j) => {
      seen.add(j.status);
      progress.push(j.progress);
      return j.status === 'COMPLETED';
    });
    assert.equal(final.json.status, 'COMPLETED');
    assert.equal(final.json.progress, 100);
    assert.ok(seen.has('IN_PROGRESS'), `saw ${[...seen].join(', ')}`);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress only goes up');
    assert.ok(progress.some((p) => p > 0 && p < 100), `progress seen: ${progress.join(', ')}`);
    assert.ok(Date.parse(final.json.completed_at) >= Date.parse(final.json.created_at));

    const outputs = await content(emu, final.json.output_file_id);
    assert.equal(outputs.length, 120);
    const first = outputs.find((o) => o.custom_id === 'ok-0');
    assert.equal(first.response.status_code, 200);
    assert.equal(first.response.body.object, 'chat.completion');
    assert.equal(first.response.body.usage.completion_tokens <= 5, true);
    assert.notDeepEqual(
      outputs.map((o) => o.custom_id),
      Array.from({ length: 120 }, (_, i) => `ok-${i}`),
      'output order does not follow input order (clients must match on custom_id)',
    );
    const errors = Object.fromEntries((await content(emu, final.json.error_file_id)).map((e) => [e.custom_id, e.error]));
    assert.deepEqual(Object.keys(errors).sort(), ['bad-body', 'not-batch', 'too-long', 'unknown-model']);
    assert.equal(errors['unknown-model'].code, 'invalid_model');
    assert.match(errors['not-batch'].message, /not available for batch inference/);
    assert.equal(errors['too-long'].code, 'context_length_exceeded');
    assert.match(errors['too-long'].message, /Input validation error/);
    assert.equal(typeof errors['bad-body'].message, 'string');

    const list = await call(emu, '/v1/batches');
    conforms('GET', '/v1/batches', list);
    assert.ok(Array.isArray(list.json), 'GET /v1/batches is a bare array');
    assert.deepEqual(
      list.json.map((j: { id: string }) => j.id),
      [job.id],
    );
    const files = await call(emu, '/v1/files');
    const purposes = files.json.data.map((f: { purpose: string }) => f.purpose).sort();
    assert.deepEqual(purposes, ['batch-api', 'batch-generated', 'batch-generated']);
  });

  test('another completion window is accepted with a warning', async () => {
    const emu = await emulator();
    const created = await create(emu, await upload(emu, `${line('a')}\n`), { completion_window: '1h' });
    assert.equal(created.status, 201);
    assert.match(created.json.warning, /24h/);
  });
});

describe('FAILED, EXPIRED, CANCELLED', () => {
  test('an invalid input file FAILS the batch with the line that is wrong', async () => {
    const emu = await emulator();
    const fileId = await upload(emu, `${line('a')}\n${line('a')}\n`);
    const final = await waitFor(emu, (await create(emu, fileId)).json.job.id, (j) => j.status === 'FAILED');
    assert.equal(final.json.status, 'FAILED');
    assert.match(final.json.error, /line 2 repeats custom_id "a"/);
    assert.equal(final.json.output_file_id, undefined);
  });

  test('more requests than maxLines FAIL validation; a configured failure FAILS by model', async () => {
    const emu = await emulator({ maxLines: 3, failures: [{ model: 'Qwen/QwQ-32B', message: 'Model capacity is unavailable for batch.' }] });
    const big = await create(emu, await upload(emu, `${['a', 'b', 'c', 'd'].map((id) => line(id)).join('\n')}\n`));
    const bigFinal = await waitFor(emu, big.json.job.id, (j) => j.status === 'FAILED');
    assert.match(bigFinal.json.error, /at most 3 requests/);
    const configured = await create(emu, await upload(emu, `${line('q', { model: 'Qwen/QwQ-32B' })}\n`));
    const configuredFinal = await waitFor(emu, configured.json.job.id, (j) => j.status === 'FAILED');
    assert.equal(configuredFinal.json.error, 'Model capacity is unavailable for batch.');
  });

  test('a batch not done within the window EXPIRES, keeping what it finished', async () => {
    const emu = await emulator({ stepMs: 20, linesPerStep: 1, windowMs: 150 });
    const fileId = await upload(emu, `${Array.from({ length: 50 }, (_, i) => line(`r${i}`)).join('\n')}\n`);
    const final = await waitFor(emu, (await create(emu, fileId)).json.job.id, (j) => j.status === 'EXPIRED');
    assert.equal(final.json.status, 'EXPIRED');
    assert.ok(final.json.progress > 0 && final.json.progress < 100, `progress ${final.json.progress}`);
    const outputs = await content(emu, final.json.output_file_id);
    assert.ok(outputs.length > 0 && outputs.length < 50);
    assert.equal(Date.parse(final.json.completed_at), Date.parse(final.json.job_deadline));
  });

  test('cancel while IN_PROGRESS keeps the finished requests; a finished batch cannot be cancelled', async () => {
    const emu = await emulator({ stepMs: 20, linesPerStep: 1 });
    const fileId = await upload(emu, `${Array.from({ length: 100 }, (_, i) => line(`r${i}`)).join('\n')}\n`);
    const id = (await create(emu, fileId)).json.job.id;
    await waitFor(emu, id, (j) => j.status === 'IN_PROGRESS');
    await sleep(60);
    const cancelled = await call(emu, `/v1/batches/${id}/cancel`, { method: 'POST' });
    conforms('POST', `/v1/batches/${id}/cancel`, cancelled);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.json.status, 'CANCELLED');
    const kept = (await content(emu, cancelled.json.output_file_id)).length;
    assert.ok(kept > 0 && kept < 100, `${kept} kept`);
    const again = await call(emu, `/v1/batches/${id}/cancel`, { method: 'POST' });
    conforms('POST', `/v1/batches/${id}/cancel`, again);
    assert.equal(again.status, 400);
    assert.match(again.json.error, /CANCELLED and cannot be cancelled/);
    assert.equal((await call(emu, `/v1/batches/${id}`)).json.status, 'CANCELLED');
  });
});

describe('batch errors use {"error": "<string>"}', () => {
  test('401, 404 and 400s', async () => {
    const emu = await emulator();
    const unauthorized = await call(emu, '/v1/batches', { key: 'nope' });
    conforms('GET', '/v1/batches', unauthorized);
    assert.equal(unauthorized.status, 401);
    assert.equal(typeof unauthorized.json.error, 'string');

    const missing = await call(emu, '/v1/batches/00000000-0000-4000-8000-000000000000');
    conforms('GET', '/v1/batches/00000000-0000-4000-8000-000000000000', missing);
    assert.equal(missing.status, 404);
    assert.match(missing.json.error, /Batch job .* not found/);

    const noFile = await create(emu, 'file-does-not-exist');
    assert.equal(noFile.status, 400);
    assert.match(noFile.json.error, /not found/);

    const wrongPurpose = await create(emu, await upload(emu, `${line('a')}\n`, 'fine-tune'));
    assert.equal(wrongPurpose.status, 400);
    assert.match(wrongPurpose.json.error, /purpose "fine-tune"/);

    const noEndpoint = await call(emu, '/v1/batches', { body: { input_file_id: 'x' } });
    conforms('POST', '/v1/batches', noEndpoint);
    assert.equal(noEndpoint.status, 400);
    assert.match(noEndpoint.json.error, /`endpoint` is required/);

    const badEndpoint = await create(emu, 'x', { endpoint: '/v1/images/generations' });
    assert.match(badEndpoint.json.error, /must be one of \/v1\/chat\/completions/);
  });

  test("another key's batch is not found", async () => {
    const emu = await start({ keys: [{ key: KEY }, { key: 'other-key' }], batches: { stepMs: 20 } });
    emulators.push(emu);
    const id = (await create(emu, await upload(emu, `${line('a')}\n`))).json.job.id;
    assert.equal((await call(emu, `/v1/batches/${id}`, { key: 'other-key' })).status, 404);
    assert.deepEqual((await call(emu, '/v1/batches', { key: 'other-key' })).json, []);
  });
});
