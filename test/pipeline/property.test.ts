// Property: whatever upstream does — any schedule of successes, error statuses, resets, hangs, cut or silent
// streams — and whichever requests the caller aborts, every request ends in exactly one result or one TogetherError
// (a stream's iterator included), exactly one `outcome` event is reported for it, nothing is rejected unhandled, and
// no timer outlives the pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TogetherError } from '../../src/errors/index.js';
import type { FakeAnswer } from './fake-transport.js';
import { chatChunks, chatJson, errorBody } from './fake-transport.js';
import { MODEL, chatBody, drain, harness, liveTimers, settle } from './helpers.js';

const words = ['a', 'b', 'c', 'd'];

const answerArb: fc.Arbitrary<FakeAnswer> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<FakeAnswer>({ kind: 'json', body: chatJson(MODEL) }) },
  { weight: 3, arbitrary: fc.constant<FakeAnswer>({ kind: 'sse', chunks: chatChunks(MODEL, words) }) },
  fc.constantFrom(500, 503, 400, 401).map<FakeAnswer>((status) => ({ kind: 'error', status, body: errorBody(`failed ${status}`) })),
  fc.constant<FakeAnswer>({ kind: 'error', status: 429, body: errorBody('rate limited'), headers: { 'retry-after-ms': '3' } }),
  fc.constant<FakeAnswer>({ kind: 'error', status: 402, body: errorBody('Credit limit exceeded', 'credit_limit') }),
  fc.constant<FakeAnswer>({ kind: 'reset' }),
  { weight: 1, arbitrary: fc.constant<FakeAnswer>({ kind: 'hang' }) },
  fc.integer({ min: 0, max: 4 }).map<FakeAnswer>((k) => ({ kind: 'sse', chunks: chatChunks(MODEL, words), cutAfter: k })),
  fc.integer({ min: 0, max: 3 }).map<FakeAnswer>((k) => ({ kind: 'sse', chunks: chatChunks(MODEL, words), stallAfter: k })),
);

const requestArb = fc.record({
  stream: fc.boolean(),
  /** Abort after this many ms, or never. */
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
  /** Stop reading a stream after this many chunks, or read it to the end. */
  breakAfter: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
});

type Ending = 'result' | 'error';

test('every request ends once, as a result or a TogetherError; no unhandled rejection; no timer left', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  const baseline = liveTimers();
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(answerArb, { minLength: 1, maxLength: 10 }), fc.array(requestArb, { minLength: 1, maxLength: 5 }), async (schedule, requests) => {
        const h = harness((_request, call) => schedule[(call - 1) % schedule.length] as FakeAnswer, {
          attemptTimeoutMs: 60,
          idleTimeoutMs: 25,
          retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 3 },
          breaker: { threshold: 3, coolDownMs: 20 },
        });
        const endings = await Promise.all(
          requests.map(async (request): Promise<Ending[]> => {
            const controller = new AbortController();
            const timer = request.abortAfterMs === undefined ? undefined : setTimeout(() => controller.abort(), request.abortAfterMs);
            const seen: Ending[] = [];
            try {
              const result = await h.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: request.stream }), signal: controller.signal });
              if (result.kind === 'stream') {
                let n = 0;
                const read = await drain(
                  (async function* () {
                    for await (const chunk of result.chunks) {
                      if (request.breakAfter !== undefined && n++ >= request.breakAfter) return;
                      yield chunk;
                    }
                  })(),
                );
                assert.ok(read.error === undefined || read.error instanceof TogetherError, `a stream threw ${String(read.error)}`);
                seen.push(read.error === undefined ? 'result' : 'error');
                await result.done.catch(() => undefined);
              } else {
                seen.push('result');
              }
            } catch (error) {
              assert.ok(error instanceof TogetherError, `send rejected with ${String(error)}`);
              seen.push('error');
            } finally {
              clearTimeout(timer);
            }
            return seen;
          }),
        );
        for (const seen of endings) assert.equal(seen.length, 1);
        await settle();
        const outcomes = h.events.filter((e) => e.type === 'outcome').length;
        assert.equal(outcomes, requests.length, 'one outcome event per request');
        await h.pipeline.close();
      }),
      { numRuns: 60 },
    );
    await settle();
    assert.deepEqual(unhandled, []);
    assert.ok(liveTimers() <= baseline, `timers left running: ${liveTimers()} > ${baseline}`);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
