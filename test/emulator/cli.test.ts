import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

test('tether emulator prints the base URL and key first, serves, and stops on SIGINT', async () => {
  const child = spawn(process.execPath, ['bin/tether.js', 'emulator', '--port', '0', '--seed', '7', '--log-level', 'silent', '--fault', 'status=503,model=acme/x'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', () => reject(new Error('the emulator exited before printing')));
    });
    const match = /^Together API emulator: TOGETHER_BASE_URL=(http:\/\/127\.0\.0\.1:\d+\/v1) TOGETHER_API_KEY=emulator-key$/.exec(first);
    assert.ok(match, first);
    const baseUrl = match[1] as string;
    const models = await fetch(`${baseUrl}/models`, { headers: { authorization: 'Bearer emulator-key' } });
    assert.equal(models.status, 200);
    assert.ok(Array.isArray(await models.json()));
    const faults = (await (await fetch(baseUrl.replace(/\/v1$/, '/_emulator/faults'))).json()) as { faults: unknown[] };
    assert.deepEqual(faults.faults, [{ kind: 'status', status: 503, model: 'acme/x' }]);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('tether emulator exits 2 naming the bad field of a config file, or a bad fault', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-emu-cli-'));
  try {
    const path = join(dir, 'emulator.yaml');
    writeFileSync(path, 'keys:\n  - key: k\n    tier: 9\n');
    const bad = spawnSync(process.execPath, ['bin/tether.js', 'emulator', '--port', '0', '--config', path, '--fault', 'stall'], { encoding: 'utf8' });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /`keys\[0\]\.tier`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
