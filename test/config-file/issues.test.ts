// Validation issues of any config file (gateway, emulator): field names shaped like secrets and values never quoted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { describeConfigIssues, formatConfigPath, isPrintableFieldName } from '../../src/config-file/index.js';
import { EmulatorConfigError, parseEmulatorConfig } from '../../src/emulator/config.js';

const KEY_SHAPED = [
  'tgp_v1_Zx81kQpL0aW3mNe7RtYuIo22',
  'sk-proj-abcdefghijklmnop',
  '3f9a0c1d2e3f4a5b6c7d8e9f0011223344556677',
  'dGhpcyBpcyBhIHNlY3JldCBrZXkgdmFsdWU',
  'aB3dE5fG7hI9jK1lM3nO5pQ7rS',
  'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  'my-secret-value',
  'x'.repeat(65),
  'has space',
  'new\nline',
  '',
];
const NAME_SHAPED = ['prot', 'maxRetryAfterMs', 'initialRequestsPerSecond', 'apiKeyEnv', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'mistralai/Mixtral-8x7B-v0.1', 'fast', 'a/b'];

test('field names: key material is not printable, real field names and model ids are', () => {
  for (const name of KEY_SHAPED) assert.equal(isPrintableFieldName(name), false, name);
  for (const name of NAME_SHAPED) assert.equal(isPrintableFieldName(name), true, name);
});

test('paths hide key-shaped segments', () => {
  assert.equal(formatConfigPath(['clients', 1, 'token']), 'clients[1].token');
  assert.equal(formatConfigPath(['aliases', KEY_SHAPED[0]!]), 'aliases[…]');
  assert.equal(formatConfigPath([]), '(top level)');
});

test('issues: unknown key-shaped names and values are never quoted', () => {
  const schema = z.strictObject({ port: z.number().optional(), aliases: z.record(z.string(), z.string()).optional() });
  for (const key of KEY_SHAPED.filter(Boolean)) {
    const result = schema.safeParse({ [key]: 'value-tgp_v1_secretvalue', aliases: { [key]: 42 }, port: 'tgp_v1_portsecret' });
    assert.equal(result.success, false);
    const message = describeConfigIssues(result.error!.issues);
    assert.ok(!message.includes(key), message);
    assert.ok(!message.includes('secretvalue') && !message.includes('portsecret'), message);
    assert.match(message, /`port`: expected number, received string/);
  }
});

test('the emulator config does not quote a key-shaped field name either', () => {
  const key = KEY_SHAPED[0]!;
  assert.throws(
    () => parseEmulatorConfig({ keys: [{ key: 'tk-1', [key]: 1 }] }),
    (error: unknown) => error instanceof EmulatorConfigError && !error.message.includes(key) && /looks like a secret/.test(error.message),
  );
});
