import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('tether --help exits 0 and an unknown command exits 2', () => {
  const help = spawnSync(process.execPath, ['bin/tether.js', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: tether/);
  const bad = spawnSync(process.execPath, ['bin/tether.js', 'no-such-command'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
});
