// The tokenizer warmer (moved out of createPipeline): each family loads once, on a later turn; close() cancels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenizerWarmer } from '../../src/tokens/warmer.js';
import type { TokenizerFamily } from '../../src/tokens/index.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a family loads once, after the current turn; a model without a tokenizer loads nothing', async () => {
  const loads: TokenizerFamily[] = [];
  const warmer = createTokenizerWarmer(async (family) => {
    loads.push(family);
    return { family, available: true } as never;
  });
  warmer.warm({ id: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' });
  warmer.warm({ id: 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo' });
  warmer.warm({ id: 'some/model', tokenizer: null });
  assert.deepEqual(loads, [], 'not on this turn');
  await settle();
  assert.equal(loads.length, 1);
});

test('close() cancels warm-ups not started, and later ones do nothing; enabled: false loads nothing', async () => {
  const loads: TokenizerFamily[] = [];
  const load = async (family: TokenizerFamily) => {
    loads.push(family);
    return { family, available: true } as never;
  };
  const warmer = createTokenizerWarmer(load);
  warmer.warm({ id: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' });
  warmer.close();
  warmer.warm({ id: 'Qwen/Qwen2.5-7B-Instruct-Turbo' });
  createTokenizerWarmer(load, { enabled: false }).warm({ id: 'Qwen/Qwen2.5-7B-Instruct-Turbo' });
  await settle();
  assert.deepEqual(loads, []);
});
