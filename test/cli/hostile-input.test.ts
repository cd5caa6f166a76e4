// Issue 15, failures 9 and 10, through the real CLI process: untrusted text never reaches the terminal as
// control sequences, a path that cannot be read or written is a usage error (exit 2) naming the path and the
// fix, and an absurd retry-after is shown as such.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function tether(args: string[], options: { cwd?: string; uid?: number; gid?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(process.cwd(), 'bin/tether.js'), ...args],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, TOGETHER_API_KEY: '' }, ...options },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** What a terminal would act on: C0 but TAB and LF, DEL, C1, bidi and line controls. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/; // eslint-disable-line no-control-regex
const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\x1b[H\u009b31m\u202eevil\r';

describe('hostile input to the CLI', { concurrency: true }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-hostile-'));
    chmodSync(dir, 0o755); // the unreadable-file case runs as another user when the tests run as root
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('explain --body: escape sequences in the message are shown escaped, in human and JSON output', async () => {
    const body = JSON.stringify({ error: { message: `bad${HOSTILE}request`, type: 'invalid_request_error', code: `c${HOSTILE}` } });
    const human = await tether(['explain', '--status', '400', '--body', body]);
    assert.equal(human.status, 0, human.stderr);
    assert.doesNotMatch(human.stdout, UNSAFE);
    assert.match(human.stdout, /\\x1b\]0;pwned\\x07/);
    const json = await tether(['explain', '--status', '400', '--body', body, '--json']);
    assert.equal(json.status, 0, json.stderr);
    assert.doesNotMatch(json.stdout.replace(/\n/g, ''), UNSAFE);
    assert.match((JSON.parse(json.stdout) as { message: string }).message, /\u009b31m/);
  });

  test('explain --response: escapes in a saved response\'s headers and body are shown escaped', async () => {
    const path = join(dir, 'saved.txt');
    writeFileSync(path, `HTTP/1.1 429 Too Many Requests\r\nx-request-id: id${HOSTILE.replace('\r', '')}\r\nretry-after: 2\r\n\r\n{"error":{"message":"slow${HOSTILE.replace(/[\x1b\x07\r]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"}}`); // eslint-disable-line no-control-regex
    const run = await tether(['explain', '--response', path]);
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stdout, UNSAFE);
    assert.match(run.stdout, /request id +id\\x1b/);
  });

  test('explain --body @/dev/zero and tokens /dev/zero stop at their size cap (exit 2), memory bounded', async (t) => {
    if (process.platform === 'win32') return t.skip('no /dev/zero');
    const [body, tokens] = await Promise.all([tether(['explain', '--status', '400', '--body', '@/dev/zero']), tether(['tokens', '/dev/zero', '--model', 'llama3'])]);
    assert.equal(body.status, 2, body.stderr);
    assert.match(body.stderr, /the --body file \/dev\/zero is larger than 16 MiB/);
    assert.equal(tokens.status, 2, tokens.stderr);
    assert.match(tokens.stderr, /the input \/dev\/zero is larger than 64 MiB/);
  });

  test('explain: a line break in a server message cannot forge a row', async () => {
    const run = await tether(['explain', '--status', '500', '--body', JSON.stringify({ error: { message: 'oops\nfix          send your key to evil.example' } })]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.split('\n').filter((line) => line.startsWith('fix')).length, 1);
  });

  test('explain: an absurd retry-after is shown as more than 365 days, not as 16666666666666666000 min', async () => {
    const run = await tether(['explain', '--status', '429', '--header', 'retry-after: 1000000000000000000000']);
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /e\+|\d{12,}/);
    assert.match(run.stdout, /Wait more than 365 days/);
    assert.match(run.stdout, /retry after +more than 365 days \(implausible/);
  });

  test('validate: keys and values quoted from a dataset line are shown escaped', async () => {
    const path = join(dir, 'evil.jsonl');
    writeFileSync(path, `${JSON.stringify({ [`k${HOSTILE}`]: 1 })}\n${JSON.stringify({ messages: [{ role: `u${HOSTILE}`, content: 'x' }] })}\n`);
    const run = await tether(['validate', path]);
    assert.equal(run.status, 1, run.stderr);
    assert.doesNotMatch(run.stdout, UNSAFE);
    assert.match(run.stdout, /\\x9b31m\\u202eevil/); // the one-byte CSI and the bidi override JSON quoting left raw
  });

  test('an unknown option echoed by the argument parser is shown escaped (exit 2)', async () => {
    const run = await tether(['explain', `--x${HOSTILE}`]);
    assert.equal(run.status, 2);
    assert.doesNotMatch(run.stderr, UNSAFE);
    assert.match(run.stderr, /unknown option/);
  });

  test('validate: a missing file or a directory is a usage error (exit 2) naming the path', async () => {
    const missing = await tether(['validate', join(dir, 'nope.jsonl')]);
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /nope\.jsonl: no such file/);
    const directory = await tether(['validate', dir]);
    assert.equal(directory.status, 2, directory.stderr);
    assert.match(directory.stderr, /is a directory/);
  });

  test('validate: an unreadable file (EACCES) is a usage error (exit 2), not a finding', async (t) => {
    const path = join(dir, 'locked.jsonl');
    writeFileSync(path, '{"text": "hello"}\n');
    chmodSync(path, 0o000);
    const asRoot = process.getuid?.() === 0;
    if (process.getuid === undefined) return t.skip('no POSIX users here');
    // Root reads any file: run the CLI as nobody instead.
    const run = await tether(['validate', path], asRoot ? { uid: 65534, gid: 65534, cwd: dir } : {});
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /locked\.jsonl: permission denied; check its permissions/);
  });

  test('run -o into a missing directory is a usage error (exit 2) that says to create it', async () => {
    const input = join(dir, 'requests.jsonl');
    writeFileSync(input, `${JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })}\n`);
    const run = await tether(['run', input, '-o', join(dir, 'missing-dir', 'out.jsonl'), '--api-key', 'k', '--base-url', 'http://127.0.0.1:9/v1']);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /missing-dir does not exist; create it first \(mkdir -p /);
  });

  test('validate --fix and batch results -o into a missing directory exit 2', async () => {
    const input = join(dir, 'ok.jsonl');
    writeFileSync(input, '{"text": "hello"}\n');
    const fix = await tether(['validate', input, '--fix', join(dir, 'nodir', 'fixed.jsonl')]);
    assert.equal(fix.status, 2, fix.stderr);
    assert.match(fix.stderr, /nodir does not exist/);
    const results = await tether(['batch', 'results', 'batch-1', '-o', join(dir, 'nodir', 'r.jsonl'), '--api-key', 'k', '--base-url', 'http://127.0.0.1:9/v1']);
    assert.equal(results.status, 2, results.stderr);
    assert.match(results.stderr, /nodir does not exist/);
  });
});
