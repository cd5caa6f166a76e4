// Runs every test file under test/ with node's own test runner and tsx's loader.
// Node 20's --test takes no globs, so the file list is built here. Pass paths to run a subset.
// Files named *.serial.test.ts measure wall time (the pacing burst): they run after the rest, alone, so that
// other test files do not steal the CPU they time. A combined "N passed, N failed" line closes the run.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function runPhase(files, concurrency) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'test' } },
    );
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    });
    child.on('close', (code) => {
      const count = (name) => Number(tail.match(new RegExp(`ℹ ${name} (\\d+)`))?.[1] ?? 0);
      resolve({ code: code ?? 1, passed: count('pass'), failed: count('fail'), skipped: count('skipped') });
    });
  });
}

const args = process.argv.slice(2);
const files = (args.length ? args : ['test']).flatMap((p) => (statSync(p).isDirectory() ? findTests(p) : [p])).sort();
const serial = files.filter((f) => f.endsWith('.serial.test.ts'));
const parallel = files.filter((f) => !f.endsWith('.serial.test.ts'));

const results = [];
if (parallel.length) results.push(await runPhase(parallel, 2));
if (serial.length) results.push(await runPhase(serial, 1));
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
