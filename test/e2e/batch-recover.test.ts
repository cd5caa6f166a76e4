// `tether batch recover` end to end: the CLI in a child process against the emulator. A 2,000-request batch
// expires after 1,300 requests with 50 per-request errors (25 retryable); recover sends exactly the 700 never
// run (plus the 25 retryable ones with --retry-errors), survives a 402 part-way, and writes every line once, in
// input order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { printedResumeArgs, runCli, tempDir, writeRequests } from '../batch/cli-helpers.js';

const KEY = 'tk-batch-recover';
const TOTAL = 2000;
const EXPIRE_AFTER = 1300;

interface ResultLine {
  custom_id: string;
  response?: { choices?: unknown[] };
  error?: { code: string | null; message: string };
}

function readResults(path: string): ResultLine[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as ResultLine);
}

describe('tether batch recover against the emulator', () => {
  let emu: RunningEmulator;
  let env: { baseUrl: string; apiKey: string };
  before(async () => {
    emu = await startEmulator({
      port: 0,
      seed: 11,
      keys: [{ key: KEY, requestsPerSecond: 100_000, tokensPerMinute: 1_000_000_000, creditsUsd: 1000 }],
      batches: {
        stepMs: 5,
        linesPerStep: 2000,
        endings: [{ afterLines: EXPIRE_AFTER, status: 'EXPIRED' }],
        // Positions 25, 77, … (retryable: rate limited) and 51, 103, … (a bad request): 25 + 25 in the first 1,300.
        lineErrors: [
          { every: 52, offset: 25, code: 'rate_limit_exceeded', message: 'Rate limit exceeded for the batch pool.' },
          { every: 52, offset: 51, code: 'invalid_request_error', message: 'The request is invalid.' },
        ],
      },
    });
    env = { baseUrl: emu.baseUrl, apiKey: KEY };
  });
  after(() => emu.close());

  /** One expired batch for both tests (each recovers it into its own output and checkpoint), made over HTTP. */
  let expired: Promise<string> | undefined;
  async function expiredBatch(dir: string): Promise<string> {
    expired ??= (async () => {
      const input = join(dir, 'in.jsonl');
      writeRequests(input, TOTAL);
      const form = new FormData();
      form.set('purpose', 'batch-api');
      form.set('file_name', 'in.jsonl');
      form.set('file', new Blob([readFileSync(input)]), 'in.jsonl');
      const auth = { authorization: `Bearer ${KEY}` };
      const file = (await (await fetch(`${emu.baseUrl}/files/upload`, { method: 'POST', headers: auth, body: form })).json()) as { id: string };
      const created = await fetch(`${emu.baseUrl}/batches`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ endpoint: '/v1/chat/completions', input_file_id: file.id }),
      });
      const { job } = (await created.json()) as { job: { id: string } };
      const waited = await runCli(['batch', 'wait', job.id, '--interval', '0.05', '--json'], env);
      const [final] = JSON.parse(waited.stdout) as Array<{ status: string; output_file_id?: string; error_file_id?: string }>;
      assert.equal(final?.status, 'EXPIRED');
      assert.ok(final?.output_file_id && final.error_file_id, 'an expired batch keeps a partial output file and an error file');
      return job.id;
    })();
    return expired;
  }

  test('an expired batch: recover sends exactly the 700 missing, resumes after a 402, merged file complete and in order', async (t) => {
    const dir = tempDir(t);
    const id = await expiredBatch(dir);
    const out = join(dir, 'recovered.jsonl');

    emu.reset({ credits: false, stats: true, faults: false, limits: false });
    emu.setFaults([{ kind: 'credits', afterRequests: 300 }]);
    const stopped = await runCli(['batch', 'recover', id, '-o', out, '--concurrency', '32'], env);
    assert.equal(stopped.code, 1, stopped.stderr);
    assert.match(stopped.stderr, /credits ran out/);
    assert.equal(emu.stats().inferenceCalls, 300);

    emu.setFaults([]);
    emu.reset({ credits: true, stats: true, faults: false, limits: false });
    const resumed = await runCli(printedResumeArgs(stopped.stderr), env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(emu.stats().inferenceCalls, 400, 'the resume sends only what the stopped recover did not');
    assert.match(resumed.stdout, /1250 answered and 50 failed kept; 700 never run sent again live/);

    const lines = readResults(out);
    assert.deepEqual(lines.map((l) => l.custom_id), Array.from({ length: TOTAL }, (_, i) => `req-${i}`), 'every line once, in input order');
    const errors = lines.filter((l) => l.error);
    assert.equal(errors.length, 50, 'the batch errors are kept, not resent');
    assert.ok(lines.slice(EXPIRE_AFTER).every((l) => l.response), 'the 700 the batch never ran are answered live');
  });

  test('--retry-errors also resends the 25 failed with a retryable error, and only those', async (t) => {
    const dir = tempDir(t);
    const id = await expiredBatch(dir);
    const out = join(dir, 'recovered.jsonl');
    emu.reset({ credits: true, stats: true, faults: false, limits: false });
    const run = await runCli(['batch', 'recover', id, '-o', out, '--retry-errors', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { resent: { missing: number; retryableErrors: number; sentThisRun: number }; failed: number };
    assert.deepEqual(summary.resent, { missing: 700, retryableErrors: 25, sentThisRun: 725 });
    assert.equal(emu.stats().inferenceCalls, 725);
    const lines = readResults(out);
    assert.deepEqual(lines.map((l) => l.custom_id), Array.from({ length: TOTAL }, (_, i) => `req-${i}`));
    const errors = lines.filter((l) => l.error);
    assert.equal(errors.length, 25, 'only the non-retryable batch errors remain');
    assert.equal(summary.failed, 25);

    const again = await runCli(['batch', 'recover', id, '-o', out, '--retry-errors', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(emu.stats().inferenceCalls, 725, 're-running a finished recover sends nothing');
  });

  test('--via batch resubmits the 700 missing as one new batch; what it fails retryably goes live', async (t) => {
    const dir = tempDir(t);
    const id = await expiredBatch(dir);
    const out = join(dir, 'recovered.jsonl');
    emu.reset({ credits: true, stats: true, faults: false, limits: false });
    const before = ((await (await fetch(`${emu.baseUrl}/batches`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as unknown[]).length;
    const run = await runCli(['batch', 'recover', id, '-o', out, '--via', 'batch', '--deadline', '5m', '--batch-poll', '0.05', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const jobs = (await (await fetch(`${emu.baseUrl}/batches`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Array<{ status: string }>;
    assert.equal(jobs.length, before + 1, 'one new batch');
    // The emulator's injected errors apply to the new 700-line batch too: 13 rate-limited (sent live), 13 bad requests (kept).
    assert.equal(emu.stats().inferenceCalls, 13);
    const lines = readResults(out);
    assert.deepEqual(lines.map((l) => l.custom_id), Array.from({ length: TOTAL }, (_, i) => `req-${i}`));
    assert.equal(lines.filter((l) => l.error).length, 50 + 13);
  });
});
