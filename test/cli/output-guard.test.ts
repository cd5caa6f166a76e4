// The class of bug behind terminal escape injection: a command writing text straight to the terminal. Every
// write goes through src/cli/output.ts, which escapes control characters; this test keeps it that way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const CLI = 'src/cli';
/** output.ts is the one writer. gateway.ts belongs to the gateway's owners and prints only its own URLs. */
const ALLOWED = new Set(['src/cli/output.ts', 'src/cli/commands/gateway.ts']);
const DIRECT_WRITE = /process\.(stdout|stderr)\.write\s*\(|console\.(log|error|warn|info)\s*\(/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('no CLI file but output.ts writes to stdout or stderr directly', () => {
  const offenders = files(CLI)
    .map((path) => relative('.', path).split('\\').join('/'))
    .filter((path) => !ALLOWED.has(path))
    .flatMap((path) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .map((line, i) => ({ path, line: i + 1, text: line }))
        .filter(({ text }) => DIRECT_WRITE.test(text)),
    );
  assert.deepEqual(
    offenders.map(({ path, line }) => `${path}:${line}`),
    [],
    'write through printOut / printErr / printJson / drawProgress from src/cli/output.ts instead',
  );
});
