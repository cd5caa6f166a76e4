import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { base64Cores, createScrubber, isSecretName } from '../../src/diagnostics/index.js';

const KEY = 'tgp_v1_Sc7ub+Ber/Key=0123456789abcdefXYZ';
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const b64url = (text: string): string => Buffer.from(text).toString('base64url');

describe('scrubbing secrets', () => {
  test('credential field names are recognised; counts of tokens are not', () => {
    for (const name of ['apiKey', 'api_key', 'x-api-key', 'Authorization', 'TOGETHER_API_KEY', 'clientTokens', 'password', 'key', 'cookie', 'client_secret']) {
      assert.equal(isSecretName(name), true, name);
    }
    for (const name of ['max_tokens', 'tokensPerMinute', 'completion_tokens', 'keySource', 'model', 'x-tokenlimit-remaining', 'requestId']) {
      assert.equal(isSecretName(name), false, name);
    }
  });

  test('every base64 encoding of text that holds the secret contains one of its cores, at any alignment', () => {
    const cores = base64Cores(KEY);
    for (const prefix of ['', 'a', 'ab', 'abc', 'user:', 'Bearer ']) {
      for (const encode of [b64, b64url]) {
        const encoded = encode(`${prefix}${KEY}${'tail'}`);
        assert.ok(cores.some((core) => encoded.includes(core)), `${JSON.stringify(prefix)} ${encode.name}`);
      }
    }
  });

  test('text loses the key as typed, URL-encoded, JSON-escaped and base64/base64url encoded, and key-shaped strings', () => {
    const scrubber = createScrubber([KEY, undefined, 'short']);
    assert.deepEqual(scrubber.secrets, [KEY], 'too-short values are not treated as secrets');
    const inputs = [
      `plain ${KEY} here`,
      `url ?key=${encodeURIComponent(KEY)}&x=1`,
      `json ${JSON.stringify({ k: KEY })}`,
      `basic Basic ${b64(`user:${KEY}`)}`,
      `b64 ${b64(KEY)} and url-safe ${b64url(`x${KEY}`)}`,
      'another tgp_v1_SomeOtherKeyNotListed1234 and sk-abcdefghijklmnopqrstuv and Bearer whatever-token',
    ];
    for (const input of inputs) {
      const out = scrubber.text(input);
      assert.ok(out.includes('[redacted]'), out);
      for (const form of [KEY, encodeURIComponent(KEY), b64(KEY), b64url(KEY), 'tgp_v1_SomeOtherKeyNotListed1234', 'whatever-token']) {
        assert.ok(!out.includes(form), `${out} still holds ${form}`);
      }
    }
    assert.equal(scrubber.text('nothing secret: 429 after 3 attempts'), 'nothing secret: 429 after 3 attempts');
  });

  test('values: credential fields are replaced keeping their shape, fingerprints and numbers stay, keys of maps are scrubbed', () => {
    const scrubber = createScrubber([KEY]);
    const out = scrubber.value({
      apiKey: 'anything-at-all',
      keys: [{ key: 'k1-long-value', name: 'main', requestsPerSecond: 5 }],
      headers: { Authorization: `Bearer ${KEY}`, 'x-request-id': 'req-1' },
      pacing: [{ key: 'key_0123456789abcdef', queued: 0 }],
      usage: { completion_tokens: 3 },
      [KEY]: 'a secret used as a map key',
      note: `see ${KEY}`,
    });
    assert.deepEqual(out, {
      apiKey: '[redacted]',
      keys: [{ key: '[redacted]', name: '[redacted]', requestsPerSecond: 5 }],
      headers: { Authorization: '[redacted]', 'x-request-id': 'req-1' },
      pacing: [{ key: 'key_0123456789abcdef', queued: 0 }],
      usage: { completion_tokens: 3 },
      '[redacted]': 'a secret used as a map key',
      note: 'see [redacted]',
    });
  });
});
