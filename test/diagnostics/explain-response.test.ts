// `tether explain --response FILE|-`: the CLI reads a saved response and classifies it like --status/--body/--header.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function explain(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/tether.js', 'explain', ...args], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

const KEY = 'tgp_v1_Zx9Qm3Lr7Tn2Wp5Yk8Hd4Fs6Gj1Bc0Va';
const SAVED_429 =
  'HTTP/2 429 \r\ncontent-type: application/json\r\nretry-after: 2\r\nx-request-id: req-saved-1\r\n\r\n' +
  '{"id":"r1","error":{"message":"Rate limit exceeded.","type":"dynamic_request_limited","param":null,"code":null}}';

describe('tether explain --response', { concurrency: true }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-explain-response-'));
    writeFileSync(join(dir, '429.txt'), SAVED_429);
    writeFileSync(join(dir, '401.txt'), `HTTP/1.1 401 Unauthorized\ncontent-type: application/json\n\n{"error":{"message":"Invalid API key ${KEY}","type":"invalid_request_error","code":"invalid_api_key"}}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('from a file: the same classification as the flags give', async () => {
    const run = await explain(['--response', join(dir, '429.txt'), '--json']);
    assert.equal(run.status, 0, run.stderr);
    const error = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(error.category, 'rate_limit');
    assert.equal(error.code, 'dynamic_request_limited');
    assert.equal(error.retryAfterMs, 2000);
    assert.equal(error.requestId, 'req-saved-1');
  });

  test('from stdin, with --key-source; a key in the saved body is never echoed', async () => {
    const run = await explain(['--response', '-', '--key-source', 'config'], `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\r\n{"error":{"message":"Invalid API key ${KEY}","code":"invalid_api_key"}}`);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^category\s+auth$/m);
    assert.match(run.stdout, /config file/);
    assert.ok(!run.stdout.includes(KEY));
  });

  test('usage errors: not a saved response, a missing file, and --response combined with --status', async () => {
    const garbage = await explain(['--response', '-'], '{"error":"just a body"}');
    assert.equal(garbage.status, 2);
    assert.match(garbage.stderr, /--response \(stdin\): line 1 is not an HTTP status line; .*curl -i/);
    const missing = await explain(['--response', join(dir, 'nope.txt')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read the --response file .*nope\.txt \(ENOENT\)/);
    const both = await explain(['--response', join(dir, '429.txt'), '--status', '500']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /do not combine it with --status/);
  });
});
