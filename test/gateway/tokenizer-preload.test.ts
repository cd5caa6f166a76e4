// The gateway preloads the tokenizers of the models its config names (through tokens' preloadTokenizers).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveFamily } from '../../src/tokens/index.js';
import { configuredFamilies, configuredModels } from '../../src/gateway/tokenizer-preload.js';
import { createGateway } from '../../src/gateway/index.js';
import { memoryLogger } from './helpers.js';

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

describe('configuredModels', () => {
  test('alias targets, then each routed model and its fallbacks, in the order named', () => {
    const models = configuredModels({
      aliases: new Map([['fast', 'a/one']]),
      routes: new Map([['b/two', ['c/three', 'a/one']]]),
    });
    assert.deepEqual(models, ['a/one', 'b/two', 'c/three', 'a/one']);
  });
});

describe('the gateway preloads before it listens', () => {
  test('the real pipeline: the configured families load, and the start-up line says which', async () => {
    const { logger, text } = memoryLogger();
    const gateway = await createGateway(
      {
        port: 0,
        upstream: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'tg-preload-test-key' },
        aliases: { fast: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' },
      },
      { logger, env: {} },
    );
    try {
      const line = text()
        .split('\n')
        .filter((l) => l.includes('tokenizers preloaded for the configured models'))
        .map((l) => JSON.parse(l) as { families: string[]; ms: number });
      assert.equal(line.length, 1, text());
      assert.match(line[0]!.families.join(','), /^llama3_1( \(unavailable\))?$/);
      assert.equal(typeof line[0]!.ms, 'number');
    } finally {
      await gateway.close();
    }
  });
});
