// The job workflow against the emulator: create → wait → completed; cancel; a failing job; 404 with the
// account's jobs nearest first; waitForJob's timeout, abort and riding out transient 503s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from '../../src/api/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { JobNotFoundError, cancelJob, createJob, getJob, listEvents, listJobs, uploadFile, waitForJob } from '../../src/finetune/index.js';
import type { WaitProgress } from '../../src/finetune/index.js';
import { GOOD_LINE, MODEL, harness } from './helpers.js';
import type { Harness } from './helpers.js';

describe('fine-tune jobs against the emulator', () => {
  let h: Harness;
  let fileId: string;

  before(async () => {
    h = await harness({
      fineTuneFailures: [
        { suffix: 'crash', message: 'NCCL timeout on node 3' },
        { suffix: 'baddata', at: 'queued', status: 'user_error', message: 'Dataset has too few tokens' },
      ],
    });
    fileId = (await uploadFile(h.transport, h.file('train.jsonl', GOOD_LINE.repeat(5)))).file.id;
  });
  after(() => h.close());

  test('create → wait: the job goes through every status to completed, each event reported once', async () => {
    const job = await createJob(h.transport, { model: MODEL, training_file: fileId, n_epochs: 2, suffix: 'ok' });
    assert.equal(job.status, 'pending');
    assert.equal(job.training_file, fileId);
    const updates: WaitProgress[] = [];
    const done = await waitForJob(h.transport, job.id, { intervalMs: 10, onProgress: (p) => updates.push(p) });
    assert.equal(done.status, 'completed');
    const statuses = updates.filter((u) => u.statusChanged).map((u) => u.job.status);
    const order = ['pending', 'queued', 'running', 'compressing', 'uploading', 'completed'];
    assert.deepEqual(statuses, order.filter((s) => statuses.includes(s)), 'statuses arrive in lifecycle order');
    assert.equal(statuses.at(-1), 'completed');
    const reported = updates.flatMap((u) => u.newEvents.map((e) => e.type));
    const events = await listEvents(h.transport, job.id);
    assert.deepEqual(reported, events.map((e) => e.type), 'every event exactly once, in order');
    assert.equal(events.filter((e) => e.type === 'epoch_complete').length, 2);
    const full = await getJob(h.transport, job.id);
    assert.equal(full.epochs_completed, 2);
    assert.ok((await listJobs(h.transport)).some((j) => j.id === job.id));
  });

  test('cancel: cancel_requested, then wait returns the cancelled job (not an exception)', async () => {
    const job = await createJob(h.transport, { model: MODEL, training_file: fileId });
    const cancelling = await cancelJob(h.transport, job.id);
    assert.equal(cancelling.status, 'cancel_requested');
    const final = await waitForJob(h.transport, job.id, { intervalMs: 10 });
    assert.equal(final.status, 'cancelled');
    const cancelAgain = await cancelJob(h.transport, job.id).catch((e: unknown) => e);
    assert.ok(isTogetherError(cancelAgain));
    assert.equal(cancelAgain.status, 400);
    assert.match(cancelAgain.message, /already cancelled/);
  });

  test('wait returns a job that ended in error, and one that ended in user_error, with the failing event', async () => {
    const crash = await createJob(h.transport, { model: MODEL, training_file: fileId, suffix: 'crash' });
    const failed = await waitForJob(h.transport, crash.id, { intervalMs: 10 });
    assert.equal(failed.status, 'error');
    assert.equal(failed.events?.at(-1)?.message, 'NCCL timeout on node 3');
    const bad = await createJob(h.transport, { model: MODEL, training_file: fileId, suffix: 'baddata' });
    assert.equal((await waitForJob(h.transport, bad.id, { intervalMs: 10 })).status, 'user_error');
  });

  test('an unknown id is a JobNotFoundError listing the account’s jobs, nearest first, on get, events, cancel and wait', async () => {
    const jobs = await listJobs(h.transport);
    assert.ok(jobs.length >= 3);
    const target = jobs[1]!;
    const typo = `${target.id.slice(0, -1)}${target.id.endsWith('0') ? '1' : '0'}`;
    for (const call of [
      () => getJob(h.transport, typo),
      () => listEvents(h.transport, typo),
      () => cancelJob(h.transport, typo),
      () => waitForJob(h.transport, typo, { intervalMs: 10 }),
    ]) {
      const error = await call().catch((e: unknown) => e);
      assert.ok(error instanceof JobNotFoundError, String(error));
      assert.equal(error.category, 'not_found');
      assert.equal(error.status, 404);
      assert.equal(error.retryable, false);
      assert.equal(error.candidates[0]?.id, target.id, 'the near miss comes first');
      assert.deepEqual(error.candidates.map((j) => j.id).sort(), jobs.map((j) => j.id).sort(), 'all of the account’s jobs');
      assert.ok(error.fix.startsWith(`Use one of this account's ${jobs.length} job ids, nearest first: ${target.id} (`), error.fix);
      assert.equal(error.details?.['jobs'], jobs.length);
      assert.equal(typeof error.requestId, 'string');
    }
  });

  test('on an account with no jobs, the 404 says so', async () => {
    const other = await harness();
    try {
      const error = await getJob(other.transport, 'ft-anything').catch((e: unknown) => e);
      assert.ok(error instanceof JobNotFoundError);
      assert.deepEqual(error.candidates, []);
      assert.match(error.fix, /no fine-tune jobs yet/);
    } finally {
      await other.close();
    }
  });

  test('a create the server refuses (bad training file) is a classified validation error', async () => {
    const error = await createJob(h.transport, { model: MODEL, training_file: 'file-does-not-exist' }).catch((e: unknown) => e);
    assert.ok(isTogetherError(error));
    assert.equal(error.status, 400);
    assert.equal(error.category, 'validation');
    assert.equal(error.param, 'training_file');
  });

  test('waitForJob rides out a few 503s in a row, and gives up after maxConsecutiveErrors', async () => {
    const job = await createJob(h.transport, { model: MODEL, training_file: fileId });
    h.emu.setFaults([{ kind: 'status', status: 503, path: `/v1/fine-tunes/${job.id}` }]);
    const cleared = setTimeout(() => h.emu.setFaults([]), 60);
    try {
      const done = await waitForJob(h.transport, job.id, { intervalMs: 25, maxConsecutiveErrors: 10 });
      assert.equal(done.status, 'completed');
      assert.ok((h.emu.stats().faults.status ?? 0) >= 1, 'a 503 was injected');
    } finally {
      clearTimeout(cleared);
      h.emu.setFaults([]);
    }
    const next = await createJob(h.transport, { model: MODEL, training_file: fileId });
    h.emu.setFaults([{ kind: 'status', status: 503, path: `/v1/fine-tunes/${next.id}` }]);
    try {
      const error = await waitForJob(h.transport, next.id, { intervalMs: 5, maxConsecutiveErrors: 2 }).catch((e: unknown) => e);
      assert.ok(isTogetherError(error));
      assert.equal(error.status, 503);
    } finally {
      h.emu.setFaults([]);
    }
  });

  test('waitForJob: a timeout is a TogetherError; an abort rejects with the signal’s reason', async () => {
    const slow = await harness({ fineTuneStepMs: 60_000 });
    try {
      const upload = await uploadFile(slow.transport, slow.file('t.jsonl', GOOD_LINE));
      const job = await createJob(slow.transport, { model: MODEL, training_file: upload.file.id });
      const timedOut = await waitForJob(slow.transport, job.id, { intervalMs: 20, timeoutMs: 50 }).catch((e: unknown) => e);
      assert.ok(isTogetherError(timedOut));
      assert.equal(timedOut.category, 'timeout');
      assert.match(timedOut.message, /still pending/);
      const controller = new AbortController();
      const reason = new Error('user pressed ^C');
      setTimeout(() => controller.abort(reason), 30);
      await assert.rejects(waitForJob(slow.transport, job.id, { intervalMs: 1000, signal: controller.signal }), (e: unknown) => e === reason);
    } finally {
      await slow.close();
    }
  });

  test('a wrong key is an auth error, not a 404 with suggestions', async () => {
    const wrong = createTransport({ baseUrl: h.emu.baseUrl, apiKey: 'nope' });
    try {
      const error = await getJob(wrong, 'ft-x', { keySource: 'env' }).catch((e: unknown) => e);
      assert.ok(isTogetherError(error));
      assert.equal(error.category, 'auth');
      assert.ok(!(error instanceof JobNotFoundError));
      assert.match(error.fix, /TOGETHER_API_KEY/);
    } finally {
      await wrong.close();
    }
  });
});
