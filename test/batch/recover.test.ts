// What `tether batch recover` keeps and what it sends again, from a batch's files (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchLineResults, parseBatchInput, planRecovery } from '../../src/batch/index.js';

const input = Array.from({ length: 6 }, (_, i) =>
  JSON.stringify({ custom_id: `r${i}`, body: { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: `q${i}` }] } }),
).join('\n');
const output = [0, 1].map((i) => JSON.stringify({ custom_id: `r${i}`, response: { status_code: 200, body: { choices: [] } } })).join('\n');
const errors = [
  JSON.stringify({ custom_id: 'r2', error: { message: 'slow down', code: 'rate_limit_exceeded' } }),
  JSON.stringify({ custom_id: 'r3', error: { message: 'bad', code: 'invalid_request_error' } }),
  JSON.stringify({ custom_id: 'r4', error: { message: 'no credit', code: 'credit_limit' } }),
].join('\n');

test('answers and permanent failures are kept; never-run and account-stopped requests are resent; retryable ones only when asked', () => {
  const requests = parseBatchInput(input).requests;
  const results = batchLineResults({ input, output, errors });
  const plain = planRecovery(requests, results, false);
  assert.deepEqual(plain.counts, { answered: 2, failedKept: 2, failedRetried: 0, missing: 2 });
  assert.deepEqual(plain.keep.map((r) => [r.index, r.failed]), [[0, false], [1, false], [2, true], [3, true]]);
  const retry = planRecovery(requests, results, true);
  assert.deepEqual(retry.counts, { answered: 2, failedKept: 1, failedRetried: 1, missing: 2 });
  assert.deepEqual(retry.keep.map((r) => r.index), [0, 1, 3]);
});
