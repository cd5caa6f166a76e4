// `tether emulator --scenario FILE`: the documented example plays from start-up; a bad file exits 2 naming the
// field and its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

test('tether emulator --config … --scenario … plays the example incident from start-up', async () => {
  const child = spawn(
    process.execPath,
    ['bin/tether.js', 'emulator', '--port', '0', '--log-level', 'silent', '--config', 'examples/scenarios/emulator.yaml', '--scenario', 'examples/scenarios/incident.yaml'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const lines = createInterface({ input: child.stdout });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        seen.push(line);
        if (line.startsWith('scenario ')) resolve();
      });
      child.once('exit', () => reject(new Error(`the emulator exited: ${seen.join('\n')}`)));
    });
    const baseUrl = /TOGETHER_BASE_URL=(\S+)/.exec(seen[0] ?? '')?.[1] as string;
    assert.match(seen.at(-1) ?? '', /^scenario "incident": 3 events, 60 s; started now$/);
    const state = (await (await fetch(baseUrl.replace(/\/v1$/, '/_emulator/scenario'))).json()) as { running: boolean; name: string; events: number };
    assert.deepEqual([state.running, state.name, state.events], [true, 'incident', 3]);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('tether emulator --scenario with a bad file exits 2 naming the field and its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-scenario-cli-'));
  try {
    const path = join(dir, 'scenario.yaml');
    writeFileSync(path, 'events:\n  - at: 10s\n    for: a while\n    fault: status=503\n');
    const bad = spawnSync(process.execPath, ['bin/tether.js', 'emulator', '--port', '0', '--scenario', path], { encoding: 'utf8' });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /`events\[0\]\.for`: must be a duration .*\(line 3\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
