// The gateway's log destination: lines batched into few writes, in order, none lost at a flush or at exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { BatchedStderr } from '../../src/gateway/log.js';

function sink(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { out, writes };
}

test('lines wait in the batch and go out in one write, in order', () => {
  const { out, writes } = sink();
  const destination = new BatchedStderr(out);
  try {
    destination.write('one\n');
    destination.write('two\n');
    assert.equal(writes.length, 0, 'written before the batch was due');
    destination.flush();
    assert.deepEqual(writes, ['one\ntwo\n']);
    destination.flush();
    assert.equal(writes.length, 1, 'an empty batch is not written');
  } finally {
    destination.end();
  }
});

test('a full batch is written at once, without waiting for the timer', () => {
  const { out, writes } = sink();
  const destination = new BatchedStderr(out);
  try {
    const line = `${'x'.repeat(999)}\n`;
    for (let i = 0; i < 20; i++) destination.write(line);
    assert.equal(writes.length, 1);
    assert.equal(writes[0]!.length, 17 * line.length, 'the batch went out when it reached 16 KB');
    destination.flush();
    assert.equal(writes.join(''), line.repeat(20), 'every line, once, in order');
  } finally {
    destination.end();
  }
});

test('end() writes what is left; pino lines through it are whole JSON lines', () => {
  const { out, writes } = sink();
  const destination = new BatchedStderr(out);
  const log = pino({ base: undefined }, destination);
  for (let i = 0; i < 3; i++) log.info({ reqId: `r${i}` }, 'request');
  destination.end();
  const lines = writes.join('').trimEnd().split('\n');
  assert.deepEqual(
    lines.map((line) => (JSON.parse(line) as { reqId: string }).reqId),
    ['r0', 'r1', 'r2'],
  );
});

test('the timer writes a batch within about half a second', async () => {
  const { out, writes } = sink();
  const destination = new BatchedStderr(out);
  try {
    destination.write('late\n');
    const started = Date.now();
    while (writes.length === 0 && Date.now() - started < 3_000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(writes, ['late\n']);
  } finally {
    destination.end();
  }
});
