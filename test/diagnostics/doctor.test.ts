import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor, type DoctorOptions, type DoctorReport, type StepId, type StepResult } from '../../src/diagnostics/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import {
  CHAT_MODEL,
  KEY,
  TEST_TIMEOUT_MS,
  closedPort,
  env,
  selfSignedCertificate,
  startBareServer,
  startConnectProxy,
  startHttpsFront,
  startTestEmulator,
} from './helpers.js';

function step(report: DoctorReport, id: StepId): StepResult {
  const found = report.steps.find((s) => s.id === id);
  assert.ok(found, `step ${id} is in the report`);
  return found;
}

/** Statuses of all steps, for one-line assertions. */
function statuses(report: DoctorReport): Record<string, string> {
  return Object.fromEntries(report.steps.map((s) => [s.id, s.blockedBy ? `skip<${s.blockedBy}` : s.status]));
}

describe('tether doctor against the emulator', () => {
  let emu: RunningEmulator;
  let dir: string;
  const run = (options: DoctorOptions = {}): Promise<DoctorReport> =>
    runDoctor({ env: env({ TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl }), timeoutMs: TEST_TIMEOUT_MS, latencySamples: 2, model: CHAT_MODEL, ...options });
  const configFile = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    emu = await startTestEmulator();
    dir = mkdtempSync(join(tmpdir(), 'tether-doctor-'));
  });
  after(async () => {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('pass path: every applicable step passes and says what it found', async () => {
    const config = configFile('ok.yaml', `models:\n  - ${CHAT_MODEL}\naliases:\n  big: meta-llama/Llama-3.3-70B-Instruct-Turbo\n`);
    const report = await run({ configPath: config });
    assert.equal(report.ok, true, JSON.stringify(report.steps.filter((s) => s.status !== 'pass'), null, 2));
    assert.deepEqual(statuses(report), {
      config: 'pass',
      key: 'pass',
      base_url: 'pass',
      proxy: 'pass',
      dns: 'pass',
      tcp: 'pass',
      tls: 'skip',
      models: 'pass',
      whoami: 'pass',
      latency: 'pass',
      config_models: 'pass',
      completion: 'pass',
      rate_limits: 'pass',
      clock: 'pass',
    });
    assert.equal(report.baseUrl, emu.baseUrl);
    assert.match(step(report, 'key').summary, /from TOGETHER_API_KEY: a Together key \(tgp_v1_…\), ending …cdef/);
    assert.match(step(report, 'tls').summary, /http base URL: no TLS/);
    assert.match(step(report, 'models').summary, /^200: \d+ models listed/);
    assert.match(step(report, 'whoami').summary, /key ak_emulator_main belongs to organization "tether emulator"/);
    assert.match(step(report, 'latency').summary, /^p50 \d+ ms over 2 GET \/whoami/);
    assert.match(step(report, 'config_models').summary, /all 2 model ids exist and are serverless \(checked against the live list\)/);
    assert.match(step(report, 'completion').summary, new RegExp(`^${CHAT_MODEL} answered in \\d+ ms, 1 completion token$`));
    assert.match(step(report, 'rate_limits').summary, /^1,000 requests\/s \(60,000\/min\), \d+ left, resets in .+; 10,000,000 tokens\/min, [\d,]+ left$/);
    assert.match(step(report, 'clock').summary, /agrees with the server's Date header/);
    assert.ok(!JSON.stringify(report).includes(KEY), 'the key never appears in the report');
  });

  test('missing key: the key step fails with the fix, and every step that needs it is skipped', async () => {
    const report = await runDoctor({ env: env({ TOGETHER_BASE_URL: emu.baseUrl }), timeoutMs: TEST_TIMEOUT_MS });
    assert.equal(report.ok, false);
    const key = step(report, 'key');
    assert.equal(key.status, 'fail');
    assert.match(key.fix ?? '', /export TOGETHER_API_KEY=/);
    assert.equal(step(report, 'tcp').status, 'pass', 'steps that do not need the key still run');
    for (const id of ['models', 'whoami', 'latency', 'completion', 'rate_limits'] as const) {
      assert.equal(step(report, id).status, 'skip', id);
      assert.ok(step(report, id).blockedBy !== undefined, `${id} says what blocked it`);
    }
    assert.equal(step(report, 'models').blockedBy, 'key');
  });

  test('bad key (401): GET /models fails as auth, the fix names where the key came from, later steps skip', async () => {
    const bad = 'tgp_v1_notAValidKeyForThisEmulator99';
    const report = await run({ apiKey: bad });
    const models = step(report, 'models');
    assert.equal(models.status, 'fail');
    assert.match(models.summary, /^401 auth — Invalid API key/);
    assert.match(models.fix ?? '', /--api-key/);
    assert.ok(models.details?.some((d) => d.startsWith('request id: ')));
    assert.match(step(report, 'key').details?.join('\n') ?? '', /TOGETHER_API_KEY holds a different key \(ending …cdef\), not used: --api-key wins/);
    assert.equal(step(report, 'completion').blockedBy, 'models');
    assert.ok(!JSON.stringify(report).includes(bad));
  });

  test('a key pasted with quotes or a Bearer prefix fails before anything is sent', async () => {
    const quoted = await run({ apiKey: `"${KEY}"` });
    assert.equal(step(quoted, 'key').status, 'fail');
    assert.match(step(quoted, 'key').summary, /wrapped in quote characters/);
    assert.equal(step(quoted, 'models').blockedBy, 'key');
    const bearer = await run({ apiKey: `Bearer ${KEY}` });
    assert.match(step(bearer, 'key').summary, /starts with "Bearer "/);
    assert.ok(!JSON.stringify([quoted, bearer]).includes(KEY));
  });

  test('unreachable host: DNS fails with ENOTFOUND, TCP and the rest are skipped', async () => {
    const report = await run({ baseUrl: 'https://tether-doctor-test.invalid/v1' });
    const dns = step(report, 'dns');
    assert.equal(dns.status, 'fail');
    assert.match(dns.summary, /DNS lookup of tether-doctor-test\.invalid failed \((ENOTFOUND|EAI_AGAIN)\)/);
    assert.ok(dns.fix);
    assert.equal(step(report, 'tcp').blockedBy, 'dns');
    assert.equal(step(report, 'tls').blockedBy, 'tcp');
    assert.equal(step(report, 'models').status, 'skip');
    assert.equal(step(report, 'clock').status, 'skip');
  });

  test('refused connection: TCP fails with ECONNREFUSED and says to start the server', async () => {
    const port = await closedPort();
    const report = await run({ baseUrl: `http://127.0.0.1:${port}/v1` });
    const tcp = step(report, 'tcp');
    assert.equal(tcp.status, 'fail');
    assert.match(tcp.summary, new RegExp(`TCP connect to 127\\.0\\.0\\.1:${port} failed \\(ECONNREFUSED\\)`));
    assert.match(tcp.fix ?? '', /Nothing is listening/);
    assert.equal(step(report, 'models').blockedBy, 'tcp');
  });

  test('5xx on /models: the step fails as a server error with the request id', async () => {
    emu.setFaults([{ kind: 'status', status: 500, rate: 1, path: '/v1/models' }]);
    try {
      const report = await run();
      const models = step(report, 'models');
      assert.equal(models.status, 'fail');
      assert.match(models.summary, /^500 server —/);
      assert.ok(models.details?.some((d) => /^request id: \S+/.test(d)));
      assert.equal(step(report, 'completion').blockedBy, 'models');
      assert.equal(step(report, 'clock').status, 'pass', 'the failed answer still carried a Date');
    } finally {
      emu.setFaults([]);
    }
  });

  test('a config naming a deprecated model fails the models-in-config step and names the successor', async () => {
    const config = configFile('old.json', JSON.stringify({ aliases: { fast: CHAT_MODEL, reasoner: 'perplexity-ai/r1-1776' }, routes: { [CHAT_MODEL]: ['meta-llama/Llama-3.3-70B-Instruct-Turbo'] } }));
    const report = await run({ configPath: config });
    const check = step(report, 'config_models');
    assert.equal(check.status, 'fail');
    assert.match(check.summary, /1 of 3 model ids in the config cannot be used: perplexity-ai\/r1-1776 \(deprecated → deepseek-ai\/DeepSeek-R1\)/);
    assert.ok(check.details?.some((d) => d.includes('aliases.reasoner')));
    assert.match(check.fix ?? '', /aliases\.reasoner: Use "deepseek-ai\/DeepSeek-R1"/);
    assert.equal(report.ok, false);
  });

  test('an unreadable config fails the config step (without quoting it) and blocks the models-in-config step', async () => {
    const config = configFile('broken.json', `{"apiKey": "${KEY}", "models": [}`);
    const report = await run({ configPath: config });
    assert.equal(step(report, 'config').status, 'fail');
    assert.match(step(report, 'config').summary, /not valid JSON at line 1/);
    assert.equal(step(report, 'config_models').blockedBy, 'config');
    assert.ok(!JSON.stringify(report).includes(KEY));
  });

  test('an invalid base URL fails and blocks the network steps', async () => {
    const report = await run({ baseUrl: 'ftp://example.com/v1' });
    assert.equal(step(report, 'base_url').status, 'fail');
    assert.match(step(report, 'base_url').summary, /scheme must be http or https/);
    assert.equal(step(report, 'proxy').blockedBy, 'base_url');
    assert.equal(step(report, 'dns').blockedBy, 'base_url');
  });

  test('clock skew: a local clock ten minutes ahead fails, thirty seconds warns', async () => {
    const ahead = await run({ now: () => Date.now() + 10 * 60_000 });
    assert.equal(step(ahead, 'clock').status, 'fail');
    assert.match(step(ahead, 'clock').summary, /local clock is (9\.\d|10(\.\d)?) min|local clock is \d+(\.\d)? s ahead of the server's/);
    const slightly = await run({ now: () => Date.now() - 30_000 });
    assert.equal(step(slightly, 'clock').status, 'warn');
    assert.match(step(slightly, 'clock').summary, /behind the server's/);
    assert.equal(slightly.ok, true, 'a warning alone does not fail the run');
  });

  test('proxy variables are reported and honoured: requests tunnel through HTTP_PROXY unless NO_PROXY matches', async () => {
    const proxy = await startConnectProxy();
    try {
      const via = await run({ env: env({ TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl, HTTP_PROXY: proxy.url }) });
      assert.equal(via.ok, true, JSON.stringify(via.steps.filter((s) => s.status === 'fail'), null, 2));
      assert.match(step(via, 'proxy').summary, new RegExp(`go through ${proxy.url.replace(/\./g, '\\.')}/? \\(from HTTP_PROXY\\)`));
      assert.match(step(via, 'tcp').summary, new RegExp(`the proxy at 127\\.0\\.0\\.1:${proxy.port}`));
      assert.ok(proxy.tunnels.some((t) => t === `127.0.0.1:${emu.port}`), 'the API requests went through the proxy');

      const tunnelsBefore = proxy.tunnels.length;
      const direct = await run({ env: env({ TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' }) });
      assert.equal(direct.ok, true);
      assert.match(step(direct, 'proxy').summary, /direct connection .* matches NO_PROXY/);
      assert.equal(proxy.tunnels.length, tunnelsBefore, 'nothing went through the proxy');

      const broken = await run({ env: env({ TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl, HTTP_PROXY: 'not a url' }) });
      assert.equal(step(broken, 'proxy').status, 'fail');
      assert.equal(step(broken, 'dns').blockedBy, 'proxy');
    } finally {
      await proxy.close();
    }
  });

  test('/whoami 404 is skipped, not failed; missing rate-limit headers warn', async () => {
    const bare = await startBareServer();
    try {
      const report = await run({ env: env({ TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: `${bare.url}/v1` }) });
      assert.equal(report.ok, true);
      assert.equal(step(report, 'whoami').status, 'skip');
      assert.equal(step(report, 'whoami').blockedBy, undefined);
      assert.match(step(report, 'whoami').summary, /no \/whoami/);
      assert.match(step(report, 'latency').summary, /GET \/models/);
      assert.equal(step(report, 'rate_limits').status, 'warn');
      assert.match(step(report, 'rate_limits').summary, /no x-ratelimit-\* \/ x-tokenlimit-\* headers/);
    } finally {
      await bare.close();
    }
  });

  describe('TLS', { skip: selfSignedCertificate() === undefined ? 'openssl is not installed' : false }, () => {
    test('a self-signed certificate fails the TLS step with what to do; the API steps are skipped', async () => {
      const tls = selfSignedCertificate();
      assert.ok(tls);
      const front = await startHttpsFront(tls, emu.url);
      try {
        const report = await run({ baseUrl: `${front.url}/v1` });
        const check = step(report, 'tls');
        assert.equal(check.status, 'fail');
        assert.match(check.summary, /not signed by a trusted CA \(DEPTH_ZERO_SELF_SIGNED_CERT/);
        assert.match(check.fix ?? '', /NODE_EXTRA_CA_CERTS/);
        assert.ok(check.details?.some((d) => d.includes('CN=127.0.0.1')));
        assert.equal(step(report, 'models').blockedBy, 'tls');
      } finally {
        await front.close();
      }
    });

    test('with its CA trusted, TLS passes (certificate and expiry reported) and so does every API step through it', async () => {
      const tls = selfSignedCertificate();
      assert.ok(tls);
      const front = await startHttpsFront(tls, emu.url);
      try {
        const report = await run({ baseUrl: `${front.url}/v1`, ca: tls.cert });
        assert.equal(report.ok, true, JSON.stringify(report.steps.filter((s) => s.status === 'fail'), null, 2));
        assert.match(step(report, 'tls').summary, /^TLSv1\.[23] with 127\.0\.0\.1, certificate verified, expires in 0 days/);
        assert.equal(step(report, 'tls').status, 'warn', 'a certificate expiring within 14 days warns');
        assert.equal(step(report, 'completion').status, 'pass');
      } finally {
        await front.close();
      }
    });
  });
});
