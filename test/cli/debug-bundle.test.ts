import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { CHAT_MODEL, KEY, startTestEmulator } from '../diagnostics/helpers.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function bundle(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(process.cwd(), 'bin/tether.js'), 'debug-bundle', ...args],
      { encoding: 'utf8', timeout: 30_000, cwd, env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });
}

describe('tether debug-bundle (CLI)', { concurrency: true }, () => {
  let emu: RunningEmulator;
  let dir: string;
  before(async () => {
    emu = await startTestEmulator();
    dir = mkdtempSync(join(tmpdir(), 'tether-bundle-cli-'));
    writeFileSync(join(dir, 'tether.json'), JSON.stringify({ apiKey: KEY, models: [CHAT_MODEL] }));
    writeFileSync(join(dir, 'errors.jsonl'), `${JSON.stringify({ time: '2026-05-01T00:00:00Z', kind: 'failed', category: 'rate_limit', status: 429, requestId: 'req-cli', message: `echo ${KEY}` })}\n`);
  });
  after(async () => {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('writes a default-named, owner-only file and prints its summary', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    const run = await bundle(['--config', join(dir, 'tether.json'), '--journal', join(dir, 'errors.jsonl'), '--timeout', '20000'], { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl, TETHER_HOME: dir }, cwd);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const [file] = readdirSync(cwd);
    assert.match(file ?? '', /^tether-debug-\d{8}-\d{6}Z\.json$/);
    const path = join(cwd, file ?? '');
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes(KEY) && !run.stdout.includes(KEY));
    const parsed = JSON.parse(text) as { summary: string[]; errors: { entries: Array<{ requestId?: string }> }; doctor: { ok: boolean } };
    assert.equal(parsed.doctor.ok, true);
    assert.equal(parsed.errors.entries[0]?.requestId, 'req-cli');
    assert.match(run.stdout, /^tether \d+\.\d+\.\d+, Node /);
    assert.match(run.stdout, /errors: last 1 journal entries: rate_limit ×1/);
    assert.match(run.stdout, /wrote tether-debug-.*\.json \([\d,]+ bytes\)/);
  });

  test('-o - prints the JSON; --no-doctor skips the network', async () => {
    const run = await bundle(['-o', '-', '--no-doctor', '--journal', join(dir, 'errors.jsonl')], { TOGETHER_API_KEY: KEY }, dir);
    assert.equal(run.status, 0, run.stderr);
    const parsed = JSON.parse(run.stdout) as { doctor: unknown; environment: string[] };
    assert.deepEqual(parsed.doctor, { note: 'not run (--no-doctor)' });
    assert.ok(parsed.environment.some((line) => line.startsWith('TOGETHER_API_KEY=(set, ending …')));
    assert.ok(!run.stdout.includes(KEY));
  });

  test('usage errors exit 2', async () => {
    const run = await bundle(['--errors', 'many'], {}, dir);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--errors must be a whole number/);
  });
});
