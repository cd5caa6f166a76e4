// The emulator's Files and Fine-tuning responses checked against Together's published OpenAPI description
// (test/fixtures/together-openapi.yaml): success bodies in every job status and event type reached, and the
// error bodies (ErrorData where the spec declares a status without a body, or does not declare it).
//
// One deviation is allowed, because the spec contradicts itself: `FinetuneResponse.id` is typed `format: uuid`,
// while the cancel and download parameters say job ids start with `ft-` (and real ones look like
// `ft-fe94af08-1c61-41d2-8494-6d7ff5386262`). The full job is validated with the `ft-` prefix taken off its id.
//
// POST /files/upload is checked against the schemas its operation declares (FileResponse for 200, ErrorData for
// 400/401) by name: helpers/openapi.ts matches a path to the first template that fits, and `/files/{id}` comes
// before `/files/upload` in the spec, so it would look for a POST on `/files/{id}`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResponse, validateSchema } from './helpers/openapi.js';
import type { ResponseCheck } from './helpers/openapi.js';
import { KEYS, rawCall, testKeys } from './helpers/emulator.js';
import type { Emulator, RawResponse } from './helpers/emulator.js';
import { startEmulator } from '../../src/emulator/index.js';

const BASE_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
const GOOD = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n';
const STEP_MS = 25;

function assertValid(check: ResponseCheck, what: string): void {
  assert.ok(check.valid, `${what} does not match ${check.schemaRef ?? 'the spec'}:\n  ${check.errors.join('\n  ')}`);
}

function assertBody(method: string, path: string, response: RawResponse, body: unknown = response.json): void {
  assertValid(validateResponse(method, path, response.status, response.mediaType, body), `${method} ${path} ${response.status} ${response.text.slice(0, 300)}`);
}

/** The declared schema for the status, or ErrorData where the spec declares none. */
function assertError(method: string, path: string, response: RawResponse, status: number): void {
  assert.equal(response.status, status, `${method} ${path}: ${response.text}`);
  assert.equal(response.mediaType, 'application/json');
  const declared = validateResponse(method, path, response.status, response.mediaType, response.json);
  assertValid(declared.schemaRef === null ? validateSchema('ErrorData', response.json) : declared, `${method} ${path} ${status} ${response.text}`);
}

/** The full job with its `ft-` prefix removed from `id` (see the header). */
function withUuidId(job: { id: string }): unknown {
  assert.match(job.id, /^ft-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  return { ...job, id: job.id.slice(3) };
}

async function uploadForm(emu: Emulator, fields: Record<string, string>, content?: string): Promise<RawResponse> {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.set(name, value);
  if (content !== undefined) body.set('file', new Blob([content]), 'train.jsonl');
  const response = await fetch(`${emu.baseUrl}/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.main}` }, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    mediaType: (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '',
    text,
    json: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

/** POST /files/upload's declared schemas (see the header). */
function assertUpload(response: RawResponse, status: number): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.mediaType, 'application/json');
  assertValid(validateSchema(status === 200 ? 'FileResponse' : 'ErrorData', response.json), `POST /files/upload ${status} ${response.text}`);
}

async function until(emu: Emulator, id: string, status: string): Promise<RawResponse> {
  for (let i = 0; i < 200; i++) {
    const reply = await rawCall(emu, 'GET', `/fine-tunes/${id}`);
    if ((reply.json as { status: string }).status === status) return reply;
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  }
  throw new Error(`job ${id} never reached ${status}`);
}

describe('Files API responses against the OpenAPI contract', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ port: 0, seed: 1, keys: testKeys(), fineTuneStepMs: STEP_MS });
  });
  after(() => emu.close());

  test('POST /files/upload 200 (valid and INVALID_FORMAT files), GET /files, GET and DELETE /files/{id}, content', async () => {
    const uploaded = await uploadForm(emu, { purpose: 'fine-tune', file_name: 'train.jsonl' }, GOOD);
    assertUpload(uploaded, 200);
    const rejected = await uploadForm(emu, { purpose: 'fine-tune', file_name: 'bad.jsonl' }, '{"messages":[]}\n');
    assertUpload(rejected, 200);
    assert.equal((rejected.json as { processing_status: string }).processing_status, 'INVALID_FORMAT');
    const id = (uploaded.json as { id: string }).id;
    assertBody('GET', '/files', await rawCall(emu, 'GET', '/files'));
    assertBody('GET', `/files/${id}`, await rawCall(emu, 'GET', `/files/${id}`));
    const content = await rawCall(emu, 'GET', `/files/${id}/content`);
    assert.equal(content.status, 200);
    assertBody('GET', `/files/${id}/content`, content, content.text);
    const rejectedId = (rejected.json as { id: string }).id;
    assertBody('DELETE', `/files/${rejectedId}`, await rawCall(emu, 'DELETE', `/files/${rejectedId}`));
  });

  test('a file waiting for its bytes (redirect flow) is still a valid FileResponse', async () => {
    const start = await fetch(`${emu.baseUrl}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.main}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'purpose=fine-tune&file_name=pending.jsonl',
      redirect: 'manual',
    });
    assert.equal(start.status, 302);
    const id = start.headers.get('x-together-file-id') ?? '';
    assertBody('GET', `/files/${id}`, await rawCall(emu, 'GET', `/files/${id}`));
  });

  test('errors: 400 and 401 on upload (declared ErrorData), 404 on a file id', async () => {
    assertUpload(await uploadForm(emu, { file_name: 'x.jsonl' }, GOOD), 400);
    const unauthorised = await fetch(`${emu.baseUrl}/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.unknown}` }, body: new FormData() });
    const text = await unauthorised.text();
    const mediaType = (unauthorised.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    assertUpload({ status: unauthorised.status, headers: unauthorised.headers, mediaType, text, json: JSON.parse(text) }, 401);
    assertError('GET', '/files/file-missing', await rawCall(emu, 'GET', '/files/file-missing'), 404);
    assertError('DELETE', '/files/file-missing', await rawCall(emu, 'DELETE', '/files/file-missing'), 404);
    assertError('GET', '/files/file-missing/content', await rawCall(emu, 'GET', '/files/file-missing/content'), 404);
  });
});

describe('Fine-tuning API responses against the OpenAPI contract', () => {
  let emu: Emulator;
  let fileId: string;
  before(async () => {
    emu = await startEmulator({
      port: 0,
      seed: 1,
      keys: testKeys(),
      fineTuneStepMs: STEP_MS,
      fineTuneFailures: [{ suffix: 'fails' }],
    });
    fileId = ((await uploadForm(emu, { purpose: 'fine-tune', file_name: 'train.jsonl' }, GOOD.repeat(3))).json as { id: string }).id;
  });
  after(() => emu.close());

  test('create, list, get (every status to completed), events: success bodies', async () => {
    const created = await rawCall(emu, 'POST', '/fine-tunes', { body: { model: BASE_MODEL, training_file: fileId, n_epochs: 2, suffix: 'contract' } });
    assertBody('POST', '/fine-tunes', created);
    const id = (created.json as { id: string }).id;
    const seen = new Set<string>();
    for (let i = 0; i < 200 && !seen.has('completed'); i++) {
      const job = await rawCall(emu, 'GET', `/fine-tunes/${id}`);
      const status = (job.json as { status: string }).status;
      if (!seen.has(status)) assertBody('GET', `/fine-tunes/${id}`, job, withUuidId(job.json as { id: string }));
      seen.add(status);
      await new Promise((resolve) => setTimeout(resolve, STEP_MS / 3));
    }
    assert.ok(seen.has('completed'));
    assertBody('GET', '/fine-tunes', await rawCall(emu, 'GET', '/fine-tunes'));
    const events = await rawCall(emu, 'GET', `/fine-tunes/${id}/events`);
    assertBody('GET', `/fine-tunes/${id}/events`, events);
    assert.ok((events.json as { data: unknown[] }).data.length >= 10);
  });

  test('cancel (cancel_requested, then cancelled) and a failed job: success bodies', async () => {
    const job = (await rawCall(emu, 'POST', '/fine-tunes', { body: { model: BASE_MODEL, training_file: fileId } })).json as { id: string };
    assertBody('POST', `/fine-tunes/${job.id}/cancel`, await rawCall(emu, 'POST', `/fine-tunes/${job.id}/cancel`));
    const cancelled = await until(emu, job.id, 'cancelled');
    assertBody('GET', `/fine-tunes/${job.id}`, cancelled, withUuidId(cancelled.json as { id: string }));
    const failing = (await rawCall(emu, 'POST', '/fine-tunes', { body: { model: BASE_MODEL, training_file: fileId, suffix: 'fails' } })).json as { id: string };
    const failed = await until(emu, failing.id, 'error');
    assertBody('GET', `/fine-tunes/${failing.id}`, failed, withUuidId(failed.json as { id: string }));
    assertBody('GET', `/fine-tunes/${failing.id}/events`, await rawCall(emu, 'GET', `/fine-tunes/${failing.id}/events`));
    assertBody('DELETE', `/fine-tunes/${failing.id}`, await rawCall(emu, 'DELETE', `/fine-tunes/${failing.id}`));
  });

  test('errors: 404 on every job path, 400 on a bad create and on cancelling a finished job', async () => {
    assertError('GET', '/fine-tunes/ft-missing', await rawCall(emu, 'GET', '/fine-tunes/ft-missing'), 404);
    assertError('GET', '/fine-tunes/ft-missing/events', await rawCall(emu, 'GET', '/fine-tunes/ft-missing/events'), 404);
    assertError('POST', '/fine-tunes/ft-missing/cancel', await rawCall(emu, 'POST', '/fine-tunes/ft-missing/cancel'), 404);
    assertError('DELETE', '/fine-tunes/ft-missing', await rawCall(emu, 'DELETE', '/fine-tunes/ft-missing'), 404);
    assertError('POST', '/fine-tunes', await rawCall(emu, 'POST', '/fine-tunes', { body: { model: BASE_MODEL, training_file: 'file-missing' } }), 400);
    assertError('POST', '/fine-tunes', await rawCall(emu, 'POST', '/fine-tunes', { body: { model: BASE_MODEL, training_file: fileId, n_epochs: 0 } }), 400);
    const job = (await rawCall(emu, 'POST', '/fine-tunes', { body: { model: BASE_MODEL, training_file: fileId } })).json as { id: string };
    await until(emu, job.id, 'completed');
    assertError('POST', `/fine-tunes/${job.id}/cancel`, await rawCall(emu, 'POST', `/fine-tunes/${job.id}/cancel`), 400);
  });
});
