// The emulator's Files API: both upload flows, the reads, per-key ownership, the server-side check of
// fine-tune files, the size cap, and the streaming multipart parser on its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { checkFineTuneFile } from '../../src/emulator/files/check.js';
import { MultipartError, MultipartParser, boundaryOf } from '../../src/emulator/files/multipart.js';
import type { PartInfo } from '../../src/emulator/files/multipart.js';
import { KEY, call, sleep, start } from './helpers.js';

const OTHER_KEY = 'other-key';
const CAP = 64 * 1024;
const GOOD_LINE = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n';

let emu: RunningEmulator;
before(async () => {
  emu = await start({
    keys: [
      { key: KEY, name: 'main' },
      { key: OTHER_KEY, name: 'other' },
    ],
    maxFileBytes: CAP,
  });
});
after(() => emu.close());

function form(fields: Record<string, string>, content?: string | Uint8Array, filename = 'train.jsonl'): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.set(name, value);
  if (content !== undefined) body.set('file', new Blob([content]), filename);
  return body;
}

async function upload(body: FormData | string, options: { key?: string; path?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? KEY}` };
  if (options.contentType) headers['content-type'] = options.contentType;
  const response = await fetch(`${emu.url}${options.path ?? '/v1/files/upload'}`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** Steps 1 and 2 of the SDKs' flow: the 302, then the PUT of the bytes to Location. */
async function redirectUpload(fields: Record<string, string>, content: string | Uint8Array) {
  const start = await fetch(`${emu.url}/v1/files?${new URLSearchParams(fields)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  await start.text();
  const location = start.headers.get('location') ?? '';
  const id = start.headers.get('x-together-file-id') ?? '';
  const put = location ? await fetch(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: content }) : undefined;
  const putText = put ? await put.text() : '';
  return { start, location, id, put, putJson: putText ? JSON.parse(putText) : undefined };
}

describe('POST /v1/files/upload (multipart)', () => {
  test('stores the file and answers a FileResponse with the capitalised FileType/Processed keys', async () => {
    const reply = await upload(form({ purpose: 'fine-tune', file_name: 'train.jsonl' }, GOOD_LINE.repeat(3)));
    assert.equal(reply.status, 200);
    const file = reply.json;
    assert.match(file.id, /^file-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(file.object, 'file');
    assert.equal(file.filename, 'train.jsonl');
    assert.equal(file.bytes, GOOD_LINE.length * 3);
    assert.equal(file.purpose, 'fine-tune');
    assert.equal(file.FileType, 'jsonl');
    assert.equal(file.Processed, true);
    assert.ok(Number.isInteger(file.created_at));
    assert.equal(file.processing_status, 'COMPLETED');
    assert.equal(file.validation_report.valid, true);
    assert.equal(file.validation_report.dataset_format, 'CONVERSATION');
    assert.equal(file.validation_report.nlines, 3);
    const content = await fetch(`${emu.url}/v1/files/${file.id}/content`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(await content.text(), GOOD_LINE.repeat(3));
  });

  test('the same multipart body works on POST /v1/files (the curl form) and the file name defaults to the part name', async () => {
    const reply = await upload(form({ purpose: 'batch-api' }, '{"custom_id":"1","body":{}}\n', 'batch.jsonl'), { path: '/v1/files' });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.filename, 'batch.jsonl');
    assert.equal(reply.json.purpose, 'batch-api');
    // Other purposes skip the fine-tune check entirely.
    assert.equal(reply.json.processing_status, undefined);
    assert.equal(reply.json.validation_report, undefined);
  });

  test('a fine-tune file that fails the server-side check is stored as INVALID_FORMAT with a readable error', async () => {
    const reply = await upload(form({ purpose: 'fine-tune', file_name: 'bad.jsonl' }, `${GOOD_LINE}{"messages":[{"role":"user"}]}\n`));
    assert.equal(reply.status, 200);
    assert.equal(reply.json.processing_status, 'INVALID_FORMAT');
    assert.equal(reply.json.validation_report.valid, false);
    assert.equal(reply.json.validation_report.error_type, 'INVALID_FORMAT');
    assert.match(reply.json.validation_report.error, /^Invalid format on line 2 of the input file\. Missing required column `content`/);
  });

  test('missing or wrong fields are 400s in the ErrorData envelope naming the field', async () => {
    const noPurpose = await upload(form({ file_name: 'a.jsonl' }, GOOD_LINE));
    assert.equal(noPurpose.status, 400);
    assert.equal(noPurpose.json.error.param, 'purpose');
    assert.equal(noPurpose.json.error.type, 'invalid_request_error');
    assert.equal(typeof noPurpose.json.id, 'string');
    const badPurpose = await upload(form({ purpose: 'training' }, GOOD_LINE));
    assert.match(badPurpose.json.error.message, /`purpose` must be one of fine-tune, eval/);
    const noFile = await upload(form({ purpose: 'fine-tune', file_name: 'a.jsonl' }));
    assert.equal(noFile.status, 400);
    assert.equal(noFile.json.error.param, 'file');
    const badType = await upload(form({ purpose: 'eval' }, 'x', 'notes.txt'));
    assert.equal(badType.json.error.param, 'file_type');
  });

  test('a malformed multipart body is a 400, and a non-multipart one is told what to send', async () => {
    const cut = `--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n${GOOD_LINE}`;
    const truncated = await upload(cut, { contentType: 'multipart/form-data; boundary=XyZ' });
    assert.equal(truncated.status, 400);
    assert.match(truncated.json.error.message, /malformed: the body ended before the closing boundary/);
    const json = await upload('{"purpose":"fine-tune"}', { contentType: 'application/json' });
    assert.equal(json.status, 400);
    assert.match(json.json.error.message, /multipart\/form-data/);
  });

  test('an upload over maxFileBytes is read to the end and refused with a 413; the emulator keeps serving', async () => {
    const big = new Uint8Array(CAP * 3).fill(0x61);
    const reply = await upload(form({ purpose: 'eval', file_name: 'big.jsonl' }, big));
    assert.equal(reply.status, 413);
    assert.equal(reply.json.error.code, 'file_too_large');
    assert.match(reply.json.error.message, new RegExp(`larger than ${CAP} bytes.*maxFileBytes`));
    const list = await call(emu, '/v1/files');
    assert.equal(list.status, 200);
    assert.ok(!list.json.data.some((f: { filename: string }) => f.filename === 'big.jsonl'), 'nothing was stored');
  });

  test('an upload far past the cap has its connection cut instead of being read forever', async () => {
    const huge = new Uint8Array(CAP * 12).fill(0x61);
    await assert.rejects(upload(form({ purpose: 'eval', file_name: 'huge.jsonl' }, huge)));
    assert.equal((await call(emu, '/v1/files')).status, 200);
  });

  test('needs the Bearer key', async () => {
    const reply = await upload(form({ purpose: 'fine-tune' }, GOOD_LINE), { key: 'not-a-key' });
    assert.equal(reply.status, 401);
    assert.equal(reply.json.error.code, 'invalid_api_key');
  });
});

describe('POST /v1/files → 302 → PUT (the SDKs’ redirect flow)', () => {
  test('302 with Location and X-Together-File-Id; PUT stores the bytes; preprocess and GET return the file', async () => {
    const flow = await redirectUpload({ purpose: 'fine-tune', file_name: 'sdk.jsonl', file_type: 'jsonl' }, GOOD_LINE.repeat(2));
    assert.equal(flow.start.status, 302);
    assert.match(flow.id, /^file-/);
    const location = new URL(flow.location);
    assert.equal(location.origin, emu.url);
    assert.ok(location.searchParams.get('signature'), 'the presigned URL carries a signature');
    assert.equal(flow.put?.status, 200);
    assert.match(flow.put?.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
    const pre = await call(emu, `/v1/files/${flow.id}/preprocess`, { method: 'POST' });
    assert.equal(pre.status, 200);
    assert.equal(pre.json.id, flow.id);
    assert.equal(pre.json.bytes, GOOD_LINE.length * 2);
    assert.equal(pre.json.processing_status, 'COMPLETED');
    const get = await call(emu, `/v1/files/${flow.id}`);
    assert.deepEqual(get.json, pre.json);
  });

  test('before the PUT the file is PENDING with no content; a reused or forged upload URL is a 403', async () => {
    const start = await fetch(`${emu.url}/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'purpose=fine-tune&file_name=later.jsonl',
      redirect: 'manual',
    });
    const id = start.headers.get('x-together-file-id') ?? '';
    const location = start.headers.get('location') ?? '';
    const pending = await call(emu, `/v1/files/${id}`);
    assert.equal(pending.json.processing_status, 'PENDING');
    assert.equal(pending.json.Processed, false);
    assert.equal(pending.json.bytes, 0);
    assert.equal((await call(emu, `/v1/files/${id}/content`)).json.error.code, 'file_not_uploaded');
    const forged = await fetch(location.replace(/signature=\w+/, 'signature=0000'), { method: 'PUT', body: GOOD_LINE });
    assert.equal(forged.status, 403);
    await forged.text();
    assert.equal((await fetch(location, { method: 'PUT', body: GOOD_LINE })).status, 200);
    const reused = await fetch(location, { method: 'PUT', body: GOOD_LINE });
    assert.equal(reused.status, 403);
    assert.match(((await reused.json()) as { error: { message: string } }).error.message, /already used/);
  });

  test('the PUT is capped like a multipart upload', async () => {
    const flow = await redirectUpload({ purpose: 'eval', file_name: 'big.jsonl' }, new Uint8Array(CAP + 1).fill(0x61));
    assert.equal(flow.put?.status, 413);
    assert.equal(flow.putJson.error.code, 'file_too_large');
  });

  test('the fields are checked before any upload URL is handed out', async () => {
    const flow = await redirectUpload({ purpose: 'fine-tune' }, GOOD_LINE);
    assert.equal(flow.start.status, 400);
    assert.equal(flow.location, '');
  });
});

describe('GET, DELETE, ownership', () => {
  test('files belong to the key that uploaded them: another key sees neither the list entry nor the file', async () => {
    const mine = (await upload(form({ purpose: 'eval' }, 'a,b\n', 'mine.csv'))).json;
    const theirs = await call(emu, '/v1/files', { key: OTHER_KEY });
    assert.deepEqual(theirs.json, { data: [] });
    const peek = await call(emu, `/v1/files/${mine.id}`, { key: OTHER_KEY });
    assert.equal(peek.status, 404);
    assert.equal(peek.json.error.code, 'not_found');
    assert.ok((await call(emu, '/v1/files')).json.data.some((f: { id: string }) => f.id === mine.id));
  });

  test('DELETE removes the file ({id, deleted}); a second DELETE is a 404', async () => {
    const file = (await upload(form({ purpose: 'eval' }, 'x,y\n', 'gone.csv'))).json;
    const deleted = await call(emu, `/v1/files/${file.id}`, { method: 'DELETE' });
    assert.deepEqual(deleted.json, { id: file.id, deleted: true });
    assert.equal((await call(emu, `/v1/files/${file.id}`)).status, 404);
    assert.equal((await call(emu, `/v1/files/${file.id}`, { method: 'DELETE' })).status, 404);
  });

  test('reset() clears files; resetStats() does not', async () => {
    const local = await start({ keys: [{ key: KEY }] });
    try {
      const post = await fetch(`${local.url}/v1/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form({ purpose: 'eval' }, 'a\n', 'a.csv') });
      await post.text();
      local.resetStats();
      assert.equal((await call(local, '/v1/files')).json.data.length, 1);
      local.reset();
      assert.equal((await call(local, '/v1/files')).json.data.length, 0);
    } finally {
      await local.close();
    }
  });
});

describe('fileProcessingMs', () => {
  test('a fine-tune file reports RUNNING (not yet Processed) until its check has had the configured time', async () => {
    const slow = await start({ keys: [{ key: KEY }], fileProcessingMs: 150 });
    try {
      const response = await fetch(`${slow.url}/v1/files/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: form({ purpose: 'fine-tune', file_name: 'a.jsonl' }, GOOD_LINE),
      });
      const file = (await response.json()) as { id: string; processing_status: string; Processed: boolean; validation_report?: unknown };
      assert.equal(file.processing_status, 'RUNNING');
      assert.equal(file.Processed, false);
      assert.equal(file.validation_report, undefined);
      await sleep(200);
      const later = await call(slow, `/v1/files/${file.id}`);
      assert.equal(later.json.processing_status, 'COMPLETED');
      assert.equal(later.json.Processed, true);
    } finally {
      await slow.close();
    }
  });
});

describe('the server-side check (tether’s validator, src/datasets)', () => {
  const check = (text: string, name = 'data.jsonl') => checkFineTuneFile('file-x', name, 'jsonl', Buffer.from(text));

  test('accepts each known format and reports it', async () => {
    assert.equal((await check(GOOD_LINE)).dataset_format, 'CONVERSATION');
    assert.equal((await check('{"prompt":"a","completion":"b"}\n')).dataset_format, 'INSTRUCTION');
    assert.equal((await check('{"text":"hello"}')).dataset_format, 'GENERAL');
    const pref = '{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}\n';
    assert.equal((await check(pref)).dataset_format, 'PREFERENCE');
    assert.equal((await check('{"text":"a","weight":0.5}\n')).dataset_has_sample_weights, true);
  });

  test('reports the first error with its line and rule', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /file\.empty/],
      [`${GOOD_LINE}\n${GOOD_LINE}`, /^Invalid format on line 2 .*line\.blank/],
      [`${GOOD_LINE}{not json}\n`, /^Invalid format on line 2 .*json\.syntax/],
      ['[1,2]\n', /line 1 .*not a JSON object/],
      ['{"question":"q"}\n', /line 1 .*cannot tell the dataset format.*question/],
      [`${GOOD_LINE}{"text":"t"}\n`, /line 2 .*multiple dataset formats.*format\.mixed/],
      ['{"messages":[]}\n', /messages is empty/],
      ['{"messages":[{"content":"x"}]}\n', /Missing required column `role`/],
      ['{"messages":[{"role":"robot","content":"x"}]}\n', /role "robot"/],
    ];
    for (const [text, expected] of cases) {
      const report = await check(text);
      assert.equal(report.valid, false, JSON.stringify(text));
      assert.equal(report.error_type, 'INVALID_FORMAT');
      assert.match(report.error ?? '', expected, JSON.stringify(text));
    }
    assert.match((await checkFineTuneFile('f', 'f.jsonl', 'jsonl', Buffer.from([0x7b, 0xff, 0x7d]))).error ?? '', /UTF-8/);
  });

  test('CSV is not a fine-tuning file; Parquet is read as Parquet', async () => {
    assert.match((await checkFineTuneFile('f', 'a.csv', 'csv', Buffer.from('a,b\n'))).error ?? '', /file\.extension/);
    const fake = await checkFineTuneFile('f', 'a.parquet', 'parquet', Buffer.from('PAR1....PAR1'));
    assert.equal(fake.valid, false);
    assert.match(fake.error ?? '', /parquet\.read/);
  });
});

describe('MultipartParser', () => {
  const BOUNDARY = '----b0undary';
  const body = [
    'preamble to ignore\r\n',
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n`,
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a \\"q\\".jsonl"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    `line one\r\n--${BOUNDARY.slice(0, 5)} not a boundary\r\nline three`,
    `\r\n--${BOUNDARY}--\r\nepilogue`,
  ].join('');

  function parse(chunks: Buffer[]): { parts: Array<PartInfo & { data: string }>; finished: boolean } {
    const parts: Array<PartInfo & { data: string }> = [];
    const parser = new MultipartParser(BOUNDARY, {
      part: (info) => parts.push({ ...info, data: '' }),
      data: (chunk) => {
        const last = parts.at(-1);
        if (last) last.data += chunk.toString('utf8');
      },
    });
    for (const chunk of chunks) parser.write(chunk);
    parser.end();
    return { parts, finished: parser.finished };
  }

  test('gives the same parts whether the body arrives whole or one byte at a time', () => {
    const bytes = Buffer.from(body);
    const whole = parse([bytes]);
    const bytewise = parse([...bytes].map((b) => Buffer.from([b])));
    assert.deepEqual(bytewise, whole);
    assert.equal(whole.finished, true);
    assert.deepEqual(whole.parts, [
      { name: 'purpose', data: 'fine-tune' },
      { name: 'file', filename: 'a "q".jsonl', contentType: 'application/octet-stream', data: `line one\r\n--${BOUNDARY.slice(0, 5)} not a boundary\r\nline three` },
    ]);
  });

  test('refuses parts without a form-data disposition, and bodies without the closing boundary', () => {
    const noName = new MultipartParser('b', { part: () => undefined, data: () => undefined });
    assert.throws(() => noName.write(Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--')), MultipartError);
    const open = new MultipartParser('b', { part: () => undefined, data: () => undefined });
    open.write(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx'));
    assert.throws(() => open.end(), /closing boundary/);
  });

  test('boundaryOf reads quoted and bare boundaries and rejects other content types', () => {
    assert.equal(boundaryOf('multipart/form-data; boundary=abc'), 'abc');
    assert.equal(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b');
    assert.equal(boundaryOf('application/json'), undefined);
    assert.equal(boundaryOf('multipart/form-data'), undefined);
    assert.equal(boundaryOf(undefined), undefined);
  });
});
