// Issue 15, found by the red-team pass: a fine-tune job logs one epoch_complete event per epoch, and n_epochs had no
// upper bound: 3,000,000 epochs grew the emulator to 2.9 GB and froze every request 9-26 s. Counts are now bounded
// at create time with a 400 naming the field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { FINE_TUNE_COUNT_LIMITS } from '../../src/emulator/fine-tunes/params.js';
import { call, KEY, start } from './helpers.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
const LINE = '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}\n';

describe('fine-tune job counts are bounded', () => {
  let emu: RunningEmulator;
  let file: string;
  before(async () => {
    emu = await start({ fineTuneStepMs: 5, fileProcessingMs: 0 });
    const form = new FormData();
    form.set('purpose', 'fine-tune');
    form.set('file', new Blob([LINE.repeat(10)]), 'train.jsonl');
    const response = await fetch(`${emu.url}/v1/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
    file = ((await response.json()) as { id: string }).id;
  });
  after(() => emu.close());

  for (const [field, value] of [
    ['n_epochs', 3_000_000],
    ['n_epochs', FINE_TUNE_COUNT_LIMITS.maxEpochs + 1],
    ['n_checkpoints', 1e9],
    ['n_evals', 1e9],
  ] as const) {
    test(`${field} ${value} is a 400 naming the field, and no job is created`, async () => {
      const reply = await call(emu, '/v1/fine-tunes', { body: { training_file: file, model: MODEL, [field]: value } });
      assert.equal(reply.status, 400, reply.text.slice(0, 300));
      assert.match(reply.json.error.message, new RegExp(`\`${field}\``));
      assert.equal((await call(emu, '/v1/fine-tunes')).json.data.length, 0);
    });
  }

  test(`${FINE_TUNE_COUNT_LIMITS.maxEpochs} epochs run to completion`, async () => {
    const created = await call(emu, '/v1/fine-tunes', { body: { training_file: file, model: MODEL, n_epochs: FINE_TUNE_COUNT_LIMITS.maxEpochs } });
    assert.equal(created.status, 200, created.text.slice(0, 300));
    for (let i = 0; i < 200; i++) {
      const job = (await call(emu, `/v1/fine-tunes/${created.json.id}`)).json;
      if (job.status === 'completed') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail('the job never completed');
  });
});
