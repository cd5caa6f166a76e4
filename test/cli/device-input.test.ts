// Issue 15 red-team pass, CLI inputs that are devices or odd files, through the real CLI process: each is refused as
// a usage error (exit 2) naming the path, promptly, never read without bound. Before: `tether emulator --config
// /dev/zero` read the device until std::bad_alloc (18 s, 2 GB, abort), and `tether validate /proc/self/mem` ended
// as a finding (exit 1) with a bare "EIO: i/o error, read".
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

function tether(args: string[]): Promise<{ status: number | null; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [join(process.cwd(), 'bin/tether.js'), ...args], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, TOGETHER_API_KEY: '' } }, (error, _stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stderr, ms: performance.now() - started });
    });
  });
}

describe('device and odd-file inputs to the CLI', { concurrency: true }, () => {
  test('tether emulator --config /dev/zero: exit 2 naming the size bound', async () => {
    const run = await tether(['emulator', '--config', '/dev/zero', '--port', '0']);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /\/dev\/zero is larger than 1048576 bytes/);
    assert.ok(run.ms < 10_000, `${run.ms.toFixed(0)} ms`);
  });

  test('tether validate /proc/self/mem (a read that fails midway): exit 2 naming the path', { skip: process.platform !== 'linux' }, async () => {
    const run = await tether(['validate', '/proc/self/mem']);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /cannot read \/proc\/self\/mem \(E[A-Z]+\)/);
  });

  test('tether validate /dev/zero: exit 2, not a regular file', async () => {
    const run = await tether(['validate', '/dev/zero']);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /not a regular file/);
  });
});
