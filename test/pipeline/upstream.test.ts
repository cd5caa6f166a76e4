// The upstream seam: the pipeline is given one object (transport, paths, classification, model list). A recorded
// replay stands in for Together here, with its own paths and its own error classification, and the pipeline's
// layers (retry on its overload, the model list for the catalog) work the same over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOGETHER_INFERENCE_PATHS, togetherUpstream } from '../../src/api/index.js';
import type { SendRequest, Upstream } from '../../src/api/index.js';
import { classify } from '../../src/errors/index.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { chatJson, snapshotModels } from './fake-transport.js';
import { MODEL, chatBody } from './helpers.js';

/** Answers replayed in order; each request's path and body recorded. */
function replayUpstream(answers: { status: number; text: string }[]): Upstream & { sent: SendRequest[]; classified: number[] } {
  const sent: SendRequest[] = [];
  const classified: number[] = [];
  const transport = {
    baseUrl: 'http://replay.invalid/v1',
    async send(): Promise<never> {
      throw new Error('the replay answers through sendText only');
    },
    async sendText(request: SendRequest) {
      sent.push(request);
      const answer = answers.shift() ?? { status: 500, text: '{"error":{"message":"replay exhausted"}}' };
      return { status: answer.status, headers: { 'content-type': 'application/json' }, text: answer.text };
    },
    async close() {},
  };
  return {
    name: 'replay',
    transport,
    sent,
    classified,
    path: (endpoint) => `/replay/${endpoint}`,
    // The replay's own status for "overloaded" (599) is Together's 503.
    classify: (answer) => {
      classified.push(answer.status);
      return classify({ ...answer, status: answer.status === 599 ? 503 : answer.status });
    },
    listModels: async () => snapshotModels(),
    close: async () => {},
  };
}

test('a recorded replay as the upstream: its paths, its classification (599 → overloaded, retried), its model list', async () => {
  const upstream = replayUpstream([
    { status: 599, text: '{"error":{"message":"busy"}}' },
    { status: 200, text: JSON.stringify(chatJson(MODEL)) },
  ]);
  const pipeline = createPipeline({ upstream, env: {}, apiKey: 'sk-replay-0123456789', preloadTokenizers: false, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  const result = await pipeline.send({ endpoint: 'chat', body: chatBody() });
  await pipeline.close();
  assert.equal(result.kind, 'json');
  assert.equal(result.attempts, 2);
  assert.deepEqual(upstream.sent.map((r) => r.path), ['/replay/chat', '/replay/chat']);
  assert.deepEqual(upstream.classified, [599]);
});

test("Together's upstream: Together's paths, over a given transport it does not close", async () => {
  let closed = false;
  const upstream = togetherUpstream({
    transport: { baseUrl: 'http://127.0.0.1:9/v1', send: async () => Promise.reject(new Error('unused')), close: async () => void (closed = true) },
  });
  assert.equal(upstream.name, 'together');
  assert.equal(upstream.path('chat'), TOGETHER_INFERENCE_PATHS.chat);
  assert.equal(upstream.path('transcriptions'), '/audio/transcriptions');
  await upstream.close();
  assert.equal(closed, false);
});
