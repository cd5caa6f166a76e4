// Config validation: every error names the bad field and never repeats a secret; defaults and env keys.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, GatewayConfigError, loadGatewayConfigFile, resolveGatewayConfig } from '../../src/gateway/index.js';
import { asciiHeader, isLoopbackHost, togetherErrorReply } from '../../src/gateway/index.js';
import { togetherError } from './fake-pipeline.js';

function rejects(input: unknown, pattern: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => resolveGatewayConfig(input, env),
    (error: unknown) => error instanceof GatewayConfigError && pattern.test(error.message),
  );
}

describe('gateway config', () => {
  test('defaults: loopback, 8787, the env key, Together\'s base URL, the documented limits', () => {
    const config = resolveGatewayConfig({}, { TOGETHER_API_KEY: 'tg-env-key' });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8787);
    assert.equal(config.upstream.apiKey, 'tg-env-key');
    assert.equal(config.upstream.keySource, 'env');
    assert.equal(config.upstream.baseUrl, 'https://api.together.ai/v1');
    assert.deepEqual(config.limits, { ...DEFAULT_LIMITS });
    assert.equal(resolveGatewayConfig({}, {}).upstream.keySource, undefined);
  });

  test('errors name the field', () => {
    rejects({ prot: 1 }, /unknown field `prot`/);
    rejects({ port: 70000 }, /`port`/);
    rejects({ clients: [{ token: 'long-enough-token', requestsPerSecond: 'ten' }] }, /`clients\[0\]\.requestsPerSecond`/);
    rejects({ policies: { preflight: { onContextOverflow: 'shrink' } } }, /`policies\.preflight\.onContextOverflow`/);
    rejects({ policies: { retries: { maxAtempts: 3 } } }, /unknown field `maxAtempts` in `policies\.retries`/);
    rejects({ routes: { 'a/b': [] } }, /`routes\.a\/b`/);
    rejects({ limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } }, /`limits\.headersTimeoutMs` \(5000\) must not exceed `limits\.requestTimeoutMs`/);
    rejects({ redis: 'localhost:6379' }, /`redis`: must be a redis:\/\//);
    rejects({ upstream: { baseUrl: 'ftp://x' } }, /`upstream\.baseUrl`.*scheme/);
    rejects({ clients: [{ name: 'a' }] }, /`clients\[0\]`: give `token` or `tokenEnv`/);
    rejects({ clients: [{ token: 'same-token-1' }, { token: 'same-token-1' }] }, /`clients\[1\]\.token`: the same token/);
    rejects({ clients: [{ token: 'token-number-1', upstreamKey: 'team' }] }, /`clients\[0\]\.upstreamKey`: no entry of `upstream\.keys` has this name/);
    rejects({ clients: [{ tokenEnv: 'GW_TOKEN' }] }, /`clients\[0\]\.tokenEnv`: environment variable GW_TOKEN is not set/);
    rejects({ upstream: { apiKey: 'x-key-value', apiKeyEnv: 'K' } }, /`upstream\.apiKey`: give the value or its environment variable/);
  });

  test('errors never repeat a secret', () => {
    const secret = 'tg-very-secret-value';
    try {
      resolveGatewayConfig({ clients: [{ token: secret }, { token: secret }] }, {});
      assert.fail('accepted');
    } catch (error) {
      assert.ok(!(error as Error).message.includes(secret));
    }
  });

  test('a key-shaped field name, and any value, is never quoted (issue 15, failure 8)', () => {
    const key = 'tgp_v1_Zx81kQpL0aW3mNe7RtYuIo22';
    const cases: unknown[] = [
      { [key]: 1 },
      { upstream: { [key]: 'x' } },
      { clients: [{ token: 'long-enough-token', [key]: true }] },
      { aliases: { [key]: 5 } },
      { routes: { [key]: [] } },
      { upstream: { keys: [{ name: key, apiKey: 'k-1' }, { name: key, apiKey: 'k-2' }] } },
      { clients: [{ name: key, token: 'long-enough-token' }, { name: key, token: 'long-enough-token-2' }] },
      { upstream: { keys: [{ name: 'team', apiKey: 'k-1' }] }, clients: [{ token: 'long-enough-token', upstreamKey: key }] },
    ];
    for (const input of cases) {
      assert.throws(
        () => resolveGatewayConfig(input, {}),
        (error: unknown) => {
          assert.ok(error instanceof GatewayConfigError, String(error));
          assert.ok(!error.message.includes(key), error.message);
          assert.ok(!error.message.includes('Zx81kQpL0aW3mNe7RtYuIo22'), error.message);
          return true;
        },
      );
    }
    rejects({ [key]: 1 }, /is invalid: an unknown field whose name looks like a secret \(not shown: is a key written where a field name belongs\?\)/);
    rejects({ prot: 1, [key]: 1 }, /unknown field `prot` and 1 more whose name looks like a secret \(not shown\)/);
  });

  test('keys and tokens from env vars; aliases resolved inside routes', () => {
    const config = resolveGatewayConfig(
      {
        upstream: { apiKeyEnv: 'MY_KEY', keys: [{ name: 'team', apiKeyEnv: 'TEAM_KEY' }] },
        clients: [{ tokenEnv: 'GW_TOKEN', upstreamKey: 'team', requestsPerSecond: 2 }],
        aliases: { big: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', small: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' },
        routes: { big: ['small'] },
      },
      { MY_KEY: 'tg-main', TEAM_KEY: 'tg-team', GW_TOKEN: 'gateway-token-1' },
    );
    assert.equal(config.upstream.apiKey, 'tg-main');
    assert.equal(config.upstream.keyOrigin, 'MY_KEY');
    assert.deepEqual(config.clients[0], { name: 'client-1', token: 'gateway-token-1', requestsPerSecond: 2, requestsPerMinute: undefined, upstreamKey: 'tg-team' });
    assert.deepEqual(config.routes.get('meta-llama/Llama-3.3-70B-Instruct-Turbo'), ['meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo']);
  });

  test('YAML and JSON files; a broken file names itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-gw-config-'));
    try {
      writeFileSync(join(dir, 'g.yaml'), 'port: 9000\naliases:\n  fast: a/b\n');
      assert.equal(loadGatewayConfigFile(join(dir, 'g.yaml')).port, 9000);
      writeFileSync(join(dir, 'g.json'), '{"port": 9001}');
      assert.equal(loadGatewayConfigFile(join(dir, 'g.json')).port, 9001);
      writeFileSync(join(dir, 'bad.json'), '{"port": ');
      assert.throws(() => loadGatewayConfigFile(join(dir, 'bad.json')), /bad\.json is not valid JSON/);
      writeFileSync(join(dir, 'bad.yaml'), 'policies:\n  pacing: {requestsPerSecond: -1}\n');
      assert.throws(() => loadGatewayConfigFile(join(dir, 'bad.yaml')), /bad\.yaml is invalid: `policies\.pacing\.requestsPerSecond`/);
      assert.throws(() => loadGatewayConfigFile(join(dir, 'missing.yaml')), /Cannot read the gateway config .*missing\.yaml \(ENOENT\)/);
      // The YAML parser's own message prints the offending line: here, the key's.
      const secret = 'tgp_v1_gatewayConfigSecret0123456789';
      writeFileSync(join(dir, 'keyline.yaml'), `upstream:\n  apiKey: ${secret}: x\n`);
      assert.throws(
        () => loadGatewayConfigFile(join(dir, 'keyline.yaml')),
        (error: unknown) => {
          assert.match((error as Error).message, /keyline\.yaml is not valid YAML at line 2, column \d+/);
          assert.ok(!(error as Error).message.includes(secret), (error as Error).message);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gateway config: tracing', () => {
  test('true, false or { endpoint, serviceName }; unset stays unset (the OTEL_* variables decide)', () => {
    assert.equal(resolveGatewayConfig({}, {}).tracing, undefined);
    assert.equal(resolveGatewayConfig({ tracing: true }, {}).tracing, true);
    assert.equal(resolveGatewayConfig({ tracing: false }, {}).tracing, false);
    const on = { endpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'edge-gateway' };
    assert.deepEqual(resolveGatewayConfig({ tracing: on }, {}).tracing, on);
  });

  test('a bad value names `tracing` and what it must be', () => {
    assert.throws(() => resolveGatewayConfig({ tracing: 'yes' }, {}), /`tracing`: must be true, false, or \{ endpoint\?, serviceName\? \}/);
    assert.throws(() => resolveGatewayConfig({ tracing: { endpoint: 'collector:4318' } }, {}), /`tracing\.endpoint`: must be an http:\/\/ or https:\/\/ URL/);
    assert.throws(() => resolveGatewayConfig({ tracing: { serviceName: '' } }, {}), /`tracing\.serviceName`/);
    assert.throws(() => resolveGatewayConfig({ tracing: { tracerProvider: {} } }, {}), /unknown field `tracerProvider` in `tracing`/);
  });
});

describe('error envelope and helpers', () => {
  test('a TogetherError with a status keeps it; without, the category decides', () => {
    assert.equal(togetherErrorReply(togetherError('billing', { status: 402, type: 'credit_limit' })).status, 402);
    assert.equal(togetherErrorReply(togetherError('network')).status, 502);
    assert.equal(togetherErrorReply(togetherError('timeout')).status, 504);
    assert.equal(togetherErrorReply(togetherError('not_found')).status, 404);
    const reply = togetherErrorReply(togetherError('overloaded', { status: 503, retryAfterMs: 100 }));
    assert.equal(reply.headers['retry-after'], '1');
    assert.equal(reply.body.error.type, 'server_error');
  });

  test('header values are printable ASCII', () => {
    assert.equal(asciiHeader('Wait \u2014 \u201cthen\u201d retry\u2026 \u00e9\n!'), 'Wait - "then" retry...  !');
    assert.equal(asciiHeader('x'.repeat(600)).length, 512);
  });

  test('loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '10.0.0.1']) assert.ok(!isLoopbackHost(host), host);
  });
});
