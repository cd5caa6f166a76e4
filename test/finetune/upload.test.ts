// uploadFile() against the emulator (both flows, refusal before upload, server-side rejection, processing
// wait) and against a bare local server standing in for Together + its storage (what the PUT carries).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from '../../src/api/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { DatasetRefusedError, FileRejectedError, UploadInputError, getFile, listFiles, uploadFile } from '../../src/finetune/index.js';
import type { UploadProgress } from '../../src/finetune/index.js';
import { BAD_LINE, GOOD_LINE, KEY, MIXED, harness, requestsTo } from './helpers.js';
import type { Harness } from './helpers.js';

describe('uploadFile against the emulator', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  for (const flow of ['redirect', 'multipart'] as const) {
    test(`${flow} flow: validates, streams with progress, and returns Together's checked file`, async () => {
      const content = GOOD_LINE.repeat(3000); // ~360 KB: several read chunks
      const path = h.file(`train-${flow}.jsonl`, content);
      const progress: UploadProgress[] = [];
      const result = await uploadFile(h.transport, path, { flow, onProgress: (p) => progress.push(p) });
      assert.equal(result.flow, flow);
      assert.equal(result.validation?.valid, true);
      assert.equal(result.validation?.samples, 3000);
      assert.equal(result.file.filename, `train-${flow}.jsonl`);
      assert.equal(result.file.bytes, Buffer.byteLength(content));
      assert.equal(result.file.purpose, 'fine-tune');
      assert.equal(result.file.processing_status, 'COMPLETED');
      const uploads = progress.filter((p) => p.phase === 'upload');
      assert.ok(uploads.length > 2, `streamed in chunks (${uploads.length} progress calls)`);
      assert.ok(uploads.every((p, i) => i === 0 || p.done >= uploads[i - 1]!.done), 'progress never goes back');
      assert.deepEqual(uploads.at(-1), { phase: 'upload', done: result.file.bytes, total: result.file.bytes });
      assert.ok(progress.findIndex((p) => p.phase === 'validate') < progress.findIndex((p) => p.phase === 'upload'), 'validated before uploading');
      const stored = await fetch(`${h.emu.baseUrl}/files/${result.file.id}/content`, { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(await stored.text(), content);
    });
  }

  test('the two flows use the two paths', async () => {
    const before = { redirect: requestsTo(h.emu, '/storage/'), multipart: requestsTo(h.emu, '/v1/files/upload') };
    await uploadFile(h.transport, h.file('a.jsonl', GOOD_LINE), { flow: 'redirect' });
    await uploadFile(h.transport, h.file('b.jsonl', GOOD_LINE), { flow: 'multipart' });
    assert.equal(requestsTo(h.emu, '/storage/'), before.redirect + 1);
    assert.equal(requestsTo(h.emu, '/v1/files/upload'), before.multipart + 1);
  });

  test('an invalid file is refused with tether’s report before any request is made', async () => {
    const path = h.file('bad.jsonl', `${GOOD_LINE}${BAD_LINE}${MIXED}`);
    h.emu.resetStats();
    const error = await uploadFile(h.transport, path).then(
      () => assert.fail('uploaded an invalid file'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DatasetRefusedError, String(error));
    assert.equal(error.report.valid, false);
    assert.ok(error.report.errors.some((issue) => issue.line === 2), 'the report names line 2');
    assert.match(error.message, /was not uploaded/);
    assert.match(error.fix, /tether validate/);
    assert.equal(h.emu.stats().requests, 0, 'the emulator saw no request at all');
  });

  test('with validation off, Together’s own check rejects the file: FileRejectedError with its report', async () => {
    for (const flow of ['redirect', 'multipart'] as const) {
      const error = await uploadFile(h.transport, h.file(`mixed-${flow}.jsonl`, MIXED), { validate: false, flow }).then(
        () => assert.fail('accepted a file the server rejected'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof FileRejectedError, String(error));
      assert.equal(error.category, 'validation');
      assert.equal(error.code, 'INVALID_FORMAT');
      assert.match(error.message, /Together rejected mixed-.*processing_status INVALID_FORMAT.*multiple dataset formats/);
      assert.equal(error.file.processing_status, 'INVALID_FORMAT');
      assert.equal((await getFile(h.transport, error.file.id)).id, error.file.id, 'the file is on the account');
    }
  });

  test('other purposes are not validated locally', async () => {
    const path = h.file('batch.jsonl', '{"custom_id":"1","body":{"model":"m","messages":[]}}\n');
    const result = await uploadFile(h.transport, path, { purpose: 'batch-api' });
    assert.equal(result.validation, undefined);
    assert.equal(result.file.purpose, 'batch-api');
    assert.ok((await listFiles(h.transport)).some((f) => f.id === result.file.id));
  });

  test('local problems are UploadInputErrors, before any request', async () => {
    h.emu.resetStats();
    await assert.rejects(uploadFile(h.transport, `${h.dir}/missing.jsonl`), (e: unknown) => e instanceof UploadInputError && /no such file/.test(e.message));
    await assert.rejects(uploadFile(h.transport, h.file('data.JSONL', GOOD_LINE)), (e: unknown) => e instanceof UploadInputError && /case-sensitive/.test(e.message));
    await assert.rejects(uploadFile(h.transport, h.file('empty.jsonl', '')), (e: unknown) => e instanceof UploadInputError && /empty/.test(e.message));
    await assert.rejects(uploadFile(h.transport, h.dir + '/'), (e: unknown) => e instanceof UploadInputError);
    assert.equal(h.emu.stats().requests, 0);
  });

  test('API failures arrive classified (a 401 names where the key came from)', async () => {
    const wrongKey = createTransport({ baseUrl: h.emu.baseUrl, apiKey: 'not-the-key' });
    try {
      const error = await uploadFile(wrongKey, h.file('k.jsonl', GOOD_LINE), { keySource: 'flag' }).catch((e: unknown) => e);
      assert.ok(isTogetherError(error));
      assert.equal(error.category, 'auth');
      assert.equal(error.status, 401);
      assert.match(error.fix, /--api-key/);
      assert.ok(!JSON.stringify(error.toJSON()).includes('not-the-key'), 'the key is not echoed');
    } finally {
      await wrongKey.close();
    }
  });
});

describe('waiting for Together’s check (fileProcessingMs)', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ fileProcessingMs: 120 });
  });
  after(() => h.close());

  test('polls while the file is RUNNING and returns it once checked', async () => {
    const phases: string[] = [];
    const result = await uploadFile(h.transport, h.file('slow.jsonl', GOOD_LINE), { processingIntervalMs: 30, onProgress: (p) => phases.push(p.phase) });
    assert.equal(result.file.processing_status, 'COMPLETED');
    assert.ok(phases.includes('process'), 'reported the wait');
    assert.ok(requestsTo(h.emu, '/v1/files/file-') >= 2, 'polled GET /files/{id}');
  });

  test('gives up after processingTimeoutMs with a timeout error', async () => {
    const error = await uploadFile(h.transport, h.file('slow2.jsonl', GOOD_LINE), { processingIntervalMs: 20, processingTimeoutMs: 30 }).catch((e: unknown) => e);
    assert.ok(isTogetherError(error));
    assert.equal(error.category, 'timeout');
    assert.match(error.message, /still checking file file-/);
  });

  test('waitForProcessing: false returns the file as the upload left it', async () => {
    const result = await uploadFile(h.transport, h.file('slow3.jsonl', GOOD_LINE), { waitForProcessing: false, flow: 'multipart' });
    assert.equal(result.file.processing_status, 'RUNNING');
  });
});

describe('the redirect flow on the wire (a stand-in for Together and its storage)', () => {
  interface Seen {
    method: string;
    url: string;
    authorization: string | undefined;
    contentType: string | undefined;
    contentLength: string | undefined;
    body: string;
  }
  let server: Server;
  let origin: string;
  const seen: Seen[] = [];
  let putStatus = 200;

  async function bodyOf(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  before(async () => {
    server = createServer((req, res) => {
      void bodyOf(req).then((body) => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          contentLength: req.headers['content-length'],
          body,
        });
        if (req.method === 'POST' && req.url?.startsWith('/v1/files?')) {
          res.writeHead(302, { location: `${origin}/bucket/upload-1?X-Amz-Signature=abc%2Bdef&X-Amz-Expires=60`, 'x-together-file-id': 'file-123' }).end();
        } else if (req.method === 'PUT') {
          res.writeHead(putStatus, { 'content-type': 'application/xml' }).end(putStatus === 200 ? '' : '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
        } else if (req.method === 'GET' && req.url === '/v1/files/file-123') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ id: 'file-123', object: 'file', filename: 'wire.jsonl', bytes: 100, purpose: 'fine-tune', FileType: 'jsonl', Processed: true, created_at: 1 }));
        } else {
          res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('sends the form fields, PUTs the raw bytes with a Content-Length and without the API key, then reads the file', async () => {
    const transport = createTransport({ baseUrl: `${origin}/v1`, apiKey: 'tk-secret-wire' });
    const dir = await mkdtemp(join(tmpdir(), 'tether-wire-'));
    const path = join(dir, 'wire.jsonl');
    await writeFile(path, GOOD_LINE);
    try {
      seen.length = 0;
      const result = await uploadFile(transport, path, { validate: false });
      assert.equal(result.file.id, 'file-123');
      const [start, put, get] = seen;
      assert.equal(start?.method, 'POST');
      assert.equal(start?.authorization, 'Bearer tk-secret-wire');
      assert.equal(start?.contentType, 'application/x-www-form-urlencoded');
      assert.deepEqual(Object.fromEntries(new URLSearchParams(start?.body)), { purpose: 'fine-tune', file_name: 'wire.jsonl', file_type: 'jsonl' });
      assert.deepEqual(Object.fromEntries(new URL(start?.url ?? '', origin).searchParams), { purpose: 'fine-tune', file_name: 'wire.jsonl', file_type: 'jsonl' });
      assert.equal(put?.method, 'PUT');
      assert.equal(put?.url, '/bucket/upload-1?X-Amz-Signature=abc%2Bdef&X-Amz-Expires=60', 'the presigned query is sent byte for byte');
      assert.equal(put?.authorization, undefined, 'the API key never goes to the storage host');
      assert.equal(put?.contentType, 'application/octet-stream');
      assert.equal(put?.contentLength, String(Buffer.byteLength(GOOD_LINE)));
      assert.equal(put?.body, GOOD_LINE);
      assert.equal(get?.url, '/v1/files/file-123');

      putStatus = 403;
      const error = await uploadFile(transport, path, { validate: false }).catch((e: unknown) => e);
      assert.ok(isTogetherError(error));
      assert.equal(error.status, 403);
      assert.notEqual(error.category, 'auth', 'a storage 403 is not an API-key problem');
      assert.match(error.message, /file storage failed: HTTP 403: AccessDenied: Request has expired/);
      assert.match(error.fix, /--flow multipart/);
    } finally {
      putStatus = 200;
      await transport.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
