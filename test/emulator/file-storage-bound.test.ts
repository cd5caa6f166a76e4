// Issue 15's class "unbounded memory", on the emulator's Files API: files are kept in memory, and nothing bounded how
// many a client could upload (each up to maxFileBytes, 100 MiB by default). The store now holds at most 16 times
// maxFileBytes (and 10,000 records); past it an upload is a 400 in Together's envelope, until files are deleted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { STORED_BYTES_PER_FILE_LIMIT } from '../../src/emulator/files/store.js';
import { KEY, start } from './helpers.js';

const MAX_FILE = 64 * 1024;
const line = `${JSON.stringify({ custom_id: 'x', body: { model: 'm', messages: [] } })}\n`;
const CONTENT = line.repeat(Math.floor(MAX_FILE / line.length));

async function upload(emu: RunningEmulator): Promise<{ status: number; json: { id?: string; error?: { message: string; code: string | null } } }> {
  const form = new FormData();
  form.set('purpose', 'batch-api');
  form.set('file', new Blob([CONTENT]), 'batch.jsonl');
  const response = await fetch(`${emu.url}/v1/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
  return { status: response.status, json: (await response.json()) as never };
}

describe('the emulator holds a bounded amount of file data', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await start({ maxFileBytes: MAX_FILE });
  });
  after(() => emu.close());

  test(`${STORED_BYTES_PER_FILE_LIMIT} files at the size limit are kept; the next is refused until one is deleted`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < STORED_BYTES_PER_FILE_LIMIT; i++) {
      const reply = await upload(emu);
      assert.equal(reply.status, 200, JSON.stringify(reply.json));
      ids.push(reply.json.id!);
    }
    const refused = await upload(emu);
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error?.code, 'storage_limit_exceeded');
    assert.match(refused.json.error?.message ?? '', /already holds \d+ bytes of files.*DELETE \/v1\/files\/\{id\}/);

    const deleted = await fetch(`${emu.url}/v1/files/${ids[0]}`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(deleted.status, 200);
    await deleted.arrayBuffer();
    assert.equal((await upload(emu)).status, 200, 'room again after a delete');
  });
});
