// One API-key rule for the library, the gateway and the CLI (errors/api-key.ts): a given key wins unless blank,
// else TOGETHER_API_KEY; keys are trimmed; the source says where the key came from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findApiKey } from '../../src/errors/index.js';
import { resolveApiKey as cliKey } from '../../src/cli/api-options.js';
import { resolveGatewayConfig } from '../../src/gateway/index.js';
import { resolveApiKey as pipelineKey } from '../../src/pipeline/options.js';

test('findApiKey: the given key, else TOGETHER_API_KEY, trimmed; nothing when both are blank', () => {
  assert.deepEqual(findApiKey(' sk-given \n', 'flag', { TOGETHER_API_KEY: 'sk-env' }), { apiKey: 'sk-given', source: 'flag' });
  assert.deepEqual(findApiKey('   ', 'flag', { TOGETHER_API_KEY: ' sk-env\n' }), { apiKey: 'sk-env', source: 'env' });
  assert.deepEqual(findApiKey(undefined, 'config', { TOGETHER_API_KEY: 'sk-env' }), { apiKey: 'sk-env', source: 'env' });
  assert.equal(findApiKey(' ', 'flag', { TOGETHER_API_KEY: ' ' }), undefined);
});

test('the pipeline, the gateway and the CLI resolve the same key from the same inputs', () => {
  const env = { TOGETHER_API_KEY: ' sk-env-0123456789\n' };
  assert.equal(pipelineKey({ env }).apiKey, 'sk-env-0123456789');
  assert.equal(pipelineKey({ env }).keySource, 'env');
  assert.equal(cliKey({}, env).key, 'sk-env-0123456789');
  assert.equal(cliKey({}, env).source, 'env');
  const gateway = resolveGatewayConfig({}, env).upstream;
  assert.equal(gateway.apiKey, 'sk-env-0123456789');
  assert.equal(gateway.keySource, 'env');
  // A blank flag or option is no key: the environment's is used, in all three.
  assert.equal(cliKey({ apiKey: '  ' }, env).key, 'sk-env-0123456789');
  assert.equal(pipelineKey({ apiKey: '  ', env }).apiKey, 'sk-env-0123456789');
  assert.equal(cliKey({ apiKey: ' sk-flag ' }, env).key, 'sk-flag');
  // No key anywhere: the gateway says so with no source (one KeySource type, no 'none').
  assert.equal(resolveGatewayConfig({}, {}).upstream.keySource, undefined);
});
