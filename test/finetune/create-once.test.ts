// A fine-tune create is never replayed blindly: when its answer times out after the body was sent (the emulator
// creates the job, then answers late), createJob looks at the account's jobs and returns the one it made — exactly
// one job exists — and when nothing was made it says so and that a retry is safe.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from '../../src/api/index.js';
import { TogetherError } from '../../src/errors/index.js';
import { createJob, listFiles, listJobs, uploadFile } from '../../src/finetune/index.js';
import { createBatch, listBatches } from '../../src/batch/batch-api.js';
import type { BatchJob } from '../../src/batch/batch-api.js';
import type { FineTuneJob } from '../../src/finetune/index.js';
import type { Transport } from '../../src/api/index.js';
import { GOOD_LINE, KEY, MODEL, harness } from './helpers.js';
import type { Harness } from './helpers.js';

describe('fine-tune create after an ambiguous failure', () => {
  let h: Harness;
  let fileId: string;

  before(async () => {
    h = await harness();
    fileId = (await uploadFile(h.transport, h.file('train.jsonl', GOOD_LINE.repeat(5)))).file.id;
  });
  after(() => h.close());

  test('timed out after sending, the job was made: one job in the emulator, and the call returns it', async () => {
    h.emu.setFaults([{ kind: 'latency', ms: 1500, afterWork: true, path: '/v1/fine-tunes' }]);
    // Answers must arrive within 300 ms: this one will not.
    const impatient = createTransport({ baseUrl: h.emu.baseUrl, apiKey: KEY, headersTimeoutMs: 300 });
    try {
      const before = (await listJobs(h.transport)).length;
      const recovered: FineTuneJob[] = [];
      const job = await createJob(impatient, { model: MODEL, training_file: fileId, suffix: 'once' }, { onRecovered: (found) => recovered.push(found) });
      const jobs = await listJobs(h.transport);
      assert.equal(jobs.length - before, 1, 'exactly one job was created');
      const made = jobs.find((j) => j.suffix === 'once');
      assert.equal(job.id, made?.id, 'the call returns the job it made');
      assert.deepEqual(recovered.map((j) => j.id), [job.id], 'and says it found it');
    } finally {
      h.emu.setFaults([]);
      await impatient.close();
    }
  });

  test('timed out before anything was made: an error saying nothing was created and a retry is safe', async () => {
    // The delay comes before the emulator reads the body: the client gives up and the job is never made.
    const before = (await listJobs(h.transport)).length;
    h.emu.setFaults([{ kind: 'latency', ms: 1500, path: '/v1/fine-tunes' }]);
    const impatient = createTransport({ baseUrl: h.emu.baseUrl, apiKey: KEY, headersTimeoutMs: 300 });
    try {
      // The fault delays every request on the path; the look (GET) goes through a patient transport.
      const transport: Transport = { ...impatient, send: (request) => (request.method === 'GET' ? h.transport.send(request) : impatient.send(request)) };
      const error = await createJob(transport, { model: MODEL, training_file: fileId, suffix: 'never' }, { relookDelayMs: 10 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      h.emu.setFaults([]);
      assert.ok(error instanceof TogetherError, String(error));
      assert.match(error.message, /nothing was created/);
      assert.match(error.fix, /sending the same request again is safe/);
      assert.equal(error.retryable, true);
      await new Promise((resolve) => setTimeout(resolve, 1600)); // the emulator's delayed handler finishes
      assert.equal((await listJobs(h.transport)).length - before, 0);
    } finally {
      h.emu.setFaults([]);
      await impatient.close();
    }
  });

  test('a batch create timed out after sending is not duplicated either: one batch, returned', async () => {
    const line = JSON.stringify({ custom_id: 'q1', body: { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'hi' }] } });
    const input = (await uploadFile(h.transport, h.file('batch.jsonl', `${line}\n`), { purpose: 'batch-api' })).file.id;
    h.emu.setFaults([{ kind: 'latency', ms: 1500, afterWork: true, path: '/v1/batches' }]);
    const impatient = createTransport({ baseUrl: h.emu.baseUrl, apiKey: KEY, headersTimeoutMs: 300 });
    try {
      const before = (await listBatches(h.transport)).length;
      const recovered: BatchJob[] = [];
      const { job } = await createBatch(impatient, { inputFileId: input }, { onRecovered: (found) => recovered.push(found) });
      const batches = await listBatches(h.transport);
      assert.equal(batches.length - before, 1, 'exactly one batch was created');
      assert.equal(job.id, batches.find((b) => b.input_file_id === input)?.id);
      assert.deepEqual(recovered.map((b) => b.id), [job.id]);
    } finally {
      h.emu.setFaults([]);
      await impatient.close();
    }
  });

  test('a multipart upload timed out after sending is not duplicated: one file, returned', async () => {
    const path = h.file('once.jsonl', GOOD_LINE.repeat(3));
    const countFiles = async (): Promise<number> => (await listFiles(h.transport)).filter((f) => f.filename === 'once.jsonl').length;
    h.emu.setFaults([{ kind: 'latency', ms: 1500, afterWork: true, path: '/v1/files/upload' }]);
    const impatient = createTransport({ baseUrl: h.emu.baseUrl, apiKey: KEY, headersTimeoutMs: 300 });
    try {
      const recovered: string[] = [];
      const { file } = await uploadFile(impatient, path, { flow: 'multipart', onRecovered: (found) => recovered.push(found.id) });
      assert.equal(await countFiles(), 1, 'exactly one file was created');
      assert.deepEqual(recovered, [file.id]);
    } finally {
      h.emu.setFaults([]);
      await impatient.close();
    }
  });
});
