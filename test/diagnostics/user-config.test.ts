import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError, apiKeyIn, baseUrlIn, loadUserConfig, modelsNamedIn, parseUserConfig } from '../../src/diagnostics/index.js';

const SECRET = 'tgp_v1_configSecretValue000111222';

describe('user config files', () => {
  test('JSON and YAML parse; a file without a known extension is read as YAML (a superset of JSON)', () => {
    assert.deepEqual(parseUserConfig('{"models":["a/b"]}', 'c.json').data, { models: ['a/b'] });
    assert.deepEqual(parseUserConfig('models:\n  - a/b\n', 'c.yml').data, { models: ['a/b'] });
    assert.equal(parseUserConfig('{"models":["a/b"]}', 'tether.conf').format, 'yaml');
  });

  test('syntax errors give the place and never quote the file (it may hold a key)', () => {
    for (const [name, text] of [
      ['bad.json', `{\n  "apiKey": "${SECRET}",\n  "models": [}\n`],
      ['bad.yaml', `apiKey: ${SECRET}\nmodels: [a/b\n  - : :\n`],
    ] as const) {
      assert.throws(
        () => parseUserConfig(text, name),
        (error: unknown) => {
          assert.ok(error instanceof ConfigFileError);
          assert.match(error.message, /at line \d+, column \d+/);
          assert.ok(!error.message.includes(SECRET));
          return true;
        },
      );
    }
  });

  test('a missing file and a top level that is not a mapping are clear errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-cfg-'));
    try {
      assert.throws(() => loadUserConfig(join(dir, 'nope.yaml')), /Cannot read the config file .*nope\.yaml \(ENOENT\); check the path given to --config/);
      writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
      assert.throws(() => loadUserConfig(join(dir, 'list.yaml')), /must hold a mapping/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the key and base URL are found at the top level or under upstream', () => {
    assert.deepEqual(apiKeyIn({ apiKey: SECRET }), { value: SECRET, where: 'apiKey' });
    assert.deepEqual(apiKeyIn({ upstream: { api_key: SECRET, baseUrl: 'http://x/v1' } }), { value: SECRET, where: 'upstream.api_key' });
    assert.deepEqual(baseUrlIn({ upstream: { baseUrl: 'http://x/v1' } }), { value: 'http://x/v1', where: 'upstream.baseUrl' });
    assert.equal(apiKeyIn({ apiKey: '  ' }), undefined);
    assert.equal(apiKeyIn(null), undefined);
  });

  test('model ids are collected from model fields, lists, aliases and routes, each once with where it is named', () => {
    const config = {
      model: 'org/default',
      models: ['org/a', { id: 'not-this-one', model: 'org/b' }, { id: 'org/i', contextLength: 8192 }],
      aliases: { fast: 'org/a', smart: { model: 'org/c' } },
      routes: { 'org/d': ['org/e', 'org/f'], 'llama-3.x': ['org/g'] },
      policies: { fallback: { fallbacks: ['org/h'] } },
      max_tokens: 5,
    };
    assert.deepEqual(modelsNamedIn(config), [
      { id: 'org/default', where: 'model' },
      { id: 'org/a', where: 'models[0]' },
      { id: 'org/b', where: 'models[1].model' },
      { id: 'org/i', where: 'models[2].id' },
      { id: 'org/c', where: 'aliases.smart.model' },
      { id: 'org/d', where: 'routes["org/d"] (key)' },
      { id: 'org/e', where: 'routes["org/d"][0]' },
      { id: 'org/f', where: 'routes["org/d"][1]' },
      { id: 'org/g', where: 'routes["llama-3.x"][0]' },
      { id: 'org/h', where: 'policies.fallback.fallbacks[0]' },
    ]);
    assert.deepEqual(modelsNamedIn({ nothing: 'here' }), []);
  });
});
