// The emulator's fine-tuning API: the status lifecycle on a fake clock (exact transitions and events), then
// over HTTP: create/list/get/events/cancel, the 404 and 400 bodies, configured failures, per-key ownership.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { resolveParams } from '../../src/emulator/fine-tunes/params.js';
import { FineTuneStore } from '../../src/emulator/fine-tunes/store.js';
import type { Job } from '../../src/emulator/fine-tunes/store.js';
import { KEY, call, sleep, start } from './helpers.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
const GOOD = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n';
const STEP = 40;

describe('FineTuneStore on a fake clock', () => {
  const STEP_MS = 1000;
  function setup(failures: ConstructorParameters<typeof FineTuneStore>[2] = []) {
    let now = 1_700_000_000_000;
    const store = new FineTuneStore(7, STEP_MS, failures, () => now);
    const params = resolveParams({ model: MODEL, training_file: 'file-1', n_epochs: 2, suffix: 'demo' }, 'CONVERSATION');
    const job = store.create('key', 'main', params, { lines: 10, bytes: 4000 });
    return { store, job, tick: (ms: number) => (now += ms), at: () => now };
  }
  const statusAfter = (s: ReturnType<typeof setup>, ms: number): string => {
    s.tick(ms);
    return (s.store.get('key', s.job.id) as Job).status;
  };

  test('moves one stage per step: pending → queued → running → compressing → uploading → completed', () => {
    const s = setup();
    const created = s.at();
    assert.equal(s.job.status, 'pending');
    assert.equal(statusAfter(s, STEP_MS - 1), 'pending');
    assert.equal(statusAfter(s, 1), 'queued');
    assert.equal(statusAfter(s, STEP_MS), 'running');
    assert.equal(statusAfter(s, STEP_MS), 'compressing');
    assert.equal(statusAfter(s, STEP_MS), 'uploading');
    assert.equal(statusAfter(s, STEP_MS), 'completed');
    assert.equal(statusAfter(s, 10 * STEP_MS), 'completed', 'terminal stays terminal');
    const types = s.job.events.map((e) => e.type);
    assert.deepEqual(types, [
      'job_pending',
      'job_pending',
      'job_start',
      'model_downloading',
      'model_download_complete',
      'training_data_downloading',
      'training_data_download_complete',
      'training_start',
      'epoch_complete',
      'epoch_complete',
      'checkpoint_save',
      'training_complete',
      'model_compressing',
      'model_compression_complete',
      'model_uploading',
      'model_upload_complete',
      'job_complete',
    ]);
    // Events carry the time their transition happened, not when it was observed.
    assert.equal(s.job.events.find((e) => e.type === 'job_start')?.created_at, new Date(created + 2 * STEP_MS).toISOString());
    assert.equal(s.job.events.at(-1)?.created_at, new Date(created + 5 * STEP_MS).toISOString());
    assert.equal(s.job.startedAt, created + 2 * STEP_MS);
    assert.equal(s.job.epochsCompleted, 2);
  });

  test('observed late, a job catches up through every stage at once', () => {
    const s = setup();
    assert.equal(statusAfter(s, 60 * STEP_MS), 'completed');
    assert.equal(s.job.events.length, 17);
  });

  test('cancel: cancel_requested now, cancelled one step later; a finished job cannot be cancelled', () => {
    const s = setup();
    s.tick(STEP_MS * 2.5); // running
    assert.equal(s.store.cancel(s.job).ok, true);
    assert.equal(s.job.status, 'cancel_requested');
    assert.equal(s.job.events.at(-1)?.type, 'cancel_requested');
    assert.equal(s.store.cancel(s.job).ok, true, 'asking twice is harmless');
    assert.equal(s.job.events.filter((e) => e.type === 'cancel_requested').length, 1);
    assert.equal(statusAfter(s, STEP_MS - 1), 'cancel_requested');
    assert.equal(statusAfter(s, 1), 'cancelled');
    assert.equal(s.job.events.at(-1)?.type, 'job_stopped');
    assert.equal(s.store.cancel(s.job).ok, false);
  });

  test('a configured failure ends its stage in error (or user_error) with a job_error event', () => {
    const s = setup([{ suffix: 'other' }, { model: MODEL, at: 'compressing', status: 'user_error', message: 'Out of disk' }]);
    assert.equal(statusAfter(s, 3 * STEP_MS), 'compressing');
    assert.equal(statusAfter(s, STEP_MS), 'user_error');
    const last = s.job.events.at(-1);
    assert.equal(last?.type, 'job_error');
    assert.equal(last?.level, 'error');
    assert.equal(last?.message, 'Out of disk');
  });

  test('progress counts down to the next status', () => {
    const s = setup();
    assert.equal(s.store.secondsRemaining(s.job), 5);
    s.tick(4.5 * STEP_MS);
    s.store.get('key', s.job.id);
    assert.equal(s.store.secondsRemaining(s.job), 1);
    s.tick(STEP_MS);
    s.store.get('key', s.job.id);
    assert.equal(s.store.secondsRemaining(s.job), undefined);
  });
});

describe('the fine-tuning API over HTTP', () => {
  let emu: RunningEmulator;
  const OTHER = 'other-key';
  const BROKE = 'broke-key';
  let trainingFile: string;

  async function uploadText(text: string, purpose = 'fine-tune', key = KEY): Promise<string> {
    const body = new FormData();
    body.set('purpose', purpose);
    body.set('file', new Blob([text]), 'train.jsonl');
    const response = await fetch(`${emu.url}/v1/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body });
    return ((await response.json()) as { id: string }).id;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- job bodies are inspected field by field
  async function until(id: string, done: (status: string) => boolean, key = KEY): Promise<any> {
    for (let i = 0; i < 200; i++) {
      const job = (await call(emu, `/v1/fine-tunes/${id}`, { key })).json;
      if (done(job.status)) return job;
      await sleep(STEP / 2);
    }
    throw new Error(`job ${id} never got there`);
  }

  before(async () => {
    emu = await start({
      keys: [
        { key: KEY, name: 'main' },
        { key: OTHER, name: 'other' },
        { key: BROKE, name: 'broke', creditsUsd: 0 },
      ],
      fineTuneStepMs: STEP,
      fineTuneFailures: [{ suffix: 'doomed', message: 'CUDA out of memory' }],
    });
    trainingFile = await uploadText(GOOD.repeat(4));
  });
  after(() => emu.close());

  test('create answers the truncated job with Together’s defaults filled; list, get and events follow it to completed', async () => {
    const created = await call(emu, '/v1/fine-tunes', { body: { model: MODEL, training_file: trainingFile, suffix: 'happy' } });
    assert.equal(created.status, 200);
    const job = created.json;
    assert.match(job.id, /^ft-[0-9a-f-]{36}$/);
    assert.equal(job.status, 'pending');
    assert.equal(job.model, MODEL);
    assert.equal(job.training_file, trainingFile);
    assert.equal(job.n_epochs, 1);
    assert.equal(job.learning_rate, 1e-5);
    assert.equal(job.batch_size, 8);
    assert.deepEqual(job.training_type, { type: 'Lora', lora_r: 8, lora_alpha: 16, lora_dropout: 0, lora_trainable_modules: 'all-linear' });
    assert.deepEqual(job.training_method, { method: 'sft', train_on_inputs: false });
    assert.equal(job.events, undefined, 'the truncated job has no events');
    assert.match(job.model_output_name, /^main\/Meta-Llama-3\.1-8B-Instruct-Reference-happy-/);
    assert.ok((await call(emu, '/v1/fine-tunes')).json.data.some((j: { id: string }) => j.id === job.id));
    const done = await until(job.id, (s) => s === 'completed');
    assert.equal(done.events.at(-1).type, 'job_complete');
    assert.equal(done.trainingfile_numlines, 4);
    assert.ok(done.model_output_path);
    const events = (await call(emu, `/v1/fine-tunes/${job.id}/events`)).json.data;
    assert.deepEqual(events, done.events);
    for (const event of events) {
      assert.equal(event.object, 'fine-tune-event');
      for (const field of ['param_count', 'token_count', 'total_steps', 'step', 'training_offset']) assert.equal(typeof event[field], 'number');
      for (const field of ['wandb_url', 'checkpoint_path', 'model_path', 'hash', 'created_at', 'message']) assert.equal(typeof event[field], 'string');
    }
  });

  test('cancel: cancel_requested, then cancelled; cancelling a finished job is a 400', async () => {
    const job = (await call(emu, '/v1/fine-tunes', { body: { model: MODEL, training_file: trainingFile } })).json;
    const cancelled = await call(emu, `/v1/fine-tunes/${job.id}/cancel`, { method: 'POST' });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.json.status, 'cancel_requested');
    const final = await until(job.id, (s) => s === 'cancelled');
    assert.deepEqual(final.events.slice(-2).map((e: { type: string }) => e.type), ['cancel_requested', 'job_stopped']);
    const again = await call(emu, `/v1/fine-tunes/${job.id}/cancel`, { method: 'POST' });
    assert.equal(again.status, 400);
    assert.match(again.json.error.message, /already cancelled/);
  });

  test('a job configured to fail ends in error with the configured message', async () => {
    const job = (await call(emu, '/v1/fine-tunes', { body: { model: MODEL, training_file: trainingFile, suffix: 'doomed' } })).json;
    const final = await until(job.id, (s) => s === 'error');
    assert.equal(final.events.at(-1).type, 'job_error');
    assert.equal(final.events.at(-1).message, 'CUDA out of memory');
  });

  test('an unknown job id is a 404 in the ErrorData envelope, on every job path; so is another key’s job', async () => {
    for (const [path, method] of [
      ['/v1/fine-tunes/ft-nope', 'GET'],
      ['/v1/fine-tunes/ft-nope/events', 'GET'],
      ['/v1/fine-tunes/ft-nope/cancel', 'POST'],
      ['/v1/fine-tunes/ft-nope', 'DELETE'],
    ] as const) {
      const reply = await call(emu, path, { method });
      assert.equal(reply.status, 404, path);
      assert.equal(reply.json.error.type, 'invalid_request_error');
      assert.equal(reply.json.error.code, 'not_found');
      assert.match(reply.json.error.message, /^Fine-tune job ft-nope not found/);
      assert.equal(typeof reply.json.id, 'string');
    }
    const job = (await call(emu, '/v1/fine-tunes', { body: { model: MODEL, training_file: trainingFile } })).json;
    assert.equal((await call(emu, `/v1/fine-tunes/${job.id}`, { key: OTHER })).status, 404);
    assert.ok(!(await call(emu, '/v1/fine-tunes', { key: OTHER })).json.data.some((j: { id: string }) => j.id === job.id));
  });

  test('DELETE removes a job', async () => {
    const job = (await call(emu, '/v1/fine-tunes', { body: { model: MODEL, training_file: trainingFile } })).json;
    const deleted = await call(emu, `/v1/fine-tunes/${job.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.match(deleted.json.message, /deleted/);
    assert.equal((await call(emu, `/v1/fine-tunes/${job.id}`)).status, 404);
  });

  test('refuses a file that failed the server-side check with a 400 that quotes the check', async () => {
    const bad = await uploadText(`${GOOD}{"text":"mixed"}\n`);
    const reply = await call(emu, '/v1/fine-tunes', { body: { model: MODEL, training_file: bad } });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error.param, 'training_file');
    assert.equal(reply.json.error.code, 'invalid_file_format');
    assert.match(reply.json.error.message, /did not pass validation .*Found multiple dataset formats in the input file/);
  });

  test('refuses unknown, foreign and wrong-purpose files, an unknown model and bad parameters, each naming the field', async () => {
    const evalFile = await uploadText(GOOD, 'eval');
    const foreign = await uploadText(GOOD, 'fine-tune', OTHER);
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ model: MODEL, training_file: 'file-missing' }, 'training_file', /does not exist on this account/],
      [{ model: MODEL, training_file: foreign }, 'training_file', /does not exist on this account/],
      [{ model: MODEL, training_file: evalFile }, 'training_file', /purpose "eval"/],
      [{ model: MODEL, training_file: trainingFile, validation_file: 'file-missing' }, 'validation_file', /does not exist/],
      [{ model: 'acme/not-a-model', training_file: trainingFile }, 'model', /not available for fine-tuning/],
      [{ model: MODEL, training_file: trainingFile, n_epochs: 0 }, 'n_epochs', /n_epochs/],
      [{ model: MODEL, training_file: trainingFile, learning_rate: -1 }, 'learning_rate', /learning_rate/],
      [{ model: MODEL, training_file: trainingFile, training_type: { type: 'Lora', lora_r: 0, lora_alpha: 8 } }, 'training_type.lora_r', /lora_r/],
      [{ model: MODEL }, 'training_file', /`training_file` is required/],
    ];
    for (const [body, param, message] of cases) {
      const reply = await call(emu, '/v1/fine-tunes', { body });
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.json.error.param, param, JSON.stringify(body));
      assert.match(reply.json.error.message, message);
    }
  });

  test('a key with no credit gets a 402 before any job is created', async () => {
    const file = await uploadText(GOOD, 'fine-tune', BROKE);
    const reply = await call(emu, '/v1/fine-tunes', { key: BROKE, body: { model: MODEL, training_file: file } });
    assert.equal(reply.status, 402);
    assert.equal(reply.json.error.type, 'credit_limit');
    assert.deepEqual((await call(emu, '/v1/fine-tunes', { key: BROKE })).json, { data: [] });
  });

  test('faults that name a fine-tune path apply to it', async () => {
    emu.setFaults([{ kind: 'status', status: 503, path: '/v1/fine-tunes' }]);
    try {
      assert.equal((await call(emu, '/v1/fine-tunes')).status, 503);
    } finally {
      emu.setFaults([]);
    }
    assert.equal((await call(emu, '/v1/fine-tunes')).status, 200);
  });
});
