// The gateway's log destination: lines batched into few writes, in order, none lost at a flush or at exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { BatchedStderr, createGatewayLogger, logAccess } from '../../src/gateway/log.js';
import type { AccessLine } from '../../src/gateway/log.js';

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

const LINE: AccessLine = {
  reqId: 'gw-1',
  method: 'POST',
  path: '/v1/chat/completions',
  status: 200,
  ms: 12,
  client: undefined,
  model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  answeredBy: undefined,
  attempts: 1,
  category: undefined,
  stream: false,
  upstreamRequestId: 'up-7',
  config: 2,
};

test('the access line written directly is the line pino writes for the same fields', () => {
  const { out, writes } = sink();
  const log = createGatewayLogger('info', out);
  logAccess(log, LINE);
  log.info(LINE, 'request');
  log.flush();
  const [direct, viaPino, extra] = writes.join('').split('\n');
  assert.equal(extra, '');
  const a = JSON.parse(direct!) as Record<string, unknown>;
  const b = JSON.parse(viaPino!) as Record<string, unknown>;
  assert.equal(typeof a['time'], 'number');
  assert.ok(Math.abs((a['time'] as number) - (b['time'] as number)) < 1000);
  delete a['time'];
  delete b['time'];
  assert.deepEqual(Object.keys(a), Object.keys(b), 'same fields in the same order');
  assert.deepEqual(a, b);
  assert.equal(a['level'], 30);
  assert.equal(a['name'], 'tether-gateway');
  assert.equal(a['msg'], 'request');
  assert.ok(!('client' in a), 'undefined fields are left out, as pino leaves them out');
});

test('no access line below info; a caller\'s own logger gets it through log.info', () => {
  const { out, writes } = sink();
  const quiet = createGatewayLogger('warn', out);
  logAccess(quiet, LINE);
  quiet.flush();
  assert.deepEqual(writes, []);

  const own = sink();
  const custom = pino({ level: 'info', base: undefined }, own.out);
  logAccess(custom, LINE);
  const written = JSON.parse(own.writes.join('')) as Record<string, unknown>;
  assert.equal(written['msg'], 'request');
  assert.equal(written['reqId'], 'gw-1');
});
