import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TogetherError } from '../../src/errors/index.js';
import { PolicyEvents } from '../../src/policy/index.js';
import { attachErrorJournal, buildDebugBundle, writeStateFile, type DebugBundle } from '../../src/diagnostics/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { CHAT_MODEL, TEST_TIMEOUT_MS, startTestEmulator } from './helpers.js';

// One realistic key, one with the characters that make its URL-encoded and base64url forms differ.
const KEYS = ['tgp_v1_Bund1eSecretKey0123456789abcdefXY', 'tgp_v1_Sp3c+ial/Key=With+Odd/Chars0123'];

/** Every form of the key the bundle must not contain. */
function forms(key: string): Record<string, string> {
  return {
    raw: key,
    base64: Buffer.from(key).toString('base64'),
    base64url: Buffer.from(key).toString('base64url'),
    'URL-encoded': encodeURIComponent(key),
    'base64 of user:key': Buffer.from(`user:${key}`).toString('base64'),
    'base64 without padding': Buffer.from(key).toString('base64').replace(/=+$/, ''),
  };
}

describe('tether debug-bundle', () => {
  let emu: RunningEmulator;
  let dir: string;
  before(async () => {
    emu = await startTestEmulator({ keys: KEYS.map((key, i) => ({ key, name: `k${i}`, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 })) });
    dir = mkdtempSync(join(tmpdir(), 'tether-bundle-'));
  });
  after(async () => {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [index, KEY] of KEYS.entries()) {
    test(`no byte of the bundle holds the key or any encoding of it (key ${index + 1})`, async () => {
      const home = join(dir, `home${index}`);
      mkdirSync(home);
      const journalPath = join(home, 'errors.jsonl');
      const b64 = Buffer.from(KEY).toString('base64');

      // 1. The config file: as the key field, in a header block, inside a URL, base64'd in a Basic credential.
      const configPath = join(home, 'tether.yaml');
      writeFileSync(
        configPath,
        [
          `apiKey: "${KEY}"`,
          `models: [${CHAT_MODEL}]`,
          'upstream:',
          `  headers: { Authorization: "Bearer ${KEY}", X-Custom: "${KEY}" }`,
          `  webhook: "https://hooks.example.com/notify?key=${encodeURIComponent(KEY)}"`,
          `  basicAuth: "Basic ${Buffer.from(`user:${KEY}`).toString('base64')}"`,
          `  note: "${b64}"`,
        ].join('\n'),
      );

      // 2. The journal, written by the real subscriber: an error body and request headers holding the key.
      const events = new PolicyEvents();
      const journal = attachErrorJournal(events, { path: journalPath });
      const leaky = new TogetherError({
        status: 401,
        category: 'auth',
        code: 'invalid_api_key',
        message: `Invalid API key provided: ${KEY} (${b64}) ${encodeURIComponent(KEY)}`,
        cause: `The key ${KEY} was refused.`,
        fix: 'Check the key.',
        retryable: false,
        requestId: 'req-bundle-401',
        model: CHAT_MODEL,
      });
      events.emit(
        'outcome',
        Object.assign({ ok: false, model: CHAT_MODEL, attempts: 1, elapsedMs: 42, error: leaky }, { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'req-bundle-401', 'x-total-time': '17' } }),
      );
      events.emit('breaker', { model: CHAT_MODEL, from: 'closed', to: 'open' });
      journal.detach();
      // ...and lines from an older or foreign writer that did not scrub anything.
      appendFileSync(
        journalPath,
        `${JSON.stringify({ time: '2026-05-01T00:00:00Z', kind: 'failed', category: 'server', status: 500, message: `upstream echoed ${KEY} / ${Buffer.from(KEY).toString('base64url')} / ${encodeURIComponent(KEY)}`, headers: { authorization: `Bearer ${KEY}` } })}\n`,
      );

      // 3. The environment: the key itself, and a proxy password.
      const env = { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl, TETHER_HOME: home, HTTPS_PROXY: `http://user:${encodeURIComponent(KEY)}@proxy.invalid:3128`, NO_PROXY: '127.0.0.1' };

      const { bundle, json } = await buildDebugBundle({ env, configPath, timeoutMs: TEST_TIMEOUT_MS, latencySamples: 1, model: CHAT_MODEL });

      for (const [name, form] of Object.entries(forms(KEY))) {
        assert.ok(!json.includes(form), `the bundle contains the key's ${name} form`);
      }
      for (const core of [KEY.slice(7, 30), Buffer.from(KEY).toString('base64').slice(4, 24)]) assert.ok(!json.includes(core), 'no long piece of the key either');

      // The bundle is still useful: the doctor ran with that key, the errors are there with their request ids.
      assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(bundle)), 'the last text pass found nothing the structured pass missed');
      assert.equal(Object.keys(bundle)[0], 'summary');
      assert.ok('steps' in bundle.doctor);
      assert.equal(bundle.doctor.ok, true, JSON.stringify(bundle.doctor.steps.filter((s) => s.status === 'fail')));
      assert.equal(bundle.errors.entries.length, 3);
      const failed = bundle.errors.entries.find((e) => e.requestId === 'req-bundle-401');
      assert.deepEqual(failed?.headers, { 'x-request-id': 'req-bundle-401', 'x-total-time': '17' });
      assert.deepEqual(bundle.errors.byCategory, { auth: 1, server: 1 });
      assert.deepEqual(bundle.state.breakers, [{ model: CHAT_MODEL, state: 'open', since: bundle.errors.entries[1]?.time, source: 'journal' }]);
      assert.match(bundle.state.note ?? '', /no saved state/);
      const config = bundle.config.content as { apiKey: string; upstream: Record<string, unknown> };
      assert.equal(config.apiKey, '[redacted]');
      assert.deepEqual(config.upstream.headers, { Authorization: '[redacted]', 'X-Custom': '[redacted]' });
      assert.ok(bundle.environment.some((line) => /^TOGETHER_API_KEY=\(set, ending …/.test(line)));
      assert.ok(bundle.environment.includes('HTTPS_PROXY=http://***:***@proxy.invalid:3128/'));
      assert.match(bundle.summary.join('\n'), /breakers not closed: .* open/);
    });
  }

  test('summary, versions and a saved pacing/breaker state; --no-doctor leaves the doctor out', async () => {
    const home = join(dir, 'state-home');
    mkdirSync(home);
    writeStateFile({ pacing: [{ key: 'key_0123456789abcdef', requestsPerSecond: 10, requestsRemaining: 3, queued: 2 }], breakers: [{ model: CHAT_MODEL, state: 'half_open' }] }, join(home, 'state.json'));
    const { bundle } = await buildDebugBundle({ env: { TETHER_HOME: home }, doctor: false });
    const typed: DebugBundle = bundle;
    assert.deepEqual(typed.doctor, { note: 'not run (--no-doctor)' });
    assert.match(typed.summary[0] ?? '', /^tether \d+\.\d+\.\d+, Node v\d+/);
    assert.equal(typed.versions.node, process.version);
    assert.deepEqual(typed.state.pacing, [{ key: 'key_0123456789abcdef', requestsPerSecond: 10, requestsRemaining: 3, queued: 2 }]);
    assert.deepEqual(typed.state.breakers, [{ model: CHAT_MODEL, state: 'half_open', source: 'state file' }]);
    assert.match(typed.errors.note ?? '', /no journal at/);
    assert.match(typed.summary.join('\n'), /errors: none journaled/);
  });
});
