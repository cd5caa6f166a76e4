import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveFamily } from '../../src/tokens/index.js';
import { configuredFamilies } from '../../src/gateway/tokenizer-preload.js';

describe('configuredFamilies', () => {
  test('the families of the alias targets and route models, each once; unknown models add none', () => {
    const llama = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
    const qwen = 'Qwen/Qwen3-235B-A22B-Instruct-2507-tput';
    const families = configuredFamilies({
      aliases: new Map([
        ['fast', llama],
        ['other', 'no-such-org/unknown-model'],
      ]),
      routes: new Map([[llama, [qwen, llama]]]),
    });
    const expected = [...new Set([resolveFamily(llama), resolveFamily(qwen)].filter((f) => f !== undefined))];
    assert.ok(expected.length >= 1, 'the test models have known families');
    assert.deepEqual(families, expected);
  });

  test('a config naming no model preloads nothing', () => {
    assert.deepEqual(configuredFamilies({ aliases: new Map(), routes: new Map() }), []);
  });
});
