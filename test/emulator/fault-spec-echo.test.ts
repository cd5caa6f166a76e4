// Issue 15 ("nothing a client sends is echoed back unbounded"), on the emulator's fault syntax: a 100 KB fault SPEC
// sent to /_emulator/faults came back twice in the 400 (a 200 KB answer). Quoted parts are now clipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmulatorConfigError, parseFaultSpec } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { start } from './helpers.js';

const HUGE = 100_000;
const SPECS = ['x'.repeat(HUGE), `status=${'5'.repeat(HUGE)}`, `status=500,${'o'.repeat(HUGE)}=1`, `{"kind":"status","status":${'9'.repeat(HUGE)}`, `status=500,rate=${'z'.repeat(HUGE)}`];

describe('fault SPEC errors quote a bounded part of the SPEC', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await start();
  });
  after(() => emu.close());

  test('parseFaultSpec', () => {
    for (const spec of SPECS) {
      assert.throws(
        () => parseFaultSpec(spec),
        (error: unknown) => {
          assert.ok(error instanceof EmulatorConfigError);
          assert.ok(error.message.length < 2_000, `${error.message.length} characters`);
          assert.match(error.message, /characters\)/, 'says how long the clipped part was');
          return true;
        },
      );
    }
  });

  test('the admin endpoint answers a 400 of bounded size', async () => {
    for (const spec of SPECS) {
      const response = await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([spec]) });
      const text = await response.text();
      assert.equal(response.status, 400);
      assert.ok(text.length < 2_000, `${text.length} characters`);
    }
  });
});
