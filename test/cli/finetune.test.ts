// `tether finetune ...` run as a user would (a child process) against emulators in this process: output,
// exit codes (0 ok, 1 invalid file / failed job / API error, 2 usage) and what reached the API. Commands that
// do not depend on each other run concurrently to keep the file fast.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from '../../src/api/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { cancelJob, createJob, uploadFile } from '../../src/finetune/index.js';

const KEY = 'tk-cli-finetune-0123456789';
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
const GOOD = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tether(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, TOGETHER_API_KEY: undefined, TOGETHER_BASE_URL: undefined, ...env };
    for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
    execFile(process.execPath, ['bin/tether.js', 'finetune', ...args], { env: childEnv, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('tether finetune against the emulator', () => {
  let fast: RunningEmulator;
  let slow: RunningEmulator;
  let dir: string;
  const on = (emu: RunningEmulator) => ({ TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: emu.baseUrl });
  const path = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  /** Every command that needs no other command's output, run at once (spawning the CLI is the slow part). */
  let first: Record<string, Run>;
  let slowJobs: string[];
  let cancelledJob: string;
  let fineTunesBefore: number;

  before(async () => {
    const keys = [{ key: KEY, name: 'cli' }];
    fast = await startEmulator({ port: 0, keys, fineTuneStepMs: 40, fineTuneFailures: [{ suffix: 'doomed', message: 'GPU fell over' }] });
    slow = await startEmulator({ port: 0, keys, fineTuneStepMs: 60_000 });
    dir = mkdtempSync(join(tmpdir(), 'tether-cli-ft-'));
    const fastApi = createTransport({ baseUrl: fast.baseUrl, apiKey: KEY });
    const slowApi = createTransport({ baseUrl: slow.baseUrl, apiKey: KEY });
    try {
      const fastFile = (await uploadFile(fastApi, path('train.jsonl', GOOD.repeat(4)))).file.id;
      const slowFile = (await uploadFile(slowApi, path('s.jsonl', GOOD))).file.id;
      slowJobs = [];
      for (let i = 0; i < 3; i++) slowJobs.push((await createJob(slowApi, { model: MODEL, training_file: slowFile })).id);
      cancelledJob = (await createJob(fastApi, { model: MODEL, training_file: fastFile })).id;
      await cancelJob(fastApi, cancelledJob);
      fast.resetStats();
      const target = slowJobs[1]!;
      const runs: Record<string, Promise<Run>> = {
        invalid: tether(['upload', path('bad.jsonl', `${GOOD}{"messages":[]}\n`)], on(fast)),
        valid: tether(['upload', path('good.jsonl', GOOD.repeat(3)), '--json', '--flow', 'multipart'], on(fast)),
        rejected: tether(['upload', path('mixed.jsonl', `${GOOD}{"text":"x"}\n`), '--no-validate'], on(fast)),
        noKey: tether(['upload', path('k.jsonl', GOOD)], { TOGETHER_BASE_URL: fast.baseUrl }),
        created: tether(['create', '--model', MODEL, '--training-file', fastFile, '--n-epochs', '2', '--lora-r', '16', '--suffix', 'cli', '--json'], on(fast)),
        doomed: tether(['create', '--model', MODEL, '--training-file', fastFile, '--suffix', 'doomed', '--json'], on(fast)),
        zeroEpochs: tether(['create', '--model', MODEL, '--training-file', fastFile, '--n-epochs', '0'], on(fast)),
        missing: tether(['get', target.slice(0, 14)], on(slow)),
        missingJson: tether(['events', `${target}x`, '--json'], on(slow)),
        cancel: tether(['cancel', slowJobs[2]!], on(slow)),
        waitCancelled: tether(['wait', cancelledJob, '--interval', '0.05'], on(fast)),
      };
      first = Object.fromEntries(await Promise.all(Object.entries(runs).map(async ([name, run]) => [name, await run] as const)));
      fineTunesBefore = fast.stats().byPath['/v1/fine-tunes'] ?? 0;
    } finally {
      await fastApi.close();
      await slowApi.close();
    }
  });
  after(async () => {
    await fast.close();
    await slow.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('upload: refuses an invalid file with the report (nothing sent); uploads a valid one; reports a server-side rejection', async () => {
    const { invalid, valid, rejected, noKey } = first as Record<string, Run> & { invalid: Run; valid: Run; rejected: Run; noKey: Run };
    assert.equal(invalid.code, 1, invalid.stderr);
    assert.match(invalid.stdout, /bad\.jsonl: INVALID, 1 error/);
    assert.match(invalid.stdout, /line 2 +messages\.empty/);
    assert.match(invalid.stderr, /was not uploaded/);
    assert.equal(valid.code, 0, valid.stderr);
    const result = JSON.parse(valid.stdout);
    assert.match(result.file.id, /^file-/);
    assert.equal(result.file.processing_status, 'COMPLETED');
    assert.equal(result.validation.valid, true);
    assert.equal(valid.stderr, '', 'no progress output off a terminal');
    assert.equal(rejected.code, 1);
    assert.match(rejected.stderr, /Together rejected mixed\.jsonl after upload \(processing_status INVALID_FORMAT\)/);
    assert.match(rejected.stderr, /fix: /);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no API key: set TOGETHER_API_KEY or pass --api-key/);
    const files = (await fetch(`${fast.baseUrl}/files`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.json())) as { data: Array<{ filename: string }> };
    assert.ok(!files.data.some((f) => f.filename === 'bad.jsonl' || f.filename === 'k.jsonl'), 'the invalid file never reached the API');
    assert.ok(files.data.some((f) => f.filename === 'good.jsonl') && files.data.some((f) => f.filename === 'mixed.jsonl'));
  });

  test('create, list, get, events, wait; a failed job exits 1; bad flags exit 2 without a request', async () => {
    const { created, doomed, zeroEpochs } = first as Record<string, Run> & { created: Run; doomed: Run; zeroEpochs: Run };
    assert.equal(zeroEpochs.code, 2);
    assert.match(zeroEpochs.stderr, /`n_epochs` must be an integer ≥ 1/);
    assert.equal(fineTunesBefore, 2, 'only the two valid creates were sent');
    assert.equal(created.code, 0, created.stderr);
    const job = JSON.parse(created.stdout);
    assert.deepEqual(job.training_type, { type: 'Lora', lora_r: 16, lora_alpha: 32, lora_dropout: 0, lora_trainable_modules: 'all-linear' });
    assert.equal(job.n_epochs, 2);
    const failing = JSON.parse(doomed.stdout);

    const [list, get, events, wait, waitFailed] = await Promise.all([
      tether(['list'], on(fast)),
      tether(['get', job.id], on(fast)),
      tether(['events', job.id], on(fast)),
      tether(['wait', job.id, '--interval', '0.05'], on(fast)),
      tether(['wait', failing.id, '--interval', '0.05', '--json'], on(fast)),
    ]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^ID +STATUS +MODEL +CREATED +OUTPUT/);
    assert.ok(list.stdout.includes(job.id) && list.stdout.includes(failing.id));
    assert.equal(get.code, 0);
    assert.match(get.stdout, new RegExp(`^${job.id}\\n  status: +\\w+`));
    assert.match(get.stdout, /suffix: +cli/);
    assert.equal(events.code, 0);
    assert.match(events.stdout.split('\n')[0] ?? '', /info +job_pending +Fine-tune request created/);
    assert.equal(wait.code, 0, wait.stderr);
    assert.match(wait.stdout, new RegExp(`${job.id}: completed \\(model cli/Meta-Llama-3\\.1-8B-Instruct-Reference-cli-`));
    assert.equal(wait.stderr, '', 'quiet off a terminal');
    assert.equal(waitFailed.code, 1);
    assert.equal(JSON.parse(waitFailed.stdout).status, 'error');
  });

  test('an unknown job id exits 1 and lists the account’s jobs, nearest id first', () => {
    const { missing, missingJson } = first as Record<string, Run> & { missing: Run; missingJson: Run };
    const target = slowJobs[1]!;
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Fine-tune job ft-\S+ not found/);
    assert.match(missing.stderr, new RegExp(`fix: +Use one of this account's 3 job ids, nearest first: ${target} \\(`));
    const table = missing.stderr.slice(missing.stderr.indexOf("this account's jobs, nearest id first:"));
    assert.ok(table.split('\n')[2]?.startsWith(target), table);
    assert.equal(missingJson.code, 1);
    const body = JSON.parse(missingJson.stdout);
    assert.equal(body.error.category, 'not_found');
    assert.equal(body.jobs[0].id, target);
  });

  test('cancel: the job goes to cancel_requested; wait on a cancelled job exits 1', () => {
    const { cancel, waitCancelled } = first as Record<string, Run> & { cancel: Run; waitCancelled: Run };
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`cancellation requested for ${slowJobs[2]} \\(status cancel_requested\\)`));
    assert.equal(waitCancelled.code, 1);
    assert.match(waitCancelled.stdout, new RegExp(`${cancelledJob}: cancelled`));
  });
});
