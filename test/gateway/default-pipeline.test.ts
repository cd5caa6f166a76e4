// The gateway config → createPipeline options mapping: every policy reaches the pipeline under its own name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipelineOptions } from '../../src/gateway/default-pipeline.js';
import { pipelineSettings, settingsKey } from '../../src/gateway/generation.js';
import { resolveGatewayConfig } from '../../src/gateway/index.js';

test('policies, redis and the key reach the pipeline options', () => {
  const config = resolveGatewayConfig(
    {
      upstream: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'tg-key' },
      redis: 'redis://127.0.0.1:6379',
      policies: {
        pacing: { requestsPerSecond: 5, safetyFactor: 0.9 },
        retries: { maxAttempts: 4 },
        preflight: { onContextOverflow: 'clamp', allowSuccessor: true },
        breaker: { threshold: 3, coolDownMs: 1000 },
        timeouts: { deadlineMs: 9000, attemptTimeoutMs: 8000, idleTimeoutMs: 7000 },
      },
    },
    {},
  );
  assert.deepEqual(pipelineOptions(pipelineSettings(config)), {
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKey: 'tg-key',
    keySource: 'config',
    env: {},
    pacing: { requestsPerSecond: 5, safetyFactor: 0.9, store: { redis: 'redis://127.0.0.1:6379' } },
    retry: { maxAttempts: 4 },
    breaker: { threshold: 3, coolDownMs: 1000, store: { redis: 'redis://127.0.0.1:6379' } },
    retryBudget: { store: { redis: 'redis://127.0.0.1:6379' } },
    billingProbe: { store: { redis: 'redis://127.0.0.1:6379' } },
    onContextOverflow: 'clamp',
    allowSuccessor: true,
    deadlineMs: 9000,
    attemptTimeoutMs: 8000,
    idleTimeoutMs: 7000,
  });
});

test('pacing: false turns pacing off; redis alone shares the default pacing and breakers', () => {
  const off = resolveGatewayConfig({ upstream: { apiKey: 'k' }, policies: { pacing: false } }, {});
  assert.equal(pipelineOptions(pipelineSettings(off)).pacing, false);
  assert.equal(pipelineOptions(pipelineSettings(off)).breaker, undefined, 'without redis, breakers stay in memory');
  const shared = resolveGatewayConfig({ upstream: { apiKey: 'k' }, redis: 'redis://h:1' }, {});
  assert.deepEqual(pipelineOptions(pipelineSettings(shared)).pacing, { store: { redis: 'redis://h:1' } });
  assert.deepEqual(pipelineOptions(pipelineSettings(shared)).breaker, { store: { redis: 'redis://h:1' } });
  const env = resolveGatewayConfig({}, { TOGETHER_API_KEY: 'from-env' });
  assert.equal(pipelineOptions(pipelineSettings(env)).keySource, 'env');
});

test('tracing reaches the pipeline options; unset leaves it to the OTEL_* variables', () => {
  const options = (tracing: unknown) => pipelineOptions(pipelineSettings(resolveGatewayConfig({ upstream: { apiKey: 'k' }, tracing }, {})));
  assert.equal('tracing' in options(undefined), false);
  assert.equal(options(true).tracing, true);
  assert.equal(options(false).tracing, false);
  assert.deepEqual(options({ endpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'gw' }).tracing, {
    endpoint: 'http://127.0.0.1:4318/v1/traces',
    serviceName: 'gw',
  });
});

test('a tracing change makes a reload build a new pipeline (its settings key changes)', () => {
  const key = (tracing: unknown) => settingsKey(pipelineSettings(resolveGatewayConfig({ upstream: { apiKey: 'k' }, tracing }, {})));
  const keys = [undefined, true, false, { serviceName: 'a' }, { serviceName: 'b' }, { endpoint: 'http://h:1/v1/traces' }].map(key);
  assert.equal(new Set(keys).size, keys.length, 'every tracing setting is its own pipeline');
  assert.equal(key({ serviceName: 'a' }), key({ serviceName: 'a' }), 'the same setting keeps the pipeline');
});
