// The journal wired the way the front doors will wire it: subscribed to a real pipeline's events, the pipeline
// sending to the emulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachErrorJournal, readErrorJournal } from '../../src/diagnostics/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { CHAT_MODEL, KEY, startTestEmulator } from './helpers.js';

let emu: RunningEmulator;
let dir: string;
before(async () => {
  emu = await startTestEmulator({ faults: [{ kind: 'status', status: 503, model: CHAT_MODEL }] });
  dir = mkdtempSync(join(tmpdir(), 'tether-journal-pipeline-'));
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a pipeline request that fails after retries leaves its retries and its failure in the journal, scrubbed', async () => {
  const path = join(dir, 'errors.jsonl');
  const pipeline = createPipeline({ apiKey: KEY, baseUrl: emu.baseUrl, env: {}, preloadTokenizers: false, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  const journal = attachErrorJournal(pipeline.events, { path, secrets: [KEY] });
  try {
    await assert.rejects(
      pipeline.send({
        endpoint: 'chat',
        body: { model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 },
        requestId: 'caller-42',
        overrides: { fallbacks: [] },
      }),
      { name: 'TogetherError', category: 'overloaded' },
    );
  } finally {
    journal.detach();
    await pipeline.close();
  }
  const entries = readErrorJournal(path, 10).filter((e) => e.kind !== 'breaker');
  assert.deepEqual(entries.map((e) => e.kind), ['retry', 'failed']);
  const failed = entries[1];
  assert.equal(failed?.category, 'overloaded');
  assert.equal(failed?.status, 503);
  assert.equal(failed?.model, CHAT_MODEL);
  assert.equal(failed?.attempts, 2);
  assert.equal(failed?.callerRequestId, 'caller-42');
  assert.match(failed?.requestId ?? '', /\S/, "Together's request id is kept");
  assert.ok(!readFileSync(path, 'utf8').includes(KEY));
});
