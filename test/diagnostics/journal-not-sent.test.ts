// After a 402 stops the key, tether refuses the next requests itself: the journal must not record those as 402s
// Together returned (they were never sent). Only the request that was sent is a `failed` 402.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachErrorJournal, buildDebugBundle, readErrorJournal } from '../../src/diagnostics/index.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { CHAT_MODEL, KEY, startTestEmulator } from './helpers.js';

test('requests stopped locally after a 402 are journaled as not-sent, without a status, and not counted as errors', async (t) => {
  const emu = await startTestEmulator({ keys: [{ key: KEY, name: 'broke', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 0 }] });
  const dir = mkdtempSync(join(tmpdir(), 'tether-journal-not-sent-'));
  t.after(async () => {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'errors.jsonl');
  const pipeline = createPipeline({ apiKey: KEY, baseUrl: emu.baseUrl, env: {}, preloadTokenizers: false });
  const journal = attachErrorJournal(pipeline.events, { path, secrets: [KEY] });
  try {
    for (let i = 0; i < 4; i++) {
      await assert.rejects(
        pipeline.send({ endpoint: 'chat', body: { model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }, overrides: { fallbacks: [] } }),
        { name: 'TogetherError', category: 'billing' },
      );
    }
  } finally {
    journal.detach();
    await pipeline.close();
  }
  const entries = readErrorJournal(path, 20).filter((e) => e.kind !== 'breaker');
  assert.deepEqual(entries.map((e) => e.kind), ['failed', 'not-sent', 'not-sent', 'not-sent']);
  assert.equal(entries[0]?.status, 402);
  for (const entry of entries.slice(1)) {
    assert.equal(entry.status, undefined, 'a request never sent has no HTTP status');
    assert.equal(entry.attempts, 0);
    assert.equal(entry.category, 'billing');
  }
  const { bundle } = await buildDebugBundle({ journalPath: path, doctor: false, env: {} });
  assert.deepEqual(bundle.errors.byCategory, { billing: 1 }, 'only the 402 Together sent is counted');
});
