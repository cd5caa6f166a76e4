import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PairKeys } from '../../src/policy/pair-key.js';

test('a pair gets its joined key once, and the same string back after', () => {
  let joins = 0;
  const keys = new PairKeys((a, b) => {
    joins += 1;
    return `${a}|${b}`;
  });
  const model = ['meta-llama/', 'Llama-3.3-70B'].join(''); // a fresh string each request, as a parsed body gives
  assert.equal(keys.get('k1', model), 'k1|meta-llama/Llama-3.3-70B');
  assert.equal(keys.get('k1', 'meta-llama/Llama-3.3-70B'), 'k1|meta-llama/Llama-3.3-70B');
  assert.equal(keys.get('k2', model), 'k2|meta-llama/Llama-3.3-70B');
  assert.equal(joins, 2);
});

test('bounded: past the limit the table starts over, and every answer stays right', () => {
  const keys = new PairKeys((a, b) => `${a}|${b}`, 3);
  for (let i = 0; i < 10; i++) assert.equal(keys.get('k', `m${i}`), `k|m${i}`);
  assert.equal(keys.get('k', 'm0'), 'k|m0');
  assert.ok((keys as unknown as { size: number }).size <= 3);
});
