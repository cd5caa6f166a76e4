import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDurationShort, formatProgress, formatUsd, progressBar } from '../../src/batch/index.js';

test('the progress line shows the bar, counts, rate, ETA and spend', () => {
  const line = formatProgress({ total: 2000, done: 700, failed: 3, spentUsd: 0.01234, inFlight: 8, finishedThisRun: 500, elapsedMs: 5000 }, 10);
  assert.equal(line, '████░░░░░░ 700/2000 35% · 100.0/s · ETA 13s · $0.0123 · 3 failed');
});

test('an idle start has no rate and an unknown ETA', () => {
  assert.match(formatProgress({ total: 10, done: 0, failed: 0, spentUsd: 0, inFlight: 0, finishedThisRun: 0, elapsedMs: 0 }), /0% · ETA \? · \$0\.00$/);
});

test('no rate is shown until this process has finished a request, however long it waited', () => {
  const line = formatProgress({ total: 40, done: 0, failed: 0, spentUsd: 0, inFlight: 8, finishedThisRun: 0, elapsedMs: 4000 });
  assert.doesNotMatch(line, /\/s/);
  assert.match(line, /ETA \?/);
});

test('a small spend is never shown as $0.0000', () => {
  assert.equal(formatUsd(0.00004), '$0.00004');
  assert.equal(formatUsd(0.000123), '$0.0001');
  assert.equal(formatUsd(0.0000123456), '$0.000012');
  assert.equal(formatUsd(0), '$0.00');
});

test('helpers', () => {
  assert.equal(progressBar(2, 4), '████');
  assert.equal(formatDurationShort(3_725_000), '1h02m');
  assert.equal(formatDurationShort(65_000), '1m05s');
  assert.equal(formatUsd(12.5), '$12.50');
});

test('with a batch path the progress line shows both paths', () => {
  const line = formatProgress({
    total: 100,
    done: 40,
    failed: 0,
    spentUsd: 0.01,
    inFlight: 3,
    finishedThisRun: 40,
    elapsedMs: 4000,
    batch: { waiting: 50, answered: 10, status: 'IN_PROGRESS' },
  });
  assert.match(line, / · live 3 in flight · batch 10 done, 50 waiting \(IN_PROGRESS\)$/);
});
