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

/** `node bin/tether.js explain …`, asynchronously so the cases run side by side. */
function explain(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/tether.js', 'explain', ...args], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

const CONTEXT_BODY = JSON.stringify({
  message:
    'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3997 `inputs` tokens and 100 `max_new_tokens`',
});
const KEY = 'tgp_v1_Zx9Qm3Lr7Tn2Wp5Yk8Hd4Fs6Gj1Bc0Va';

describe('tether explain', { concurrency: true }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-explain-'));
    writeFileSync(join(dir, 'body.json'), CONTEXT_BODY);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('human output: aligned lines for a rate limit with retry-after and a request id', async () => {
    const run = await explain(
      '--status',
      '429',
      '--header',
      'Retry-After: 2',
      '-H',
      'x-request-id: req-123',
      '--body',
      '{"error":{"message":"Rate limit exceeded.","type":"dynamic_request_limited","param":null,"code":null}}',
    );
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    const labels = lines.map((line) => line.split(/\s{2,}/)[0]);
    assert.deepEqual(labels, ['category', 'status', 'code', 'message', 'cause', 'fix', 'retryable', 'retry after', 'request id']);
    const valueColumn = lines.map((line) => line.search(/(?<=\S\s{2,})\S/));
    assert.equal(new Set(valueColumn).size, 1, 'values start in one column');
    assert.match(run.stdout, /^category\s+rate_limit$/m);
    assert.match(run.stdout, /^code\s+dynamic_request_limited$/m);
    assert.match(run.stdout, /^retryable\s+yes$/m);
    assert.match(run.stdout, /^retry after\s+2 s \(2000 ms\)$/m);
    assert.match(run.stdout, /^request id\s+req-123$/m);
  });

  test('--json prints toJSON(), with details for a context-length error read from --body @file', async () => {
    const run = await explain('--status', '400', '--body', `@${join(dir, 'body.json')}`, '--model', 'some/model', '--json');
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(json.name, 'TogetherError');
    assert.equal(json.status, 400);
    assert.equal(json.category, 'context_length');
    assert.equal(json.retryable, false);
    assert.equal(json.model, 'some/model');
    assert.deepEqual(json.details, { limit: 4096, promptTokens: 3997, maxTokens: 100 });
    assert.equal(typeof json.cause, 'string');
    assert.equal(typeof json.fix, 'string');
  });

  test('--network classifies a transport error code', async () => {
    const dns = await explain('--network', 'ENOTFOUND', '--json');
    assert.equal(dns.status, 0, dns.stderr);
    const json = JSON.parse(dns.stdout) as Record<string, unknown>;
    assert.equal(json.category, 'network');
    assert.equal(json.code, 'ENOTFOUND');
    assert.equal(json.retryable, false);
    const timeout = await explain('--network', 'TimeoutError');
    assert.equal(timeout.status, 0, timeout.stderr);
    assert.match(timeout.stdout, /^category\s+timeout$/m);
    assert.match(timeout.stdout, /^retryable\s+yes$/m);
  });

  test('--key-source shapes the 401 fix; an API key passed in a header or the body is never echoed', async () => {
    const runs = await Promise.all([
      explain('--status', '401', '--key-source', 'flag', '-H', `Authorization: Bearer ${KEY}`, '--body', `{"error":{"message":"Invalid API key ${KEY}","code":"invalid_api_key"}}`, '--json'),
      explain('--status', '401', '-H', `Authorization: Bearer ${KEY}`, '--body', `Bearer ${KEY} rejected`),
      explain('--status', '400', '-H', `Authorization Bearer ${KEY}`),
      explain('--status', KEY),
    ]);
    for (const run of runs) {
      assert.ok(!run.stdout.includes(KEY) && !run.stderr.includes(KEY), `${run.stdout}${run.stderr}`);
    }
    assert.equal(runs[0]!.status, 0, runs[0]!.stderr);
    const json = JSON.parse(runs[0]!.stdout) as { cause: string; message: string; code: string };
    assert.match(json.cause, /--api-key flag/);
    assert.equal(json.code, 'invalid_api_key');
    assert.equal(json.message, 'Invalid API key [redacted]');
    assert.equal(runs[1]!.status, 0, runs[1]!.stderr);
    assert.equal(runs[2]!.status, 2, 'a header with no colon is a usage error');
    assert.match(runs[2]!.stderr, /name: value/);
    assert.equal(runs[3]!.status, 2, 'a non-numeric status is a usage error');
  });

  test('usage errors exit 2 with a message that says what to do', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /--status/],
      [['--status', '700'], /between 100 and 599/],
      [['--status', '400', '--body', `@${join(tmpdir(), 'tether-no-such-file.json')}`], /cannot read the --body file/],
      [['--status', '400', '--network', 'ECONNRESET'], /do not combine/],
      [['--status', '401', '--key-source', 'vault'], /env, flag, config/],
    ];
    const runs = await Promise.all(cases.map(([args]) => explain(...args)));
    runs.forEach((run, index) => {
      const [args, message] = cases[index]!;
      assert.equal(run.status, 2, `${args.join(' ')} → ${run.status} ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(run.stdout, '');
    });
  });
});
