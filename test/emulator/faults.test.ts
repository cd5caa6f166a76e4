import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { CHAT_MODEL, OTHER_CHAT_MODEL, call, chat, parseSse, readStream, sleep, start } from './helpers.js';

let emu: RunningEmulator;
before(async () => {
  emu = await start({ seed: 3 });
});
after(() => emu.close());

function stream(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return chat({ stream: true, max_tokens: 400, ...extra });
}

describe('status faults', () => {
  test('503 at rate 1 on one model only, with the rate-limit headers, until removed', async () => {
    emu.setFaults([{ kind: 'status', status: 503, rate: 1, model: CHAT_MODEL }]);
    const hit = await call(emu, '/v1/chat/completions', { body: chat() });
    assert.equal(hit.status, 503);
    assert.equal(hit.json.id, hit.headers.get('x-request-id'));
    assert.equal(hit.json.error.type, 'server_error');
    assert.equal(typeof hit.json.error.message, 'string');
    assert.ok(hit.headers.get('x-ratelimit-remaining'));
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat({ model: OTHER_CHAT_MODEL }) })).status, 200);
    emu.setFaults([]);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  });

  test('a fractional rate is deterministic for a seed', async () => {
    const sequence = async (seed: number): Promise<number[]> => {
      const e = await start({ seed, faults: [{ kind: 'status', status: 500, rate: 0.3 }] });
      try {
        const out: number[] = [];
        for (let i = 0; i < 20; i++) out.push((await call(e, '/v1/chat/completions', { body: chat({ max_tokens: 1 }) })).status);
        return out;
      } finally {
        await e.close();
      }
    };
    const a = await sequence(11);
    assert.deepEqual(await sequence(11), a);
    const failures = a.filter((s) => s === 500).length;
    assert.ok(failures > 0 && failures < 20, `${failures} of 20 failed`);
    assert.notDeepEqual(await sequence(12), a);
  });

  test('a custom message or a whole custom body, and a fault scoped to a key or to /v1/models', async () => {
    emu.setFaults([{ kind: 'status', status: 500, body: 'boom' }]);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).json.error.message, 'boom');
    emu.setFaults([{ kind: 'status', status: 400, body: { message: 'legacy shape' } }]);
    assert.deepEqual((await call(emu, '/v1/chat/completions', { body: chat() })).json, { message: 'legacy shape' });
    emu.setFaults([{ kind: 'status', status: 503, key: 'someone-else' }]);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
    emu.setFaults([{ kind: 'status', status: 500, path: '/v1/models' }]);
    assert.equal((await call(emu, '/v1/models')).status, 500);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
    emu.setFaults([]);
  });
});

describe('connection faults', () => {
  test('latency delays the answer', async () => {
    emu.setFaults([{ kind: 'latency', ms: 150 }]);
    const started = performance.now();
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
    assert.ok(performance.now() - started >= 145);
    emu.setFaults([]);
  });

  test('reset destroys the socket with no response', async () => {
    emu.setFaults([{ kind: 'reset', rate: 1, model: CHAT_MODEL }]);
    const before = emu.stats().byStatus.reset ?? 0;
    await assert.rejects(call(emu, '/v1/chat/completions', { body: chat() }), TypeError);
    assert.equal(emu.stats().byStatus.reset, before + 1);
    assert.ok((emu.stats().faults.reset ?? 0) >= 1);
    emu.setFaults([]);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  });

  test('credits: 402 after N requests, until credits are restored', async () => {
    emu.setFaults([{ kind: 'credits', afterRequests: 2 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(emu, '/v1/chat/completions', { body: chat() })).status);
    assert.deepEqual(statuses, [200, 200, 402, 402]);
    emu.setCredits('main', 50);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
    emu.setFaults([]);
  });
});

describe('stream faults', () => {
  test('stream_cut sends K chunks and drops the connection without [DONE]', async () => {
    emu.setFaults([{ kind: 'stream_cut', afterChunks: 3 }]);
    const read = await readStream(emu, '/v1/chat/completions', stream());
    assert.equal(read.status, 200);
    assert.ok(read.error, 'the body read fails');
    const sse = parseSse(read.text);
    assert.equal(sse.events.length, 3);
    assert.equal(sse.done, false);
    emu.setFaults([{ kind: 'stream_cut', afterChunks: 1000 }]);
    const beyond = parseSse((await readStream(emu, '/v1/chat/completions', stream())).text);
    assert.ok(beyond.events.length > 3 && !beyond.done, 'a cut past the last chunk still drops [DONE]');
    emu.setFaults([]);
    const whole = await readStream(emu, '/v1/chat/completions', stream());
    assert.equal(whole.error, undefined);
    assert.ok(parseSse(whole.text).done);
  });

  test('slow_stream waits between chunks', async () => {
    emu.setFaults([{ kind: 'slow_stream', chunkDelayMs: 40 }]);
    const read = await readStream(emu, '/v1/chat/completions', stream({ max_tokens: 4 }));
    const sse = parseSse(read.text);
    assert.ok(sse.done);
    assert.ok(read.arrivals.length >= 3);
    const last = read.arrivals.at(-1) ?? 0;
    assert.ok(last >= 40 * sse.events.length - 10, `${sse.events.length} chunks in ${last} ms`);
    emu.setFaults([]);
  });

  test('stall stops sending mid-stream without closing', async () => {
    emu.setFaults([{ kind: 'stall', afterChunks: 2 }]);
    const abort = new AbortController();
    const reading = readStream(emu, '/v1/chat/completions', stream(), abort.signal);
    await sleep(250);
    abort.abort();
    const read = await reading;
    const sse = parseSse(read.text);
    assert.equal(sse.events.length, 2);
    assert.equal(sse.done, false);
    assert.equal((read.error as Error).name, 'AbortError', 'the socket stayed open until the client gave up');
    emu.setFaults([]);
  });

  test('stall on a non-streaming request holds it with no answer', async () => {
    emu.setFaults([{ kind: 'stall' }]);
    await assert.rejects(call(emu, '/v1/chat/completions', { body: chat(), signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
    emu.setFaults([]);
  });

  test('a client leaving mid-stream does not disturb the server', async () => {
    emu.setFaults([{ kind: 'slow_stream', chunkDelayMs: 30 }]);
    const abort = new AbortController();
    const reading = readStream(emu, '/v1/chat/completions', stream(), abort.signal);
    await sleep(80);
    abort.abort();
    await reading;
    emu.setFaults([]);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  });

  test('close() ends stalled requests promptly', async () => {
    const e = await start({ faults: [{ kind: 'stall', afterChunks: 1 }] });
    const reading = readStream(e, '/v1/chat/completions', stream());
    const held = call(e, '/v1/chat/completions', { body: chat() }).catch((error: unknown) => error);
    await sleep(100);
    const started = performance.now();
    await e.close();
    assert.ok(performance.now() - started < 500);
    const read = await reading;
    assert.equal(parseSse(read.text).events.length, 1);
    assert.ok(read.error);
    assert.ok((await held) instanceof Error);
  });
});

test('setFaults rejects a bad fault and names the field', () => {
  assert.throws(() => emu.setFaults([{ kind: 'status', status: 99 } as never]), /`\[0\]\.status`/);
  assert.throws(() => emu.setFaults([{ kind: 'teleport' } as never]), /kind/);
});
