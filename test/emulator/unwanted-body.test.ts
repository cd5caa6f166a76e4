// Issue 15, leftover of failure 12 on the emulator: a body nobody reads (after a 404, 405 or 401, or a fault's
// answer) was drained to its end, bounded only by the 60 s request timeout. Past the body limit the connection is
// now closed: the client still reads its answer, and the emulator stops reading.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { endlessUpload } from '../support/endless-upload.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { KEY, start } from './helpers.js';

const LIMIT = 64 * 1024;

describe('unwanted request bodies are bounded in bytes', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await start({ maxBodyBytes: LIMIT });
  });
  after(() => emu.close());

  const cases: Array<[string, string, number]> = [
    ['an unknown path (404)', `POST /v1/no-such-route HTTP/1.1\r\nauthorization: Bearer ${KEY}\r\n`, 404],
    ['a wrong method (405)', `PUT /v1/chat/completions HTTP/1.1\r\nauthorization: Bearer ${KEY}\r\n`, 405],
    ['no key on an inference route (401)', 'POST /v1/chat/completions HTTP/1.1\r\n', 401],
    ['no key on a file upload (401)', 'POST /v1/files HTTP/1.1\r\n', 401],
  ];
  for (const [name, head, status] of cases) {
    test(`${name}: answered, then closed within a few body limits`, async () => {
      const result = await endlessUpload(emu.port, head);
      assert.equal(result.status, status);
      assert.ok(result.closedByServer, `the emulator read all ${result.written} bytes written`);
      // The socket buffers on both sides hold a few MB; the emulator itself stops after LIMIT.
      assert.ok(result.written < 16 * 1024 * 1024, `${result.written} bytes written before the close`);
    });
  }

  test('still serving afterwards', async () => {
    const response = await fetch(`${emu.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  });
});
