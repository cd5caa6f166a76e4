// `tether run` and `tether batch`: argument checks, exit codes, the printed resume command (secrets replaced),
// and a classified error for an unknown batch id. The full paths against the emulator are in test/e2e/batch-*.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resumeCommand, shellQuote } from '../../src/cli/commands/run.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { runCli, tempDir, writeRequests } from '../batch/cli-helpers.js';
import { writeFileSync } from 'node:fs';

describe('resumeCommand', () => {
  test('repeats the arguments, quoting what a shell would split', () => {
    assert.equal(resumeCommand(['run', 'my file.jsonl', '-o', 'out.jsonl', '--max-cost', '5']), "tether run 'my file.jsonl' -o out.jsonl --max-cost 5");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  test('never prints an API key or a Redis password', () => {
    const line = resumeCommand(['run', 'in.jsonl', '-o', 'o', '--api-key', 'tgp_v1_secret', '--store', 'redis://user:hunter2@db:6379/0']);
    assert.doesNotMatch(line, /tgp_v1_secret|hunter2/);
    assert.match(line, /--api-key <your-api-key>/);
    assert.match(line, /redis:\/\/user:<password>@db:6379\/0/);
    assert.doesNotMatch(resumeCommand(['run', 'in', '-o', 'o', '--api-key=tgp_v1_secret']), /tgp_v1_secret/);
  });
});

describe('tether run / tether batch exit codes', { concurrency: true }, () => {
  let emu: RunningEmulator;
  let env: { baseUrl: string; apiKey: string };
  before(async () => {
    emu = await startEmulator({ port: 0, keys: [{ key: 'k-cli' }] });
    env = { baseUrl: emu.baseUrl, apiKey: 'k-cli' };
  });
  after(() => emu.close());

  test('usage errors exit 2; an invalid input file exits 1 and lists every bad line', async (t) => {
    const dir = tempDir(t);
    const good = join(dir, 'good.jsonl');
    writeRequests(good, 2);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"custom_id": "a", "body": {"model": "m", "messages": []}}\nnot json\n');
    const [concurrency, store, invalid, missing] = await Promise.all([
      runCli(['run', good, '-o', join(dir, 'o1'), '--concurrency', '0'], env),
      runCli(['run', good, '-o', join(dir, 'o2'), '--store', 'ftp://x'], env),
      runCli(['run', bad, '-o', join(dir, 'o3')], env),
      runCli(['run', join(dir, 'nope.jsonl'), '-o', join(dir, 'o4')], env),
    ]);
    assert.equal(concurrency.code, 2);
    assert.match(concurrency.stderr, /--concurrency must be a whole number/);
    assert.equal(store.code, 2);
    assert.match(store.stderr, /--store accepts a file path, redis:\/\/host:port\[\/db\] or memory/);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /2 problem\(s\); nothing was sent/);
    assert.match(invalid.stderr, /line 1: body\.messages must contain at least one message/);
    assert.match(invalid.stderr, /line 2: not valid JSON/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.jsonl: no such file or directory/);
    assert.equal(emu.stats().byPath['/v1/chat/completions'] ?? 0, 0);
  });

  test('batch status of an unknown id exits 1 with a classified error; submit --dry-run uploads nothing', async (t) => {
    const dir = tempDir(t);
    const input = join(dir, 'in.jsonl');
    writeRequests(input, 3);
    const [status, dry] = await Promise.all([
      runCli(['batch', 'status', '00000000-0000-4000-8000-000000000000'], env),
      runCli(['batch', 'submit', input, '--dry-run', '--json'], env),
    ]);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /Batch job 00000000-0000-4000-8000-000000000000 not found/);
    assert.match(status.stderr, /tether batch list/);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout), { requests: 3, dryRun: true, split: false, parts: [{ part: 1, first: 0, count: 3, bytes: JSON.parse(dry.stdout).parts[0].bytes }] });
    assert.equal(emu.stats().byPath['/v1/files'] ?? 0, 0);
  });
});
