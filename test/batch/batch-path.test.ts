// Which requests the Batch API path takes: auto only models with a discount, batch every model the Batch API
// runs; never a model it cannot batch, never a non-chat endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from '../../src/api/index.js';
import { parseBatchInput, snapshotPrices } from '../../src/batch/index.js';
import { createBatchApiPath } from '../../src/batch/batch-path.js';

const chat = (model: string): string => JSON.stringify({ body: { model, messages: [{ role: 'user', content: 'hi' }] } });
const lines = [
  chat('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'), // 50% off
  chat('openai/gpt-oss-20b'), // batchable, no discount
  chat('deepseek-ai/DeepSeek-R1'), // cannot be batched (2026-12)
  chat('acme/unknown-model'),
  JSON.stringify({ body: { model: 'BAAI/bge-base-en-v1.5', input: 'embed me' } }),
].join('\n');

test('auto takes only discounted chat models; batch takes every batchable one; neither takes a non-batchable model', async () => {
  const requests = parseBatchInput(lines).requests;
  assert.equal(requests.length, 5);
  const transport = createTransport({ apiKey: 'unused', baseUrl: 'http://127.0.0.1:9/v1' });
  try {
    const common = { transport, prices: snapshotPrices(), sendLiveAt: Date.now() + 60_000, pollMs: 1000, statePath: '/nonexistent/state.json', fingerprint: 'f' };
    const auto = createBatchApiPath({ ...common, via: 'auto' });
    const batch = createBatchApiPath({ ...common, via: 'batch' });
    assert.deepEqual(requests.map((r) => auto.takes(r)), [true, false, false, false, false]);
    assert.deepEqual(requests.map((r) => batch.takes(r)), [true, true, false, false, false]);
  } finally {
    await transport.close();
  }
});
