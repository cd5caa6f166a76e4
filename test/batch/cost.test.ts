// Prices for cost bounds and estimates: the live list's pricing wins over the snapshot, batch prices apply the
// snapshot's discount, non-batchable models never go to a batch, and an unknown price is reported, not $0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexSnapshot, loadSnapshot, mergeModel } from '../../src/catalog/index.js';
import {
  catalogPrices,
  estimateJobCost,
  goesToBatch,
  MemoryStore,
  parseBatchInput,
  requestCostBound,
  runJob,
  snapshotCostBound,
  snapshotPrices,
  tokenBounds,
} from '../../src/batch/index.js';
import type { PipelineRequest, PipelineResult } from '../../src/pipeline/contract.js';

const ELIGIBLE = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'; // 0.18/0.18, 50% in a batch
const NO_DISCOUNT = 'openai/gpt-oss-20b'; // batchable at standard rates
const NOT_BATCHABLE = 'deepseek-ai/DeepSeek-V3.1';
const UNKNOWN = 'acme/unpriced-model';

function requests(models: string[]): ReturnType<typeof parseBatchInput>['requests'] {
  const text = models.map((model, i) => JSON.stringify({ custom_id: `r${i}`, body: { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 } })).join('\n');
  return parseBatchInput(text).requests;
}

test('the live list pricing wins over the snapshot, and the batch price is the live price less the discount', () => {
  const index = indexSnapshot(loadSnapshot());
  const live = mergeModel(ELIGIBLE, { id: ELIGIBLE, object: 'model', type: 'chat', pricing: { input: 0.2, output: 0.4, hourly: 0, base: 0, finetune: 0 } } as never, index);
  assert.deepEqual(live.pricing, { input: 0.2, output: 0.4 });
  assert.equal(live.batchDiscount, 0.5);
  assert.deepEqual(live.batchPricing, { input: 0.1, output: 0.2 });
  const [request] = requests([ELIGIBLE]);
  const fromLive = requestCostBound(request!, catalogPrices([live]));
  const fromSnapshot = requestCostBound(request!, snapshotPrices());
  const { prompt, completion } = tokenBounds(request!);
  assert.ok(Math.abs((fromLive as number) - (prompt * 0.2 + completion * 0.4) / 1e6) < 1e-12, 'the live price is used');
  assert.ok(Math.abs((fromSnapshot as number) - (prompt * 0.18 + completion * 0.18) / 1e6) < 1e-12);
  assert.ok(fromLive !== undefined);
  assert.equal(requestCostBound(request!, catalogPrices([live]), true), fromLive / 2);
});

test('a model that cannot be batched has no batch price and never goes to a batch; one without a discount stays live', () => {
  const index = indexSnapshot(loadSnapshot());
  assert.equal(mergeModel(NOT_BATCHABLE, undefined, index).batchPricing, undefined);
  assert.equal(mergeModel('deepseek-ai/DeepSeek-R1', undefined, index).batch, false, 'DeepSeek-R1 cannot be batched (facts §11)');
  const prices = snapshotPrices();
  const [eligible, noDiscount, notBatchable] = requests([ELIGIBLE, NO_DISCOUNT, NOT_BATCHABLE]);
  assert.equal(goesToBatch(eligible!, prices), true);
  assert.equal(goesToBatch(noDiscount!, prices), false);
  assert.equal(goesToBatch(notBatchable!, prices), false);
});

test('an unknown price is reported, never counted as free', () => {
  const all = requests([ELIGIBLE, ELIGIBLE, NOT_BATCHABLE, UNKNOWN, UNKNOWN]);
  const estimate = estimateJobCost(all, snapshotPrices());
  assert.deepEqual(estimate.unknownPrice, { requests: 2, models: [UNKNOWN] });
  assert.equal(estimate.batched, 2);
  const eligible = requestCostBound(all[0]!, snapshotPrices()) as number;
  assert.ok(Math.abs(estimate.liveUsd - estimate.autoUsd - eligible) < 1e-12, 'auto saves half of the two eligible lines');
  assert.equal(requestCostBound(all[3]!, snapshotPrices()), undefined);
  assert.equal(snapshotCostBound(all[3]!), 0);
});

test('a run counts the requests whose answer had no price instead of adding $0', async () => {
  const all = requests([ELIGIBLE, UNKNOWN, UNKNOWN]);
  const send = async (request: PipelineRequest): Promise<PipelineResult> => {
    const model = (request.body as { model: string }).model;
    return {
      kind: 'json',
      status: 200,
      model,
      requestedModel: model,
      headers: {},
      attempts: 1,
      body: { object: 'chat.completion', choices: [] },
      record: model === UNKNOWN ? { model } : { model, costUsd: 0.001 },
    } as PipelineResult;
  };
  const store = new MemoryStore();
  await store.open({ fingerprint: 'unpriced', total: all.length });
  const outcome = await runJob({ requests: all, store, send });
  assert.equal(outcome.unpricedThisRun, 2);
  assert.equal(outcome.spentUsd, 0.001);
});
