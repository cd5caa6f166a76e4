// `tether gateway`'s pipeline writes what `tether debug-bundle` reads: the error journal and the state file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import { createJournaledPipeline } from '../../src/gateway/journaled-pipeline.js';
import { defaultJournalPath, defaultStatePath, readErrorJournal, readStateFile } from '../../src/diagnostics/index.js';

const KEY = 'tk-journaled-0123456789';
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';

test('a failed request lands in the journal (key scrubbed) and close() saves the pacing and breaker state', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tether-journaled-'));
  const env = { TETHER_HOME: home };
  const emu = await startEmulator({ port: 0, keys: [{ key: KEY, requestsPerSecond: 100 }], faults: [{ kind: 'status', status: 503, rate: 1 }] });
  const pipeline = createJournaledPipeline(
    { baseUrl: emu.baseUrl, apiKey: KEY, keySource: 'env', policies: { retries: { maxAttempts: 1 } } },
    env,
  );
  try {
    await assert.rejects(
      pipeline.send({ endpoint: 'chat', body: { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }, overrides: { fallbacks: [] } }),
      (error: { category?: string }) => error.category === 'overloaded',
    );
  } finally {
    await pipeline.close();
    await emu.close();
  }
  const entries = readErrorJournal(defaultJournalPath(env));
  assert.ok(entries.some((e) => e.category === 'overloaded' && e.status === 503), JSON.stringify(entries));
  assert.ok(!readFileSync(defaultJournalPath(env), 'utf8').includes(KEY), 'the key never reaches the journal');
  const saved = readStateFile(defaultStatePath(env));
  assert.ok(saved.state, saved.problem);
  assert.ok(saved.state.breakers.some((b) => b.model === MODEL), JSON.stringify(saved.state.breakers));
  rmSync(home, { recursive: true, force: true });
});
