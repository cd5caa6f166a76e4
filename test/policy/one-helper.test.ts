// Helpers that had two versions with different meanings now have one: a duration reads the same from every
// module ("2 min 30 s", not "150 s" from one and "2 min 30 s" from another), and "did you mean" ranks by one distance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration as policyFormat, sleep as policySleep } from '../../src/policy/index.js';
import { formatDuration as errorsFormat } from '../../src/errors/index.js';
import { editDistance as catalogDistance } from '../../src/catalog/index.js';
import { editDistance as finetuneDistance } from '../../src/finetune/index.js';
import { existsSync } from 'node:fs';

test('one formatDuration: 150,000 ms is "2 min 30 s" wherever it is printed', () => {
  assert.equal(policyFormat, errorsFormat);
  assert.equal(policyFormat(150_000), '2 min 30 s');
});

test('one editDistance (an adjacent swap costs 1 in both the catalog and fine-tune suggestions)', () => {
  assert.equal(finetuneDistance, catalogDistance);
  assert.equal(finetuneDistance('llaam', 'llama'), 1);
});

test('one sleep: finetune has no copy of its own', () => {
  assert.equal(typeof policySleep, 'function');
  assert.equal(existsSync('src/finetune/sleep.ts'), false);
});
