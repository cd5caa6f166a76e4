// Issue 15, failures 6 and 11, on the emulator: every input bounded with Together's error envelope. Deep JSON is a
// 400 (was a 500), 100,000 embedding inputs a prompt 400 (stalled a minute), an impossible fault value refused
// (a 1e12 ms latency fired at once), and a client that stops sending gets a 408 in the envelope (an idle socket was
// held 63 s, then a bare 400).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { checkBatchInput } from '../../src/emulator/batches/input.js';
import { EmulatorConfigError, parseFaultSpec, resolveEmulatorConfig, startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { jsonDeeperThan } from '../../src/emulator/json-limits.js';
import { call, CHAT_MODEL, start } from './helpers.js';

const EMBEDDING_MODEL = 'BAAI/bge-base-en-v1.5';

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** A raw HTTP exchange: write `request` (optionally nothing more), return all the server sends until it closes. */
function raw(emu: RunningEmulator, request: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(emu.port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve({ text, ms: performance.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

function envelopeOf(text: string): { status: number; error: { type: string; code: string | null; message: string } } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return { status, error: (JSON.parse(body) as { error: { type: string; code: string | null; message: string } }).error };
}

describe('emulator input bounds', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await start();
  });
  after(() => emu.close());

  test('a content part nested 100,000 levels deep is a 400 naming the nesting depth, not a 500', async () => {
    const body = `{"model":"${CHAT_MODEL}","messages":[{"role":"user","content":${nested(100_000)}}]}`;
    const reply = await call(emu, '/v1/chat/completions', { rawBody: body });
    assert.equal(reply.status, 400, reply.text);
    assert.equal(reply.json.error.type, 'invalid_request_error');
    assert.match(reply.json.error.message, /deeper than 128 levels \(the maximum nesting depth\)/);
    assert.equal(typeof reply.json.id, 'string');
  });

  test('nesting within the limit is left to the schema, brackets inside strings do not count', async () => {
    const body = { ...{ model: CHAT_MODEL, max_tokens: 4, messages: [{ role: 'user', content: '[[[['.repeat(100) }] }, extra: JSON.parse(nested(100)) as unknown };
    const reply = await call(emu, '/v1/chat/completions', { body });
    assert.equal(reply.status, 200, reply.text);
  });

  test('the depth scan: strings with escaped quotes and brackets are skipped', () => {
    assert.equal(jsonDeeperThan('{"a":"\\"[[[[\\\\","b":[[1]]}', 2), true);
    assert.equal(jsonDeeperThan('{"a":"\\"[[[[\\\\","b":[1]}', 2), false);
    assert.equal(jsonDeeperThan(nested(128), 128), false);
    assert.equal(jsonDeeperThan(nested(129), 128), true);
  });

  test('a batch input line nested too deep fails validation with its line number', () => {
    const deep = JSON.stringify({ custom_id: 'a', body: { model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }] } }).replace('"x"', nested(5000));
    const check = checkBatchInput(Buffer.from(`${deep}\n`), 100);
    assert.deepEqual(check, { ok: false, error: 'Invalid input file: line 1 nests arrays and objects deeper than 128 levels.' });
  });

  test('100,000 embedding inputs: a prompt 400 in the envelope, before any token is counted', async () => {
    const started = performance.now();
    const reply = await call(emu, '/v1/embeddings', { body: { model: EMBEDDING_MODEL, input: Array.from({ length: 100_000 }, (_, i) => `t${i}`) } });
    assert.equal(reply.status, 400, reply.text);
    assert.equal(reply.json.error.type, 'invalid_request_error');
    assert.equal(reply.json.error.param, 'input');
    assert.match(reply.json.error.message, /holds 100000 items; at most 2048 inputs/);
    assert.ok(performance.now() - started < 3000, `answered in ${Math.round(performance.now() - started)} ms`);
    const ok = await call(emu, '/v1/embeddings', { body: { model: EMBEDDING_MODEL, input: Array.from({ length: 2048 }, (_, i) => `t${i}`) } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.data.length, 2048);
  });

  test("an embedding input longer than the model's context is a 400 naming the input", async () => {
    const reply = await call(emu, '/v1/embeddings', { body: { model: EMBEDDING_MODEL, input: ['short', 'word '.repeat(600)] } });
    assert.equal(reply.status, 400, reply.text);
    assert.equal(reply.json.error.type, 'invalid_request_error');
    assert.match(reply.json.error.message, /must have less than 512 tokens\. Given: \d+ \(input\[1\]\)/);
  });

  test('a 1e12 ms latency fault is refused at the admin API, in setFaults, in a config and in a SPEC', async () => {
    const admin = await call(emu, '/_emulator/faults', { key: null, body: [{ kind: 'latency', ms: 1e12 }] });
    assert.equal(admin.status, 400, admin.text);
    assert.match(admin.json.error.message, /`\[0\]\.ms`: must be at most 2147483647 ms/);
    const compact = await call(emu, '/_emulator/faults', { key: null, body: ['slow_stream=1e12'] });
    assert.equal(compact.status, 400, compact.text);
    assert.deepEqual((await call(emu, '/_emulator/faults', { key: null })).json.faults, []);
    assert.throws(() => emu.setFaults([{ kind: 'latency', ms: 1e12 }]), EmulatorConfigError);
    assert.throws(() => resolveEmulatorConfig({ faults: [{ kind: 'latency', ms: 5, jitterMs: 2 ** 31 }] }), /`faults\[0\]\.jitterMs`: must be at most/);
    assert.throws(() => resolveEmulatorConfig({ latencyMs: 1e12 }), /`latencyMs`: must be at most/);
    assert.throws(() => parseFaultSpec('latency=1e12'), /must be at most 2147483647 ms \(about 24\.8 days\); to never answer, use a stall fault/);
    assert.throws(() => parseFaultSpec('latency=Infinity'), /must be a number/);
    assert.throws(() => parseFaultSpec('latency=1.5'), /`ms`/);
    assert.throws(() => parseFaultSpec(`{"kind":"status","status":500,"body":{"a":${nested(10_000)}}}`), /nests deeper than 128 levels/);
  });

  test('a 100 KB model id is quoted clipped in the 404, and made-up paths and ids do not grow the stats without end', async () => {
    const fresh = await start();
    try {
      const id = 'x'.repeat(100_000);
      const reply = await call(fresh, '/v1/chat/completions', { body: { model: id, messages: [{ role: 'user', content: 'hi' }] } });
      assert.equal(reply.status, 404, reply.text.slice(0, 300));
      assert.equal(reply.json.error.code, 'model_not_found');
      assert.ok(reply.text.length < 1000, `the 404 is ${reply.text.length} bytes`);
      assert.match(reply.json.error.message, /… \(100000 characters\)/);
      const notFound = await call(fresh, `/v1/${'p'.repeat(5000)}`);
      assert.equal(notFound.status, 404);
      assert.ok(notFound.text.length < 1000);
      for (let batch = 0; batch < 11; batch++) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => call(fresh, `/v1/made-up-${batch}-${i}`)));
      }
      const stats = fresh.stats();
      assert.ok(Object.keys(stats.byPath).length <= 1001, `${Object.keys(stats.byPath).length} paths counted`);
      assert.ok((stats.byPath['(other)'] ?? 0) > 0);
      assert.ok(Object.keys(stats.byModel).every((m) => m.length <= 201));
    } finally {
      await fresh.close();
    }
  });

  test('a malformed request line gets a 400 in the envelope, not a bare 400', async () => {
    const { text } = await raw(emu, 'NOT HTTP AT ALL\r\n\r\n');
    const reply = envelopeOf(text);
    assert.equal(reply.status, 400);
    assert.equal(reply.error.type, 'invalid_request_error');
  });
});

describe('emulator request timeouts', () => {
  test('defaults: headers within 10 s, the whole request within 60 s, idle keep-alive 5 s', () => {
    const config = resolveEmulatorConfig({});
    assert.deepEqual([config.headersTimeoutMs, config.requestTimeoutMs, config.keepAliveTimeoutMs], [10_000, 60_000, 5_000]);
  });

  test('a client that stops mid-headers, or mid-body, gets a 408 in the envelope and the socket closed', async () => {
    const emu = await startEmulator({ port: 0, headersTimeoutMs: 300, requestTimeoutMs: 600 });
    try {
      const [headers, body, early] = await Promise.all([
        raw(emu, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer emulator-key\r\n'),
        raw(emu, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer emulator-key\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":'),
        // Answered early (401) while its body trickles: the answer stands alone, the timeout only closes the socket.
        raw(emu, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":'),
      ]);
      for (const [name, result, bound] of [['headers', headers, 2000], ['body', body, 2500]] as const) {
        const reply = envelopeOf(result.text);
        assert.equal(reply.status, 408, `${name}: ${result.text}`);
        assert.equal(reply.error.code, 'request_timeout');
        assert.match(reply.error.message, /did not arrive in time/);
        assert.ok(result.ms < bound, `${name}: closed after ${Math.round(result.ms)} ms`);
      }
      assert.equal(envelopeOf(early.text).status, 401);
      assert.ok(early.ms < 2500, `closed after ${Math.round(early.ms)} ms`);
    } finally {
      await emu.close();
    }
  });
});
