import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { CHAT_MODEL, KEY, startTestEmulator } from '../diagnostics/helpers.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/tether.js doctor …` with only the variables given (no proxy or key from the real environment). */
function doctor(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/tether.js', 'doctor', ...args],
      { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });
}

describe('tether doctor (CLI)', { concurrency: true }, () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startTestEmulator();
  });
  after(() => emu.close());

  test('all checks pass: one line per step, a count line, exit 0', async () => {
    const run = await doctor(['--model', CHAT_MODEL, '--timeout', '20000'], { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const lines = run.stdout.split('\n');
    assert.equal(lines[0], 'tether doctor');
    for (const title of ['API key', 'base URL', 'proxy', 'DNS', 'TCP connect', 'GET /models', 'GET /whoami', 'latency', 'one-token completion', 'rate limits', 'clock skew']) {
      assert.ok(lines.some((line) => new RegExp(`^ok {4}${title.replace('/', '\\/')} +\\S`).test(line)), `an ok line for ${title}`);
    }
    assert.match(run.stdout, /^skip {2}TLS +http base URL: no TLS$/m);
    assert.match(run.stdout, /^\d+ passed, 0 warnings, 0 failed, \d+ skipped \(.+\)$/m);
    assert.ok(!run.stdout.includes(KEY));
  });

  test('--json: the report; a bad key exits 1 and names the fix', async () => {
    const run = await doctor(['--json', '--api-key', 'tgp_v1_badbadbadbadbadbad000'], { TOGETHER_BASE_URL: emu.baseUrl });
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as { ok: boolean; steps: Array<{ id: string; status: string; fix?: string }> };
    assert.equal(report.ok, false);
    const models = report.steps.find((s) => s.id === 'models');
    assert.equal(models?.status, 'fail');
    assert.match(models?.fix ?? '', /--api-key/);
    assert.ok(!run.stdout.includes('tgp_v1_badbadbadbadbadbad000'));
  });

  test('a bad --timeout is a usage error (exit 2)', async () => {
    const run = await doctor(['--timeout', 'soon'], {});
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--timeout must be a whole number of milliseconds/);
  });
});
