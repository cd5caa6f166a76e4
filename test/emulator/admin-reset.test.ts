// POST /_emulator/reset resets only the parts it names: a body that names stats must not refill credits,
// put the configured faults back or drop uploaded files. `{}` (or no body) still resets everything.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { resetParts } from '../../src/emulator/state.js';
import { call, chat, start } from './helpers.js';

const GOOD_LINE = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n';

let emu: RunningEmulator;
before(async () => {
  emu = await start({ seed: 9 });
});
after(() => emu.close());
beforeEach(() => emu.reset());

function reset(body?: unknown): ReturnType<typeof call> {
  return call(emu, '/_emulator/reset', { key: null, ...(body === undefined ? { method: 'POST', rawBody: '' } : { body }) });
}

async function uploadFile(): Promise<string> {
  const form = new FormData();
  form.set('purpose', 'fine-tune');
  form.set('file', new Blob([GOOD_LINE]), 'train.jsonl');
  const response = await fetch(`${emu.url}/v1/files/upload`, { method: 'POST', headers: { authorization: 'Bearer test-key' }, body: form });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

async function fileCount(): Promise<number> {
  return (await call(emu, '/v1/files')).json.data.length;
}

/** Spend, fault and upload, so that every part has something a reset could undo. */
async function dirty(): Promise<void> {
  assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  assert.equal((await call(emu, '/_emulator/credits', { key: null, body: { key: 'main', usd: 0.5 } })).status, 200);
  assert.equal((await call(emu, '/_emulator/faults', { key: null, body: ['latency=1'] })).status, 200);
  await uploadFile();
}

test('a body naming only stats resets the stats and leaves credits, faults and data alone', async () => {
  await dirty();
  const answer = await reset({ stats: true });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.json, { ok: true, reset: { stats: true, limits: false, credits: false, faults: false, data: false } });
  assert.equal(emu.stats().requests, 0);
  assert.equal(emu.stats().creditsUsd.main, 0.5, 'credits must not be refilled');
  assert.equal((await call(emu, '/_emulator/faults', { key: null })).json.faults.length, 1, 'faults must stay');
  assert.equal(await fileCount(), 1, 'files must stay');
});

test('a body naming data and credits resets those two only', async () => {
  await dirty();
  const answer = await reset({ data: true, credits: true });
  assert.deepEqual(answer.json.reset, { stats: false, limits: false, credits: true, faults: false, data: true });
  assert.equal(await fileCount(), 0);
  assert.equal(emu.stats().creditsUsd.main, 100);
  assert.equal((await call(emu, '/_emulator/faults', { key: null })).json.faults.length, 1);
  assert.ok(emu.stats().requests > 0);
});

test('an empty body or {} resets every part', async () => {
  for (const body of [undefined, {}]) {
    await dirty();
    const answer = await reset(body);
    assert.deepEqual(answer.json.reset, { stats: true, limits: true, credits: true, faults: true, data: true });
    assert.equal(emu.stats().creditsUsd.main, 100);
    assert.equal((await call(emu, '/_emulator/faults', { key: null })).json.faults.length, 0);
    assert.equal(await fileCount(), 0);
  }
});

test('a part set to false is left alone, and unknown parts are refused with the list of parts', async () => {
  assert.deepEqual(resetParts({ stats: false }), { stats: false, limits: false, credits: false, faults: false, data: false });
  assert.deepEqual(resetParts({ faults: true, credits: false }), { stats: false, limits: false, credits: false, faults: true, data: false });
  const bad = await reset({ everything: true });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /"stats", "limits", "credits", "faults", "data"/);
});

test('the in-process reset(scope) follows the same rule', async () => {
  await dirty();
  emu.reset({ faults: true });
  assert.equal((await call(emu, '/_emulator/faults', { key: null })).json.faults.length, 0);
  assert.equal(emu.stats().creditsUsd.main, 0.5);
  assert.equal(await fileCount(), 1);
});
