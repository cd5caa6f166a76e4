// `tether validate`: exit codes (0 valid, 1 invalid, 2 usage), human and JSON output, --fix.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tether-validate-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OK = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
const NO_ASSISTANT = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function tether(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tether.js', 'validate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('tether validate', () => {
  test('exit 0 for a valid file, 1 for an invalid one (human output names line and rule)', async () => {
    const [valid, invalid] = await Promise.all([tether(file('ok.jsonl', `${OK}\n${OK}\n`)), tether(file('bad.jsonl', `${OK}\n\n${NO_ASSISTANT}\n`))]);
    assert.equal(valid.status, 0, valid.stderr);
    assert.match(valid.stdout, /valid \(conversational format, 2 examples/);
    assert.equal(invalid.status, 1, invalid.stderr);
    assert.match(invalid.stdout, /INVALID, 2 errors/);
    assert.match(invalid.stdout, /line 2 +line\.blank/);
    assert.match(invalid.stdout, /line 3 +messages\.no-assistant/);
  });

  test('--json prints one object with the documented shape; --max-errors caps per rule', async () => {
    const result = await tether(file('many.jsonl', `${OK}\n${`${NO_ASSISTANT}\n`.repeat(5)}`), '--json', '--max-errors', '2');
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(report).sort(), ['errors', 'format', 'omitted', 'samples', 'stats', 'valid', 'warnings']);
    assert.equal(report.valid, false);
    assert.equal(report.format, 'conversation');
    assert.equal(report.samples, 6);
    assert.deepEqual((report.errors as { line: number; rule: string }[]).map((e) => [e.line, e.rule]), [
      [2, 'messages.no-assistant'],
      [3, 'messages.no-assistant'],
    ]);
    assert.deepEqual(report.omitted, { 'messages.no-assistant': 3 });
  });

  test('exit 2 for usage errors: missing file, bad flag value, unknown model', async () => {
    const path = file('u.jsonl', `${OK}\n`);
    const results = await Promise.all([
      tether(join(dir, 'missing.jsonl')),
      tether(path, '--max-errors', 'x'),
      tether(path, '--profile', 'newest'),
      tether(path, '--model', 'no/such-model'),
      tether(),
    ]);
    for (const r of results) assert.equal(r.status, 2, r.stderr);
    assert.match(results[0]!.stderr, /no such file/);
    assert.match(results[3]!.stderr, /unknown model/);
    for (const r of results) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('--fix writes a repaired copy, lists the changes, then checks the copy', async () => {
    const input = file('win.jsonl', `\ufeff${OK}\r\n\r\n${OK}\r\n`);
    const output = join(dir, 'win-fixed.jsonl');
    const result = await tether(input, '--fix', output);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.equal(readFileSync(output, 'utf8'), `${OK}\n${OK}\n`);
    assert.match(result.stdout, /line 1 +removed the UTF-8 byte order mark/);
    assert.match(result.stdout, /line 2 +removed the blank line/);
    assert.match(result.stdout, /win-fixed\.jsonl: valid/);
    const json = await tether(input, '--fix', join(dir, 'again.jsonl'), '--json');
    assert.deepEqual((JSON.parse(json.stdout) as { fix: { counts: unknown } }).fix.counts, { bom: 1, crlf: 2, 'blank-line': 1 });
    assert.equal((await tether(input, '--fix', input)).status, 2);
  });
});
