// The burst: 300 concurrent chat requests on a key limited to 20 requests/s, through a pipeline that is NOT told the
// limit (it learns it from the x-ratelimit-* headers). All succeed, none surfaces a 429, upstream 429s stay under 2%
// of attempts, and the wall time stays within 1.15x the ideal 300 / 20 = 15 s. (~16 s: the suite's one long test.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createPipeline } from '../../src/pipeline/index.js';
import type { Pipeline } from '../../src/pipeline/index.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const BURST_KEY = 'tk-burst-20rps';
const WARM_KEY = 'tk-warm-up';
const REQUESTS = 300;
const LIMIT = 20;

let emu: RunningEmulator;
let pipeline: Pipeline;

before(async () => {
  emu = await startEmulator({
    port: 0,
    seed: 3,
    keys: [
      { key: BURST_KEY, requestsPerSecond: LIMIT, tokensPerMinute: 10_000_000, creditsUsd: 1000 },
      { key: WARM_KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 1000 },
    ],
  });
  // The emulator counts prompt tokens with the model's real tokenizer: load it before the clock starts.
  const warm = createPipeline({ apiKey: WARM_KEY, baseUrl: emu.baseUrl, env: {} });
  await warm.send({ endpoint: 'chat', body: { model: MODEL, messages: [{ role: 'user', content: 'warm up' }], max_tokens: 4 } });
  await warm.close();
  pipeline = createPipeline({ apiKey: BURST_KEY, baseUrl: emu.baseUrl, env: {} });
  emu.resetStats();
});

after(async () => {
  await pipeline.close();
  await emu.close();
});

test(`${REQUESTS} concurrent requests at ${LIMIT}/s: all succeed, <= 2% upstream 429s, wall <= 1.15 x ideal`, async () => {
  const surfaced: string[] = [];
  pipeline.events.on('outcome', (event) => {
    if (!event.ok) surfaced.push(event.error?.category ?? 'unknown');
  });
  const started = performance.now();
  const settled = await Promise.allSettled(
    Array.from({ length: REQUESTS }, (_, i) =>
      pipeline.send({ endpoint: 'chat', body: { model: MODEL, messages: [{ role: 'user', content: `Request ${i}: say hi.` }], max_tokens: 8 } }),
    ),
  );
  const wallMs = performance.now() - started;
  const failed = settled.filter((s) => s.status === 'rejected');
  assert.equal(failed.length, 0, `failures: ${failed.slice(0, 3).map((f) => String((f as PromiseRejectedResult).reason)).join('; ')}`);
  assert.deepEqual(surfaced, []);
  const stats = emu.stats();
  const attempts = stats.byPath['/v1/chat/completions'] ?? 0;
  const upstream429 = stats.byStatus['429'] ?? 0;
  assert.equal(stats.inferenceCalls, REQUESTS);
  assert.ok(upstream429 <= 0.02 * attempts, `${upstream429} upstream 429s of ${attempts} attempts`);
  const idealMs = (REQUESTS / LIMIT) * 1000;
  assert.ok(wallMs <= 1.15 * idealMs, `wall ${Math.round(wallMs)} ms > 1.15 x ${idealMs} ms`);
  const learned = pipeline.state().pacing[0];
  assert.ok(learned?.requestsPerSecond !== undefined && learned.requestsPerSecond <= LIMIT, 'the limit was learned from headers');
  console.log(`burst: ${REQUESTS} ok in ${Math.round(wallMs)} ms; upstream 429s ${upstream429}/${attempts}; paced at ${learned.requestsPerSecond}/s`);
});
