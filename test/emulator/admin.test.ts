import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { CHAT_MODEL, call, chat, start } from './helpers.js';

let emu: RunningEmulator;
before(async () => {
  emu = await start({ seed: 8 });
});
after(() => emu.close());

/** Admin calls carry no key. */
function admin(path: string, body?: unknown): ReturnType<typeof call> {
  return call(emu, `/_emulator/${path}`, { key: null, ...(body === undefined ? { method: 'POST', rawBody: '' } : { body }) });
}

test('GET health and stats; admin calls are not counted', async () => {
  assert.deepEqual((await call(emu, '/_emulator/health', { key: null })).json, { ok: true });
  await call(emu, '/v1/chat/completions', { body: chat() });
  const stats = (await call(emu, '/_emulator/stats', { key: null })).json;
  assert.equal(stats.requests, 1);
  assert.equal(stats.inferenceCalls, 1);
  assert.deepEqual(stats.byKey, { main: 1 });
});

test('POST faults takes compact specs or objects and replaces the list', async () => {
  const set = await admin('faults', { faults: [`status=503,model=${CHAT_MODEL}`, { kind: 'latency', ms: 1 }] });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.faults.length, 2);
  assert.deepEqual((await call(emu, '/_emulator/faults', { key: null })).json.faults[0], { kind: 'status', status: 503, model: CHAT_MODEL });
  assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 503);
  const bad = await admin('faults', ['status=abc']);
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /Invalid faults: .*`status` must be a number/);
  assert.equal((await admin('faults', [])).status, 200);
  assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
});

test('POST credits sets a balance by key name or value', async () => {
  assert.deepEqual((await admin('credits', { key: 'main', usd: 0 })).json, { key: 'main', creditsUsd: 0 });
  assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 402);
  assert.equal((await admin('credits', { key: 'test-key', usd: 3 })).status, 200);
  assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  assert.equal((await admin('credits', { key: 'nobody', usd: 3 })).status, 400);
  assert.equal((await admin('credits', { key: 'main', usd: 'lots' })).status, 400);
});

test('POST reset restores the start state, or only the parts asked for', async () => {
  await admin('faults', ['status=500']);
  await admin('credits', { key: 'main', usd: 0 });
  assert.equal((await admin('reset', { stats: true, limits: false, credits: false, faults: false })).status, 200);
  assert.equal(emu.stats().requests, 0);
  assert.equal(emu.config.faults.length, 1);
  assert.equal((await admin('reset')).status, 200);
  assert.equal(emu.config.faults.length, 0);
  assert.equal(emu.stats().creditsUsd.main, 100);
  assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  assert.equal((await admin('reset', { everything: true })).status, 400);
});
