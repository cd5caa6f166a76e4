// The pipeline over a scripted transport: each stage's decision, the events it reports, and what reaches upstream.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TogetherError } from '../../src/errors/index.js';
import type { JsonResult, StreamResult } from '../../src/pipeline/index.js';
import { chatChunks, chatJson, errorBody } from './fake-transport.js';
import { FALLBACK, KEY, MODEL, chatBody, drain, harness, liveTimers, modelOf, settle } from './helpers.js';

async function rejection(promise: Promise<unknown>): Promise<TogetherError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TogetherError, `expected a TogetherError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('pipeline: stages before sending', () => {
  test('an invalid body is a validation error naming the field, with 0 upstream calls', async () => {
    const h = harness(() => ({ kind: 'json', body: chatJson(MODEL) }));
    const error = await rejection(h.pipeline.send({ endpoint: 'chat', body: { model: MODEL, messages: [{ role: 'robot', content: 'x' }] } }));
    assert.equal(error.category, 'validation');
    assert.match(error.message, /messages\[0\]\.role/);
    assert.equal(h.transport.calls.length, 0);
    assert.deepEqual(h.names(), ['outcome']);
    await h.pipeline.close();
  });

  test('an unknown id stops with the closest ids; a deprecated id names its successor; 0 calls', async () => {
    const h = harness(() => ({ kind: 'json', body: chatJson(MODEL) }));
    const unknown = await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody({ model: 'meta-llama/meta-llama-3.1-8b-instruct-turbo' }) }));
    assert.equal(unknown.category, 'not_found');
    assert.equal(unknown.details?.['suggestions']?.toString().split(', ')[0], MODEL);
    assert.match(unknown.fix, new RegExp(MODEL.replace(/[.]/g, '\\.')));
    const deprecated = await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody({ model: 'meta-llama/Llama-3-8b-chat-hf' }) }));
    assert.equal(deprecated.details?.['successor'], MODEL);
    assert.match(deprecated.message, /successor/);
    assert.equal(h.transport.calls.length, 0);
    await h.pipeline.close();
  });

  test('allowSuccessor sends a deprecated id as its successor', async () => {
    const h = harness((request) => ({ kind: 'json', body: chatJson(String((request.body as { model: string }).model)) }), { allowSuccessor: true });
    const result = (await h.pipeline.send({ endpoint: 'chat', body: chatBody({ model: 'meta-llama/Llama-3-8b-chat-hf' }) })) as JsonResult;
    assert.equal(result.model, MODEL);
    assert.equal(result.requestedModel, 'meta-llama/Llama-3-8b-chat-hf');
    assert.equal((h.transport.calls[0]?.body as { model: string }).model, MODEL);
    await h.pipeline.close();
  });

  test("the caller's raw bytes go upstream as is only while the body is unchanged (not after a migration or fallback)", async () => {
    const h = harness(
      (request) => (modelOf(request.body) === MODEL ? { kind: 'error', status: 503, body: errorBody('overloaded') } : { kind: 'json', body: chatJson(FALLBACK) }),
      { allowSuccessor: true, retry: { maxAttempts: 1 } },
    );
    const raw = ` ${JSON.stringify(chatBody())} `;
    await h.pipeline.send({ endpoint: 'chat', body: chatBody(), rawBody: raw, overrides: { fallbacks: [FALLBACK] } });
    assert.equal(h.transport.calls[0]?.body, raw, 'the first attempt sends the exact bytes');
    assert.equal(h.transport.calls[0]?.jsonText, true, 'labelled as JSON text');
    assert.deepEqual(h.transport.calls[1]?.body, chatBody({ model: FALLBACK }), 'the fallback sends its own body');
    const migrated = chatBody({ model: 'meta-llama/Llama-3-8b-chat-hf' });
    await h.pipeline.send({ endpoint: 'chat', body: migrated, rawBody: JSON.stringify(migrated), overrides: { fallbacks: [] } }).catch(() => undefined);
    assert.deepEqual(h.transport.calls[2]?.body, chatBody({ model: MODEL }), 'a migrated body is sent re-serialised');
    await h.pipeline.close();
  });

  test('no key at all: an auth error saying where to put one, nothing sent', async () => {
    const h = harness(() => ({ kind: 'json', body: chatJson(MODEL) }), { apiKey: undefined, env: {} });
    const error = await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody() }));
    assert.equal(error.category, 'auth');
    assert.match(error.fix, /TOGETHER_API_KEY/);
    assert.equal(h.transport.calls.length, 0);
    await h.pipeline.close();
  });
});

describe('pipeline: answers, retries, fallback', () => {
  test('a JSON answer carries usage × pricing and the answering model', async () => {
    const h = harness(() => ({ kind: 'json', body: chatJson(MODEL), headers: { 'x-request-id': 'req-1' } }));
    const result = (await h.pipeline.send({ endpoint: 'chat', body: chatBody(), requestId: 'mine' })) as JsonResult;
    assert.equal(result.kind, 'json');
    assert.equal(result.model, MODEL);
    assert.equal(result.attempts, 1);
    assert.equal(result.requestId, 'mine');
    assert.equal(result.headers['x-request-id'], 'req-1');
    assert.deepEqual(result.record.usage, { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 });
    // Llama 3.1 8B Turbo: $0.18 per 1M tokens in and out.
    assert.ok(Math.abs((result.record.costUsd ?? 0) - (12 * 0.18) / 1e6) < 1e-12);
    assert.deepEqual(h.names().filter((n) => n !== 'pacing_wait'), ['attempt', 'outcome']);
    await h.pipeline.close();
  });

  test('a 503 is retried with backoff, then the request falls back to the next model of the family', async () => {
    const h = harness((request) =>
      (request.body as { model: string }).model === MODEL
        ? // Together's rate headers ride on every answer; on a 503 their reset is not a wait.
          { kind: 'error', status: 503, body: errorBody('The server is overloaded', 'server_error'), headers: { 'x-ratelimit-reset': '5' } }
        : { kind: 'json', body: chatJson(FALLBACK) },
    );
    const result = (await h.pipeline.send({ endpoint: 'chat', body: chatBody(), requestId: 'req-abc' })) as JsonResult;
    assert.equal(result.model, FALLBACK);
    assert.equal(result.requestedModel, MODEL);
    assert.equal(result.attempts, 4);
    const perRequest = h.events.filter((e) => e.type !== 'pacing_wait' && e.type !== 'breaker');
    assert.deepEqual(new Set(perRequest.map((e) => ('requestId' in e ? e.requestId : undefined))), new Set(['req-abc']), 'events carry the request id');
    const retries = h.events.filter((e) => e.type === 'retry');
    assert.equal(retries.length, 2);
    assert.ok(retries.every((e) => e.type === 'retry' && e.reason === 'overloaded' && !e.serverAsked && e.delayMs <= 4));
    const fallback = h.events.find((e) => e.type === 'fallback');
    assert.deepEqual(fallback && { from: fallback.from, to: fallback.to, why: fallback.why }, { from: MODEL, to: FALLBACK, why: 'overloaded' });
    await h.pipeline.close();
  });

  test('fallbacks that cannot take the request are skipped; with none left, the primary\'s own error surfaces', async () => {
    const h = harness(
      (request) =>
        (request.body as { model: string }).model === MODEL ? { kind: 'error', status: 503, body: errorBody('overloaded') } : { kind: 'json', body: chatJson(FALLBACK) },
      { retry: { maxAttempts: 1 } },
    );
    const skipped = (await h.pipeline.send({ endpoint: 'chat', body: chatBody(), overrides: { fallbacks: ['acme/not-a-model', FALLBACK] } })) as JsonResult;
    assert.equal(skipped.model, FALLBACK);
    const error = await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody(), overrides: { fallbacks: ['acme/not-a-model'] } }));
    assert.equal(error.status, 503, 'the failure that was sent, not the unusable fallback');
    await h.pipeline.close();
  });

  test("a 429's retry-after-ms is waited exactly; one over the cap is an error naming it", async () => {
    let n = 0;
    const h = harness(() =>
      ++n === 1 ? { kind: 'error', status: 429, body: errorBody('rate limited', 'rate_limit'), headers: { 'retry-after-ms': '40' } } : { kind: 'json', body: chatJson(MODEL) },
    );
    await h.pipeline.send({ endpoint: 'chat', body: chatBody() });
    const retry = h.events.find((e) => e.type === 'retry');
    assert.ok(retry?.type === 'retry' && retry.delayMs === 40 && retry.serverAsked && retry.reason === 'rate_limit');
    await h.pipeline.close();

    const capped = harness(() => ({ kind: 'error', status: 429, body: errorBody('rate limited'), headers: { 'retry-after': '90' } }), {
      retry: { maxRetryAfterMs: 5_000 },
    });
    const error = await rejection(capped.pipeline.send({ endpoint: 'chat', body: chatBody() }));
    assert.match(error.message, /90 s.*5 s cap/);
    assert.equal(capped.transport.calls.length, 1);
    await capped.pipeline.close();
  });

  test('401 and 400 are never retried nor sent elsewhere; the 401 says where the key came from', async () => {
    const h = harness(() => ({ kind: 'error', status: 401, body: errorBody('Invalid API key', 'invalid_request_error', 'invalid_api_key') }), {
      apiKey: undefined,
      env: { TOGETHER_API_KEY: KEY },
    });
    const error = await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody() }));
    assert.equal(error.category, 'auth');
    assert.match(error.cause, /TOGETHER_API_KEY environment variable/);
    assert.ok(!JSON.stringify(error.toJSON()).includes(KEY), 'the key never appears in the error');
    assert.equal(h.transport.calls.length, 1);
    await h.pipeline.close();

    const invalid = harness(() => ({ kind: 'error', status: 400, body: errorBody('temperature is invalid', 'invalid_request_error') }));
    assert.equal((await rejection(invalid.pipeline.send({ endpoint: 'chat', body: chatBody() }))).category, 'validation');
    assert.equal(invalid.transport.calls.length, 1, 'a 400 is sent once, to one model');
    await invalid.pipeline.close();
  });

  test('a 402 stops the key: one billing error, then nothing is sent until resetKey', async () => {
    let n = 0;
    const h = harness(() =>
      ++n === 2 ? { kind: 'error', status: 402, body: errorBody('Credit limit exceeded', 'credit_limit', 'credit_limit') } : { kind: 'json', body: chatJson(MODEL) },
    );
    await h.pipeline.send({ endpoint: 'chat', body: chatBody() });
    const first = await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody() }));
    assert.equal(first.category, 'billing');
    assert.match(first.fix, /settings\/billing/);
    assert.equal(h.transport.calls.length, 2, 'a 402 is not retried');
    for (let i = 0; i < 3; i++) assert.equal(await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody() })), first);
    assert.equal(h.transport.calls.length, 2, 'nothing more sent with the stopped key');
    assert.equal(h.pipeline.state().stoppedKeys?.length, 1);
    assert.equal(h.pipeline.resetKey(), true);
    await h.pipeline.send({ endpoint: 'chat', body: chatBody() });
    assert.equal(h.transport.calls.length, 3);
    await h.pipeline.close();
  });

  test('capacity 503s do not open the breaker (the throttle sheds them); the primary keeps its share', async () => {
    const h = harness(
      (request) =>
        (request.body as { model: string }).model === MODEL
          ? { kind: 'error', status: 503, body: errorBody('overloaded') }
          : { kind: 'json', body: chatJson((request.body as { model: string }).model) },
      { retry: { maxAttempts: 1 }, breaker: { threshold: 2, coolDownMs: 60_000 }, throttle: false },
    );
    for (let i = 0; i < 4; i++) assert.equal(((await h.pipeline.send({ endpoint: 'chat', body: chatBody() })) as JsonResult).model, FALLBACK);
    const toPrimary = h.transport.calls.filter((c) => (c.body as { model: string }).model === MODEL).length;
    assert.equal(toPrimary, 4, 'every request tried the primary: no circuit opened on 503s');
    assert.ok(!h.events.some((e) => e.type === 'breaker'));
    await h.pipeline.close();
  });

  test('the breaker opens on repeated 500s; while open, traffic skips the model; a probe closes it', async () => {
    let primaryDown = true;
    const h = harness(
      (request) =>
        (request.body as { model: string }).model === MODEL && primaryDown
          ? { kind: 'error', status: 500, body: errorBody('internal error') }
          : { kind: 'json', body: chatJson((request.body as { model: string }).model) },
      { retry: { maxAttempts: 1 }, breaker: { threshold: 2, coolDownMs: 60 } },
    );
    for (let i = 0; i < 4; i++) assert.equal(((await h.pipeline.send({ endpoint: 'chat', body: chatBody() })) as JsonResult).model, FALLBACK);
    const toPrimary = h.transport.calls.filter((c) => (c.body as { model: string }).model === MODEL).length;
    assert.equal(toPrimary, 2, 'after two failures the open circuit keeps traffic off the primary');
    assert.ok(h.events.some((e) => e.type === 'breaker' && e.model === MODEL && e.to === 'open'));
    assert.ok(h.events.some((e) => e.type === 'fallback' && e.why === 'breaker_open'));
    primaryDown = false;
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(((await h.pipeline.send({ endpoint: 'chat', body: chatBody() })) as JsonResult).model, MODEL);
    assert.ok(h.events.some((e) => e.type === 'breaker' && e.model === MODEL && e.to === 'closed'));
    assert.deepEqual(h.pipeline.state().breakers.find((b) => b.model === MODEL)?.state, 'closed');
    await h.pipeline.close();
  });
});

describe('pipeline: streams', () => {
  const words = ['Hel', 'lo', ' there', '.'];

  test('a cut before the first content chunk is retried transparently', async () => {
    let n = 0;
    const h = harness(() => (++n === 1 ? { kind: 'sse', chunks: chatChunks(MODEL, words), cutAfter: 1 } : { kind: 'sse', chunks: chatChunks(MODEL, words) }));
    const result = (await h.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: true }) })) as StreamResult;
    const read = await drain(result.chunks);
    assert.equal(read.error, undefined);
    assert.equal(read.chunks.length, 5, 'each chunk once: the role chunk of the cut attempt is not repeated');
    assert.equal(h.transport.calls.length, 2);
    assert.equal(result.attempts, 2);
    assert.equal((await result.done).usage?.completion_tokens, 4);
    const outcome = h.events.find((e) => e.type === 'outcome');
    assert.ok(outcome?.type === 'outcome' && outcome.ok && outcome.attempts === 2, 'the outcome is reported when the stream ends');
    await h.pipeline.close();
  });

  test('a cut after the first content chunk is a typed error from the iterator, never a clean end', async () => {
    const h = harness(() => ({ kind: 'sse', chunks: chatChunks(MODEL, words), cutAfter: 3 }));
    const result = (await h.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: true }) })) as StreamResult;
    const read = await drain(result.chunks);
    assert.equal(read.chunks.length, 3);
    assert.ok(read.error instanceof TogetherError);
    assert.equal(read.error.category, 'network');
    assert.equal(read.error.code, 'stream_cut');
    assert.equal(read.error.retryable, false);
    await assert.rejects(result.done, (error) => error === read.error);
    assert.equal(h.transport.calls.length, 1);
    const outcome = h.events.find((e) => e.type === 'outcome');
    assert.ok(outcome?.type === 'outcome' && !outcome.ok);
    await h.pipeline.close();
  });

  test('a silent upstream hits the idle timeout, before the first chunk (retried) and after it (thrown)', async () => {
    const before = harness(() => ({ kind: 'sse', chunks: chatChunks(MODEL, words), stallAfter: 1 }), {
      idleTimeoutMs: 30,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
    });
    const error = await rejection(before.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: true }), overrides: { fallbacks: [] } }));
    assert.equal(error.category, 'timeout');
    assert.match(error.message, /idle timeout/);
    assert.equal(before.transport.calls.length, 2);
    await before.pipeline.close();

    const after = harness(() => ({ kind: 'sse', chunks: chatChunks(MODEL, words), stallAfter: 2 }), { idleTimeoutMs: 30 });
    const result = (await after.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: true }) })) as StreamResult;
    const read = await drain(result.chunks);
    assert.equal(read.chunks.length, 2);
    assert.ok(read.error instanceof TogetherError && read.error.category === 'timeout');
    await after.pipeline.close();
  });

  test('breaking out of the loop cancels the stream and settles it', async () => {
    const h = harness(() => ({ kind: 'sse', chunks: chatChunks(MODEL, words), stallAfter: 3 }));
    const timers = liveTimers();
    const result = (await h.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: true }) })) as StreamResult;
    for await (const chunk of result.chunks) {
      assert.ok(chunk);
      break;
    }
    await result.done;
    await settle();
    assert.ok(liveTimers() <= timers, 'no timer left running');
    await h.pipeline.close();
  });
});

describe('pipeline: an AbortSignal cancels everything', () => {
  async function abortedAfter(ms: number, run: (signal: AbortSignal) => Promise<unknown>): Promise<{ error: TogetherError; tookMs: number }> {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), ms);
    const error = await rejection(run(controller.signal));
    return { error, tookMs: performance.now() - started };
  }

  test('a pacing wait, a backoff sleep, an in-flight request and a stream read', async () => {
    const timers = liveTimers();
    // Pacing: one request per second, the second waits for budget.
    const paced = harness(() => ({ kind: 'json', body: chatJson(MODEL) }), { pacing: { requestsPerSecond: 1 } });
    await paced.pipeline.send({ endpoint: 'chat', body: chatBody() });
    const waiting = await abortedAfter(30, (signal) => paced.pipeline.send({ endpoint: 'chat', body: chatBody(), signal }));
    assert.ok(waiting.tookMs < 500, `pacing wait cancelled in ${waiting.tookMs} ms`);
    assert.equal(waiting.error.category, 'network');
    assert.equal(waiting.error.code, 'AbortError');
    assert.equal(waiting.error.retryable, false);
    assert.equal(paced.transport.calls.length, 1);
    await paced.pipeline.close();

    // Backoff: a long jittered delay after a 503.
    const backoff = harness(() => ({ kind: 'error', status: 503, body: errorBody('overloaded') }), { retry: { baseDelayMs: 10_000, maxDelayMs: 10_000 } });
    const sleeping = await abortedAfter(60, (signal) => backoff.pipeline.send({ endpoint: 'chat', body: chatBody(), signal, overrides: { fallbacks: [] } }));
    assert.ok(sleeping.tookMs < 1_000);
    await backoff.pipeline.close();

    // In flight: upstream never answers.
    const hanging = harness(() => ({ kind: 'hang' }));
    const inFlight = await abortedAfter(30, (signal) => hanging.pipeline.send({ endpoint: 'chat', body: chatBody(), signal }));
    assert.ok(inFlight.tookMs < 500);
    assert.equal(hanging.transport.calls.length, 1, 'an abort is not retried');
    await hanging.pipeline.close();

    // A stream read: the iterator throws the abort as a TogetherError.
    const streaming = harness(() => ({ kind: 'sse', chunks: chatChunks(MODEL, ['a', 'b', 'c']), stallAfter: 2 }));
    const controller = new AbortController();
    const result = (await streaming.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: true }), signal: controller.signal })) as StreamResult;
    setTimeout(() => controller.abort(), 20);
    const read = await drain(result.chunks);
    assert.ok(read.error instanceof TogetherError);
    await streaming.pipeline.close();

    await settle();
    assert.ok(liveTimers() <= timers, `timers left running: ${liveTimers()} > ${timers}`);
  });

  test('a deadline ends the request with a timeout error', async () => {
    const h = harness(() => ({ kind: 'hang' }), { deadlineMs: 40 });
    const error = await rejection(h.pipeline.send({ endpoint: 'chat', body: chatBody() }));
    assert.equal(error.category, 'timeout');
    assert.match(error.message, /deadline/);
    await h.pipeline.close();
  });
});
