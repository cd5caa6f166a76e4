// The Batch API's pure parts: splitting a file over the per-batch limits, and merging output and error files
// back into input order with classified errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeBatchResults, parseBatchInput, planParts, statusForErrorCode, unansweredError } from '../../src/batch/index.js';
import { inputLines } from './helpers.js';

describe('planParts', () => {
  test('cuts at the line limit and at the byte limit, in input order', () => {
    const { requests } = parseBatchInput(inputLines(7));
    assert.deepEqual(
      planParts(requests, { maxLines: 3, maxBytes: 1e9 }).parts.map((p) => [p.first, p.count]),
      [
        [0, 3],
        [3, 3],
        [6, 1],
      ],
    );
    const lineBytes = planParts(requests.slice(0, 1), { maxLines: 10, maxBytes: 1e9 }).parts[0]!.bytes;
    const byBytes = planParts(requests, { maxLines: 100, maxBytes: lineBytes * 2 + 5 });
    assert.deepEqual(
      byBytes.parts.map((p) => p.count),
      [2, 2, 2, 1],
    );
    assert.ok(byBytes.parts.every((p) => p.bytes <= lineBytes * 2 + 5));
  });

  test('a request bigger than a whole batch file is an issue', () => {
    const { requests } = parseBatchInput(inputLines(2));
    const { parts, issues } = planParts(requests, { maxLines: 10, maxBytes: 50 });
    assert.deepEqual(parts, []);
    assert.equal(issues.length, 2);
    assert.match(issues[0]!.message, /at most 50/);
  });
});

describe('mergeBatchResults', () => {
  const input = ['a', 'b', 'c', 'd', 'e'].map((id) => JSON.stringify({ custom_id: id, body: { model: 'm/x', messages: [] } })).join('\n');

  test('puts every request back in input order: responses, classified errors, and what was never run', () => {
    const output = [
      JSON.stringify({ custom_id: 'c', response: { status_code: 200, body: { id: 'r-c' } } }),
      JSON.stringify({ custom_id: 'a', response: { status_code: 200, body: { id: 'r-a' } } }),
      JSON.stringify({ custom_id: 'd', response: { status_code: 429, body: { error: { message: 'slow down', code: 'rate_limit_exceeded' } } } }),
      'torn {',
    ].join('\n');
    const errors = JSON.stringify({ custom_id: 'b', error: { message: 'Unable to access model m/x.', code: 'invalid_model' } });
    const merged = mergeBatchResults({ job: { id: 'job-1', status: 'EXPIRED' }, input, output, errors });
    assert.deepEqual([merged.answered, merged.failed, merged.unanswered], [2, 2, 1]);
    const lines = merged.lines.map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.custom_id),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.deepEqual(lines[0], { custom_id: 'a', response: { id: 'r-a' } });
    assert.equal(lines[1].error.category, 'not_found');
    assert.equal(lines[1].error.status, 404);
    assert.equal(lines[3].error.category, 'rate_limit');
    assert.equal(lines[4].error.code, 'batch_expired');
  });

  test('error codes map to the statuses the classifier knows', () => {
    assert.equal(statusForErrorCode('invalid_model'), 404);
    assert.equal(statusForErrorCode('timeout'), 504);
    assert.equal(statusForErrorCode('something_new'), 400);
    assert.equal(unansweredError({ id: 'j', status: 'FAILED', error: 'bad file' }).category, 'validation');
    assert.equal(unansweredError({ id: 'j', status: 'CANCELLED' }).code, 'batch_cancelled');
  });
});
