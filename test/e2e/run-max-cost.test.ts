// `tether run --max-cost` end to end against the emulator: the case, a $0.0005 cap over 40 requests. The
// run goes as far as the cap allows (it stopped at 3 of 40 before, then advanced 2 per rerun), the stop message
// and the summary state the same spend, and a rerun under the same cap sends nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { runCli, tempDir, writeRequests } from '../batch/cli-helpers.js';

const KEY = 'tk-run-max-cost';
let emu: RunningEmulator;
before(async () => {
  emu = await startEmulator({ port: 0, seed: 3, keys: [{ key: KEY, requestsPerSecond: 100_000, tokensPerMinute: 1_000_000_000, creditsUsd: 100 }] });
});
after(() => emu.close());

test('a $0.0005 cap over 40 requests: as far as the cap allows, consistent figures, a rerun sends nothing', async (t) => {
  const env = { baseUrl: emu.baseUrl, apiKey: KEY };
  const dir = tempDir(t);
  const input = join(dir, 'in.jsonl');
  writeRequests(input, 40, { max_tokens: 64 });
  const args = ['run', input, '-o', join(dir, 'out.jsonl'), '--max-cost', '0.0005', '--concurrency', '8'];
  const first = await runCli(args, env);
  assert.equal(first.code, 1, first.stderr);
  const stop = /stopped: (\$[\d.]+) spent; the next request could cost up to \$[\d.]+, which would pass --max-cost \$0\.0005/.exec(first.stderr);
  const done = /done: (\d+) of 40, left: \d+, spent: (\$[\d.]+)/.exec(first.stderr);
  assert.ok(stop && done, first.stderr);
  assert.equal(stop[1], done[2], 'the stop message and the summary state the same spend');
  assert.ok(Number(done[1]) >= 20, `stopped at ${done[1]} of 40`);
  const charged = 100 - (Object.values(emu.stats().creditsUsd)[0] ?? 100);
  assert.ok(charged <= 0.0005 + 1e-12, `the emulator charged ${charged}`);
  const sent = emu.stats().inferenceCalls;
  const second = await runCli(args, env);
  assert.equal(second.code, 1, second.stderr);
  assert.equal(emu.stats().inferenceCalls, sent, 'a rerun under the same cap sends nothing');
});
