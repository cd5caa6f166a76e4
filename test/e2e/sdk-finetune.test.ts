// The unmodified `together-ai` SDK against the emulator's Files and Fine-tuning APIs: `files.upload` (the SDK's
// own 302 → PUT → GET flow, its own file check included), then creating, listing, retrieving, cancelling and
// reading the events of a fine-tune, and the error class an unknown job id arrives as.
//
// The SDK is loaded through `require` (its CommonJS build). Its ESM build cannot upload at all:
// `lib/node-unsafe-imports.mjs` calls `require('fs')` inside a try/catch, which fails silently in an ES module,
// so `files.upload` rejects with "File does not exists" for any path (together-ai 0.52.0). Its CommonJS build
// then hands Node's global fetch a file stream without `duplex: 'half'`, which Node (18+) refuses ("RequestInit:
// duplex option is required"). The first test pins that; the others add the missing option to the global fetch
// (the SDK itself is untouched) so the rest of its flow runs against the emulator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type TogetherClient from 'together-ai';
import type * as TogetherSdk from 'together-ai';
import { KEYS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const BASE_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
const LINE = '{"messages":[{"role":"user","content":"Say hi."},{"role":"assistant","content":"Hi!"}]}\n';

describe('together-ai SDK: files and fine-tuning against the emulator', () => {
  let emu: Emulator;
  let client: TogetherClient;
  let sdk: typeof TogetherSdk;
  let dir: string;
  const nodeFetch = globalThis.fetch;
  /** Node's fetch, plus the `duplex: 'half'` it requires for a streamed body and the SDK's upload leaves out. */
  const fetchWithDuplex: typeof fetch = (input, init) => {
    const streamed = typeof (init?.body as { pipe?: unknown } | undefined)?.pipe === 'function';
    return nodeFetch(input, streamed ? ({ ...init, duplex: 'half' } as RequestInit) : init);
  };

  before(async () => {
    emu = await startTestEmulator();
    // The SDK's upload helper ignores the client's baseURL: it reads TOGETHER_API_BASE_URL once, when the module
    // loads (together-api-facts.md §1), so the variable is set before the SDK is imported.
    process.env['TOGETHER_API_BASE_URL'] = emu.baseUrl;
    sdk = createRequire(import.meta.url)('together-ai') as typeof TogetherSdk;
    client = new sdk.Together({ apiKey: KEYS.main, baseURL: emu.baseUrl, maxRetries: 0 });
    dir = mkdtempSync(join(tmpdir(), 'tether-sdk-ft-'));
    globalThis.fetch = fetchWithDuplex;
  });
  after(async () => {
    globalThis.fetch = nodeFetch;
    rmSync(dir, { recursive: true, force: true });
    await emu.close();
  });

  test('as shipped, files.upload fails on Node before sending the bytes (the missing `duplex` option)', async () => {
    const path = join(dir, 'as-shipped.jsonl');
    writeFileSync(path, LINE);
    globalThis.fetch = nodeFetch;
    try {
      await assert.rejects(client.files.upload(path, 'fine-tune'), /duplex option is required/);
    } finally {
      globalThis.fetch = fetchWithDuplex;
    }
  });

  test('files.upload runs the SDK’s redirect flow and returns the checked FileResponse', async () => {
    const path = join(dir, 'train.jsonl');
    writeFileSync(path, LINE.repeat(3));
    emu.resetStats();
    const file = await client.files.upload(path, 'fine-tune');
    assert.match(file.id, /^file-/);
    assert.equal(file.object, 'file');
    assert.equal(file.purpose, 'fine-tune');
    assert.equal(file.bytes, LINE.length * 3);
    assert.equal(file.FileType, 'jsonl');
    assert.equal(file.processing_status, 'COMPLETED');
    assert.equal(file.validation_report?.valid, true);
    const paths = Object.keys(emu.stats().byPath);
    assert.ok(paths.includes('/v1/files'), 'POST /files (the 302)');
    assert.ok(paths.some((p) => p.startsWith('/storage/files/')), 'PUT to the presigned URL');
    assert.ok(paths.includes(`/v1/files/${file.id}`), 'GET /files/{id}');
    const listed = await client.files.list();
    assert.ok(listed.data.some((f) => f.id === file.id));
    assert.equal(await (await client.files.content(file.id)).text(), LINE.repeat(3));
  });

  test('fine-tuning: create, list, retrieve, cancel, events; an unknown id is a NotFoundError', async () => {
    const path = join(dir, 'job.jsonl');
    writeFileSync(path, LINE.repeat(2));
    const file = await client.files.upload(path, 'fine-tune');
    const job = await client.fineTuning.create({ model: BASE_MODEL, training_file: file.id, n_epochs: 1, suffix: 'sdk' });
    assert.match(job.id, /^ft-/);
    assert.equal(job.status, 'pending');
    assert.ok((await client.fineTuning.list()).data.some((j) => j.id === job.id));
    const retrieved = await client.fineTuning.retrieve(job.id);
    assert.equal(retrieved.id, job.id);
    assert.equal(retrieved.training_file, file.id);
    const cancelled = await client.fineTuning.cancel(job.id);
    assert.equal(cancelled.status, 'cancel_requested');
    const events = await client.fineTuning.listEvents(job.id);
    assert.deepEqual(
      events.data.map((e) => e.type),
      (await client.fineTuning.retrieve(job.id)).events?.map((e) => e.type),
    );
    assert.ok(events.data.some((e) => e.type === 'cancel_requested'));
    await assert.rejects(client.fineTuning.retrieve('ft-00000000-0000-4000-8000-000000000000'), (error: unknown) => {
      assert.ok(error instanceof sdk.NotFoundError, String(error));
      assert.equal(error.status, 404);
      return true;
    });
    await assert.rejects(client.fineTuning.create({ model: BASE_MODEL, training_file: 'file-missing' }), sdk.BadRequestError);
  });

  test('files.delete and files.retrieve', async () => {
    const path = join(dir, 'gone.jsonl');
    writeFileSync(path, LINE);
    const file = await client.files.upload(path, 'fine-tune');
    assert.deepEqual(await client.files.delete(file.id), { id: file.id, deleted: true });
    await assert.rejects(client.files.retrieve(file.id), sdk.NotFoundError);
  });
});
