// Preloading tokenizers, the one way: the warmer (each family once, on a later turn; close() cancels) and
// preloadFamilies (now, one after the other), both resolving families the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenizerWarmer, preloadFamilies } from '../../src/tokens/warmer.js';
import { preloadTokenizers, tokenizerFamilies } from '../../src/tokens/index.js';
import type { TokenizerFamily, TokenizerStatus } from '../../src/tokens/index.js';

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

test('tokenizerFamilies: each family once, in the order first named; hints, family names and no-tokenizer models', () => {
  const llama = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
  assert.deepEqual(
    tokenizerFamilies([
      llama,
      'no-such-org/unknown-model',
      { id: 'someone/fine-tune', tokenizer: 'Qwen/Qwen2.5-7B-Instruct-Turbo' },
      { id: 'Qwen/Qwen3-235B-A22B-Instruct-2507-tput', tokenizer: null },
      'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      'gemma3',
    ]),
    ['llama3_1', 'qwen2_5', 'gemma3'],
  );
  assert.deepEqual(tokenizerFamilies([]), []);
});

test('preloadFamilies loads each family now, one after the other, and gives each status in order', async () => {
  const events: string[] = [];
  const load = async (family: TokenizerFamily) => {
    events.push(`start ${family}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    events.push(`end ${family}`);
    return { family, available: family !== 'qwen3' } as never;
  };
  const loaded = await preloadFamilies(load, ['meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'Qwen/Qwen3-235B-A22B-Instruct-2507-tput', 'llama3_1']);
  assert.deepEqual(events, ['start llama3_1', 'end llama3_1', 'start qwen3', 'end qwen3']);
  assert.deepEqual(
    loaded.map((s: TokenizerStatus) => [s.family, s.available]),
    [
      ['llama3_1', true],
      ['qwen3', false],
    ],
  );
});

test('the module preloads through its own loader: preloadTokenizers of nothing loads nothing', async () => {
  assert.deepEqual(await preloadTokenizers([]), []);
  assert.deepEqual(await preloadTokenizers(['no-such-org/unknown-model']), []);
});
