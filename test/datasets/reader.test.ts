// readChunks(): chunks end on a line break, cover the file exactly, survive their buffers being
// transferred away (to a worker) while the next read is under way, and grow for lines longer than a chunk.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { BufferPool, readChunks } from '../../src/datasets/reader.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

function content(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) lines.push(JSON.stringify({ text: `line ${i} ${'é'.repeat(i % 7)}${'x'.repeat((i * 37) % 300)}` }));
  lines.push('y'.repeat(5000)); // longer than the chunk size
  return Buffer.from(`${lines.join('\n')}\nno final newline`);
}

test('chunks are whole lines and add up to the file, even when each buffer is transferred away and back', async () => {
  const bytes = content();
  const path = tmp.file('chunks.jsonl', bytes);
  const pool = new BufferPool(1024);
  const { port1, port2 } = new MessageChannel();
  port2.on('message', (m: { buffer: ArrayBuffer }) => port2.postMessage(m, [m.buffer]));
  const seen: Buffer[] = [];
  let finals = 0;
  try {
    for await (const chunk of readChunks(path, pool, 1024)) {
      seen.push(Buffer.from(chunk.bytes));
      if (chunk.final) finals++;
      else assert.equal(chunk.bytes[chunk.bytes.length - 1], 0x0a, 'a chunk ends with a newline');
      // As the worker pool does: the buffer leaves this thread (detached here) and comes back later.
      const buffer = chunk.bytes.buffer as ArrayBuffer;
      const back = new Promise<ArrayBuffer>((resolve) => port1.once('message', (m: { buffer: ArrayBuffer }) => resolve(m.buffer)));
      port1.postMessage({ buffer }, [buffer]);
      pool.release(await back);
    }
  } finally {
    port1.close();
  }
  assert.equal(finals, 1);
  assert.ok(Buffer.concat(seen).equals(bytes));
  assert.ok(seen.some((chunk) => chunk.length > 5000), 'a line longer than the chunk size comes whole');
});

test('whatever the chunk size: lines longer than the room before a block, than a block, than many blocks; files ending on a block boundary', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) lines.push('z'.repeat((i * 97) % 700));
  lines.push('w'.repeat(20_000)); // many blocks long
  const text = `${lines.join('\n')}\n`;
  for (const chunkSize of [64, 100, 256, 1000, 4096]) {
    // The whole text, and cut so that it ends exactly on a block boundary, with and without a final newline.
    for (const bytes of [Buffer.from(text), Buffer.from(text.slice(0, chunkSize * 40)), Buffer.from(text.slice(0, chunkSize * 40 - 1))]) {
      const path = tmp.file(`sizes-${chunkSize}-${bytes.length}.jsonl`, bytes);
      const pool = new BufferPool(chunkSize);
      const seen: Buffer[] = [];
      for await (const chunk of readChunks(path, pool, chunkSize)) {
        if (!chunk.final) assert.equal(chunk.bytes[chunk.bytes.length - 1], 0x0a, `chunkSize ${chunkSize}: a chunk ends with a newline`);
        // Only whole lines: no newline is missing at the start (the previous chunk ended on one).
        seen.push(Buffer.from(chunk.bytes));
        pool.release(chunk.bytes.buffer as ArrayBuffer);
      }
      assert.ok(Buffer.concat(seen).equals(bytes), `chunkSize ${chunkSize}, ${bytes.length} bytes`);
    }
  }
});
