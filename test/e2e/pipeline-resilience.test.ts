// The pipeline against the emulator, one failure of DESIGN.md's table at a time: overload and the breaker, credits
// running out, wrong model ids, prompts too long for the context under each policy, and broken streams. Each test
// counts the upstream inference calls: 0 wherever the pipeline should have stopped before sending.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { TogetherError } from '../../src/errors/index.js';
import { createPipeline } from '../../src/pipeline/index.js';
import type { JsonResult, Pipeline, PipelineOptions, StreamResult } from '../../src/pipeline/index.js';
import type { PolicyEvent } from '../../src/policy/index.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
/** First model of MODEL's default fallback route (same family). */
const FALLBACK = 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo';
/** 8,192-token context; its larger-context family route starts with MODEL. */
const SMALL = 'meta-llama/Meta-Llama-3-8B-Instruct-Lite';
const DEPRECATED = 'meta-llama/Llama-3-8b-chat-hf';
const KEY = 'tk-resilience';
const CREDITS_KEY = 'tk-credits';

let emu: RunningEmulator;
const open: Pipeline[] = [];

function pipelineFor(options: PipelineOptions = {}): { pipeline: Pipeline; events: PolicyEvent[] } {
  const pipeline = createPipeline({
    apiKey: KEY,
    baseUrl: emu.baseUrl,
    env: {},
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  open.push(pipeline);
  const events: PolicyEvent[] = [];
  pipeline.events.onAny((event) => {
    events.push(event);
  });
  return { pipeline, events };
}

function chat(model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: 'Tell me about circuit breakers.' }], max_tokens: 12, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<TogetherError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TogetherError, `not a TogetherError: ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

async function drain(chunks: AsyncIterable<unknown>): Promise<{ count: number; error?: unknown }> {
  let count = 0;
  try {
    for await (const chunk of chunks) if (chunk) count++;
    return { count };
  } catch (error) {
    return { count, error };
  }
}

before(async () => {
  emu = await startEmulator({
    port: 0,
    seed: 5,
    keys: [
      { key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 1000 },
      { key: CREDITS_KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 1000 },
    ],
  });
});

after(async () => {
  await Promise.all(open.map((p) => p.close()));
  await emu.close();
});

describe('overload: fallback, breaker, recovery', () => {
  test('500 on the primary every time: the fallback answers, the breaker opens, a probe brings traffic back', async () => {
    const { pipeline, events } = pipelineFor({ breaker: { threshold: 3, coolDownMs: 300 } });
    emu.setFaults([{ kind: 'status', status: 500, rate: 1, model: MODEL }]);
    emu.resetStats();
    for (let i = 0; i < 6; i++) {
      const result = (await pipeline.send({ endpoint: 'chat', body: chat(MODEL) })) as JsonResult;
      assert.equal(result.model, FALLBACK);
      assert.equal((result.body as { model: string }).model, FALLBACK);
    }
    assert.equal(emu.stats().byModel[MODEL], 3, 'three failed attempts open the circuit; later requests skip the primary');
    assert.ok(events.some((e) => e.type === 'breaker' && e.model === MODEL && e.from === 'closed' && e.to === 'open'));
    assert.ok(events.some((e) => e.type === 'fallback' && e.from === MODEL && e.to === FALLBACK && e.why === 'server'));
    assert.ok(events.some((e) => e.type === 'fallback' && e.why === 'breaker_open'));

    emu.setFaults([]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const probe = (await pipeline.send({ endpoint: 'chat', body: chat(MODEL) })) as JsonResult;
    assert.equal(probe.model, MODEL, 'the half-open probe succeeds');
    assert.ok(events.some((e) => e.type === 'breaker' && e.model === MODEL && e.from === 'half_open' && e.to === 'closed'));
    const next = (await pipeline.send({ endpoint: 'chat', body: chat(MODEL) })) as JsonResult;
    assert.equal(next.model, MODEL, 'traffic has returned to the primary');
  });
});

describe('credits: a 402 stops the key', () => {
  test('402 after N requests: no retry, one billing error with its fix, nothing more sent until reset', async () => {
    const { pipeline } = pipelineFor({ apiKey: CREDITS_KEY });
    emu.setFaults([{ kind: 'credits', afterRequests: 2, key: CREDITS_KEY }]);
    emu.resetStats();
    await pipeline.send({ endpoint: 'chat', body: chat(MODEL) });
    await pipeline.send({ endpoint: 'chat', body: chat(MODEL) });
    const billing = await failure(pipeline.send({ endpoint: 'chat', body: chat(MODEL) }));
    assert.equal(billing.category, 'billing');
    assert.equal(billing.status, 402);
    assert.match(billing.fix, /api\.together\.xyz\/settings\/billing/);
    const sent = emu.stats().requests;
    assert.equal(emu.stats().byStatus['402'], 1, 'the 402 is not retried');
    for (let i = 0; i < 3; i++) {
      const again = await failure(pipeline.send({ endpoint: 'chat', body: chat(MODEL, { stream: i === 1 }) }));
      assert.equal(again, billing, 'the same billing error, at once');
    }
    assert.equal(emu.stats().requests, sent, 'nothing more was sent with the key');

    emu.setFaults([]);
    emu.setCredits(CREDITS_KEY, 50);
    assert.equal(pipeline.resetKey(), true);
    const resumed = (await pipeline.send({ endpoint: 'chat', body: chat(MODEL) })) as JsonResult;
    assert.equal(resumed.kind, 'json');
  });
});

describe('model ids', () => {
  test('an unknown id is stopped with the closest ids: 0 inference calls', async () => {
    const { pipeline } = pipelineFor();
    emu.resetStats();
    const error = await failure(pipeline.send({ endpoint: 'chat', body: chat('meta-llama/Llama-3.1-8B-Instruct-Turbo') }));
    assert.equal(error.category, 'not_found');
    assert.match(error.message, /Did you mean "meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo"/);
    assert.equal(emu.stats().inferenceCalls, 0);
    assert.equal(emu.stats().byPath['/v1/chat/completions'] ?? 0, 0);
  });

  test('a deprecated id: an error naming the successor (0 calls), or migration when allowed (1 call)', async () => {
    const { pipeline } = pipelineFor();
    emu.resetStats();
    const error = await failure(pipeline.send({ endpoint: 'chat', body: chat(DEPRECATED) }));
    assert.match(error.message, new RegExp(`successor is "${MODEL.replace(/\./g, '\\.')}"`));
    assert.equal(emu.stats().inferenceCalls, 0);
    const migrated = (await pipeline.send({ endpoint: 'chat', body: chat(DEPRECATED), overrides: { allowSuccessor: true } })) as JsonResult;
    assert.equal(migrated.model, MODEL);
    assert.equal(migrated.requestedModel, DEPRECATED);
    assert.equal(emu.stats().inferenceCalls, 1);
  });
});

describe('context overflow under each policy', () => {
  // 9000 max_tokens cannot fit an 8,192-token context whatever the prompt.
  const body = chat(SMALL, { max_tokens: 9000 });

  test("'error': stopped before sending with the exact numbers", async () => {
    const { pipeline } = pipelineFor({ onContextOverflow: 'error' });
    emu.resetStats();
    const error = await failure(pipeline.send({ endpoint: 'chat', body }));
    assert.equal(error.category, 'context_length');
    assert.equal(error.details?.['limit'], 8192);
    assert.equal(error.details?.['maxTokens'], 9000);
    const prompt = Number(error.details?.['promptTokens']);
    assert.ok(prompt > 0 && prompt < 100, `exact prompt count ${prompt}`);
    assert.match(error.message, new RegExp(`Prompt \\(${prompt} tokens\\) \\+ max_tokens \\(9000\\) = ${prompt + 9000} exceeds the 8192-token context`));
    assert.match(error.fix, new RegExp(`max_tokens to at most ${8192 - prompt}`));
    assert.equal(emu.stats().inferenceCalls, 0);
  });

  test("'clamp': max_tokens lowered to exactly what fits, and Together accepts it", async () => {
    const { pipeline } = pipelineFor({ onContextOverflow: 'clamp' });
    emu.resetStats();
    const result = (await pipeline.send({ endpoint: 'chat', body })) as JsonResult;
    assert.equal(result.model, SMALL);
    assert.equal(emu.stats().inferenceCalls, 1);
    assert.equal(emu.stats().byStatus['400'] ?? 0, 0);
  });

  test("'fallback': routed to a larger-context model of the family", async () => {
    const { pipeline, events } = pipelineFor({ onContextOverflow: 'fallback' });
    emu.resetStats();
    const result = (await pipeline.send({ endpoint: 'chat', body })) as JsonResult;
    assert.equal(result.requestedModel, SMALL);
    assert.equal(result.model, MODEL);
    assert.ok(events.some((e) => e.type === 'fallback' && e.from === SMALL && e.to === MODEL && e.why === 'context_length'));
    assert.equal(emu.stats().inferenceCalls, 1);
    assert.equal(emu.stats().byModel[SMALL] ?? 0, 0, 'nothing was sent to the model that cannot hold it');
  });
});

describe('streams', () => {
  test('a cut before the first chunk is retried transparently', async () => {
    const { pipeline } = pipelineFor();
    emu.setFaults([{ kind: 'stream_cut', afterChunks: 0 }]);
    emu.resetStats();
    // The fault is lifted when the pipeline decides to retry, so only the first attempt is cut.
    const lift = pipeline.events.on('retry', () => emu.setFaults([]));
    const result = (await pipeline.send({ endpoint: 'chat', body: chat(MODEL, { stream: true }) })) as StreamResult;
    const read = await drain(result.chunks);
    lift();
    assert.equal(read.error, undefined);
    assert.ok(read.count > 1);
    assert.equal(result.attempts, 2);
    assert.equal(emu.stats().faults.stream_cut, 1);
    assert.ok(((await result.done).usage?.completion_tokens ?? 0) > 0);
  });

  test('a cut after the first chunk is a typed error from the iterator', async () => {
    const { pipeline } = pipelineFor();
    emu.setFaults([{ kind: 'stream_cut', afterChunks: 3 }]);
    emu.resetStats();
    const result = (await pipeline.send({ endpoint: 'chat', body: chat(MODEL, { stream: true }) })) as StreamResult;
    const read = await drain(result.chunks);
    emu.setFaults([]);
    assert.equal(read.count, 3);
    assert.ok(read.error instanceof TogetherError, 'never a clean end');
    assert.equal(read.error.category, 'network');
    assert.equal(read.error.retryable, false);
    assert.equal(emu.stats().byPath['/v1/chat/completions'], 1, 'not re-sent once chunks reached the caller');
  });

  test('a silent upstream hits the idle timeout', async () => {
    const { pipeline } = pipelineFor({ idleTimeoutMs: 150, retry: { maxAttempts: 1 } });
    emu.setFaults([{ kind: 'stall', afterChunks: 2 }]);
    const result = (await pipeline.send({ endpoint: 'chat', body: chat(MODEL, { stream: true }) })) as StreamResult;
    const started = performance.now();
    const read = await drain(result.chunks);
    assert.equal(read.count, 2);
    assert.ok(read.error instanceof TogetherError && read.error.category === 'timeout', String(read.error));
    assert.match(read.error.message, /idle timeout/);
    assert.ok(performance.now() - started < 2_000);

    emu.setFaults([{ kind: 'stall', afterChunks: 0 }]);
    const silent = await failure(pipeline.send({ endpoint: 'chat', body: chat(MODEL, { stream: true }), overrides: { fallbacks: [] } }));
    emu.setFaults([]);
    assert.equal(silent.category, 'timeout');
    assert.match(silent.message, /idle timeout/);
  });
});
