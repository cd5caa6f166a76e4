// Property tests for the gateway's config loader (issue 15): whatever a config file holds, loading it gives a
// complete config or a clear GatewayConfigError, never another exception; an empty, comment-only or truncated file is
// never taken as "no clients"; and no error quotes a secret. Every input that ever failed stays in
// test/fixtures/fuzz/config-gateway-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseConfigText, ConfigFileError } from '../../src/config-file/index.js';
import { GatewayConfigError, createGateway, resolveGatewayConfig } from '../../src/gateway/index.js';
import type { GatewayConfig } from '../../src/gateway/index.js';
import { fakeFactory } from './fake-pipeline.js';
import { memoryLogger } from './helpers.js';

const SEED = 20261207;
const SECRET = 'tgp_v1_Q7fZ0pLk3mN8vR2sT6wY1xC4';

interface Case {
  note: string;
  name: string;
  text?: string;
  deep?: number;
  expect: 'config' | 'error';
  refusedAsReloadOfClients?: boolean;
}

/** Loads config text as `tether gateway --config` does; the outcome, or the assertion that failed. */
function load(text: string, name: string): GatewayConfig | GatewayConfigError {
  let data: unknown;
  try {
    data = parseConfigText(text, name, 'gateway config').data;
  } catch (error) {
    assert.ok(error instanceof ConfigFileError, `not a ConfigFileError: ${String(error)}`);
    return new GatewayConfigError(error.message);
  }
  try {
    return resolveGatewayConfig(data, {}, `gateway config ${name}`);
  } catch (error) {
    assert.ok(error instanceof GatewayConfigError, `not a GatewayConfigError: ${(error as Error)?.stack ?? String(error)}`);
    return error;
  }
}

function checked(text: string, name: string): GatewayConfig | GatewayConfigError {
  const outcome = load(text, name);
  if (outcome instanceof GatewayConfigError) {
    assert.ok(!outcome.message.includes(SECRET), outcome.message);
    assert.ok(!outcome.message.includes('Q7fZ0pLk3mN8vR2sT6wY1xC4'), outcome.message);
    assert.ok(outcome.message.length < 2000, `a ${outcome.message.length}-character message`);
  } else {
    assert.equal(typeof outcome.host, 'string');
    assert.ok(Array.isArray(outcome.clients));
  }
  return outcome;
}

/** Lines a config file is made of, valid and broken, with the secret in every place it can be. */
const line = fc.oneof(
  fc.constantFrom(
    'upstream:',
    `  apiKey: ${SECRET}`,
    '  baseUrl: http://127.0.0.1:9/v1',
    'clients:',
    '  - token: long-enough-token-1',
    `  - token: ${SECRET}`,
    '    name: app',
    '    requestsPerSecond: 2',
    'clients: []',
    'allowAnonymous: true',
    'allowAnonymous: false',
    `${SECRET}: 1`,
    `  ${SECRET}: x`,
    'aliases:',
    `  fast: ${SECRET}`,
    'routes:',
    '  a/b: []',
    'port: 99999',
    'port: 0',
    'overload: false',
    'overload:',
    '  maxInFlight: -1',
    'policies:',
    '  timeouts:',
    '    firstByteTimeoutMs: 0',
    'limits:',
    '  maxBodyBytes: 10',
    '# a comment',
    '---',
    '...',
    '%YAML 1.2',
    '&a [1, 2]',
    '*a',
    '<<: *a',
    '!!binary ""',
    '{',
    '[',
    '"',
    "'",
    '- ',
    ': ',
    '~',
    '',
  ),
  fc.string({ maxLength: 20 }),
);

const configText = fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n'));

/** Objects shaped like a config: the real fields with values of every type, and stray fields. */
const configObject = fc.dictionary(
  fc.oneof(fc.constantFrom('host', 'port', 'upstream', 'aliases', 'routes', 'policies', 'clients', 'allowAnonymous', 'limits', 'overload', 'redis', 'logLevel'), fc.constant(SECRET), fc.string({ maxLength: 8 })),
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constant(SECRET),
    fc.array(fc.record({ token: fc.oneof(fc.constant(SECRET), fc.string()), name: fc.string(), [SECRET]: fc.boolean() }, { requiredKeys: [] }), { maxLength: 3 }),
  ),
  { maxKeys: 6 },
);

describe('gateway config loader, fuzzed', () => {
  const corpus = JSON.parse(readFileSync('test/fixtures/fuzz/config-gateway-corpus.json', 'utf8')) as Case[];
  for (const c of corpus) {
    test(`corpus: ${c.note}`, async () => {
      const text = c.deep !== undefined ? `a: ${'['.repeat(c.deep)}${']'.repeat(c.deep)}\n` : (c.text ?? '').replaceAll('tgp_v1_SECRET', SECRET);
      const outcome = checked(text, c.name);
      assert.equal(outcome instanceof GatewayConfigError ? 'error' : 'config', c.expect, outcome instanceof Error ? outcome.message : 'a config');
      if (c.refusedAsReloadOfClients === undefined || outcome instanceof GatewayConfigError) return;
      // As a reload of a gateway whose clients have tokens: auth is never switched off by accident.
      const gateway = await createGateway(
        { port: 0, upstream: { apiKey: 'k', baseUrl: 'http://127.0.0.1:9/v1' }, clients: [{ token: 'running-client-token' }] },
        { pipelineFactory: fakeFactory(), logger: memoryLogger().logger, env: {} },
      );
      try {
        const data = parseConfigText(text, c.name).data as Record<string, unknown>;
        const reload = gateway.reload({ ...data, port: 0 });
        if (c.refusedAsReloadOfClients) await assert.rejects(reload, /never switches auth off/);
        else await reload;
        const tokens = gateway.config.clients.map((client) => client.token);
        assert.deepEqual(tokens, c.refusedAsReloadOfClients ? ['running-client-token'] : outcome.clients.map((client) => client.token));
      } finally {
        await gateway.close();
      }
    });
  }

  test('any text: a config or a clear error, never a crash, never a secret quoted', () => {
    fc.assert(
      fc.property(configText, fc.constantFrom('gw.yaml', 'gw.json'), (text, name) => {
        checked(text, name);
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  test('blank and comment-only text is never a config', () => {
    const blank = fc.array(fc.constantFrom('', ' ', '\t', '# clients:', '#', `# ${SECRET}`), { maxLength: 8 }).map((lines) => lines.join('\n'));
    fc.assert(
      fc.property(blank, fc.constantFrom('gw.yaml', 'gw.yml', 'gw.json'), (text, name) => {
        const outcome = checked(text, name);
        assert.ok(outcome instanceof GatewayConfigError, `"${text}" was taken as a config`);
      }),
      { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 2000 },
    );
  });

  test('any object: a config or a clear error naming no secret', () => {
    fc.assert(
      fc.property(configObject, (input) => {
        try {
          resolveGatewayConfig(input, {});
        } catch (error) {
          assert.ok(error instanceof GatewayConfigError, `not a GatewayConfigError: ${(error as Error)?.stack ?? String(error)}`);
          assert.ok(!error.message.includes(SECRET), error.message);
        }
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });
});
