import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TogetherError } from '../../src/errors/index.js';
import { PolicyEvents } from '../../src/policy/index.js';
import { attachErrorJournal, defaultJournalPath, readErrorJournal, readJournal } from '../../src/diagnostics/index.js';

const KEY = 'tgp_v1_journalKey0123456789abcdefghij';

function overloaded(extra: Partial<ConstructorParameters<typeof TogetherError>[0]> = {}): TogetherError {
  return new TogetherError({
    status: 503,
    category: 'overloaded',
    message: 'The model is overloaded.',
    cause: 'Demand on one model.',
    fix: 'Retry with backoff.',
    retryable: true,
    requestId: 'req-503',
    model: 'org/model',
    ...extra,
  });
}

describe('error journal', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-journal-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the default path is $TETHER_HOME/errors.jsonl, else ~/.tether/errors.jsonl', () => {
    assert.equal(defaultJournalPath({ TETHER_HOME: '/srv/tether' }), join('/srv/tether', 'errors.jsonl'));
    assert.match(defaultJournalPath({}), /\.tether[/\\]errors\.jsonl$/);
  });

  test('failed outcomes, retries and breaker changes become one scrubbed line each; successes do not', () => {
    const path = join(dir, 'events', 'errors.jsonl');
    const events = new PolicyEvents({ now: () => Date.parse('2026-05-01T12:00:00Z') });
    const journal = attachErrorJournal(events, { path, secrets: [KEY] });
    events.emit('outcome', { ok: true, model: 'org/model', attempts: 1, elapsedMs: 10 });
    events.emit('retry', { attempt: 1, delayMs: 812.4, reason: 'overloaded', serverAsked: false, model: 'org/model', error: overloaded() });
    events.emit('breaker', { model: 'org/model', from: 'closed', to: 'open' });
    events.emit('breaker', { model: 'org/other', from: 'closed', to: 'open', source: 'peer' });
    const leaky = overloaded({
      status: 401,
      category: 'auth',
      retryable: false,
      message: `Invalid API key ${KEY} (or ${Buffer.from(KEY).toString('base64')})`,
      requestId: 'req-401',
    });
    // A pipeline may attach the response headers to the event: only ids, timings and limits are kept.
    events.emit('outcome', Object.assign({ ok: false, model: 'org/model', attempts: 3, elapsedMs: 2345.6, error: leaky }, {
      headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'req-401', 'x-total-time': '12', 'set-cookie': 'a=b', 'x-ratelimit-remaining': '0' },
    }));
    journal.detach();
    events.emit('outcome', { ok: false, attempts: 1, elapsedMs: 1, error: overloaded() });

    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes(KEY) && !text.includes(Buffer.from(KEY).toString('base64')), 'the key is scrubbed');
    const entries = readErrorJournal(path, 10);
    assert.equal(entries.length, 4, 'the success and the event after detach are not journaled');
    assert.deepEqual(entries[0], {
      time: '2026-05-01T12:00:00.000Z',
      kind: 'retry',
      model: 'org/model',
      category: 'overloaded',
      status: 503,
      message: 'The model is overloaded.',
      fix: 'Retry with backoff.',
      retryable: true,
      requestId: 'req-503',
      attempts: 1,
      delayMs: 812,
      serverAsked: false,
    });
    assert.deepEqual(entries[1], { time: '2026-05-01T12:00:00.000Z', kind: 'breaker', model: 'org/model', from: 'closed', to: 'open' });
    assert.deepEqual(entries[2], { time: '2026-05-01T12:00:00.000Z', kind: 'breaker', model: 'org/other', from: 'closed', to: 'open', peer: true }, "a peer gateway's transition says so");
    const failed = entries[3];
    assert.equal(failed?.kind, 'failed');
    assert.equal(failed?.category, 'auth');
    assert.equal(failed?.attempts, 3);
    assert.equal(failed?.elapsedMs, 2346);
    assert.equal(failed?.requestId, 'req-401');
    assert.deepEqual(failed?.headers, { 'x-request-id': 'req-401', 'x-total-time': '12', 'x-ratelimit-remaining': '0' });
    assert.match(failed?.message ?? '', /Invalid API key \[redacted\]/);
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600, 'owner-only file');
  });

  test('size-bounded: rotation keeps both files under maxBytes and maxEntries, newest entries kept', () => {
    const path = join(dir, 'bounded.jsonl');
    const events = new PolicyEvents();
    const journal = attachErrorJournal(events, { path, maxBytes: 8 * 1024, maxEntries: 40 });
    for (let i = 0; i < 300; i++) {
      events.emit('outcome', { ok: false, model: `org/m${i}`, attempts: 1, elapsedMs: i, error: overloaded({ message: `failure number ${i} ${'x'.repeat(50)}` }) });
    }
    journal.detach();
    const total = statSync(path).size + (existsSync(`${path}.1`) ? statSync(`${path}.1`).size : 0);
    assert.ok(total <= 8 * 1024, `total ${total} bytes`);
    const read = readJournal(path, 1000);
    assert.ok(read.entries.length <= 40 && read.entries.length >= 20, `${read.entries.length} entries kept`);
    assert.equal(read.entries.at(-1)?.model, 'org/m299', 'the newest entry is last');
    const numbers = read.entries.map((e) => Number(e.model?.slice(5)));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'oldest first, no gaps in order');

    const byBytes = join(dir, 'bytes.jsonl');
    const big = attachErrorJournal(events, { path: byBytes, maxBytes: 8 * 1024, maxEntries: 100_000 });
    for (let i = 0; i < 200; i++) events.emit('outcome', { ok: false, attempts: 1, elapsedMs: 1, error: overloaded({ message: 'y'.repeat(900) }) });
    big.detach();
    assert.ok(statSync(byBytes).size + statSync(`${byBytes}.1`).size <= 8 * 1024);
  });

  test('reading: last n across the rotated file, torn or foreign lines skipped and counted, absent journal empty', () => {
    const path = join(dir, 'read.jsonl');
    appendFileSync(`${path}.1`, `${JSON.stringify({ time: 't1', kind: 'failed' })}\nnot json\n`);
    appendFileSync(path, `${JSON.stringify({ time: 't2', kind: 'failed' })}\n[1,2]\n${JSON.stringify({ time: 't3', kind: 'retry' })}\n{"time":"t4","ki`);
    const read = readJournal(path, 2);
    assert.deepEqual(read.entries.map((e) => e.time), ['t2', 't3']);
    assert.equal(read.skipped, 3);
    assert.deepEqual(read.files, [`${path}.1`, path]);
    assert.deepEqual(readErrorJournal(join(dir, 'absent.jsonl')), []);
  });

  test('a journal that cannot be written never breaks the request: the failure is reported once', () => {
    const events = new PolicyEvents();
    const problems: unknown[] = [];
    // A directory where the file should be: every append fails.
    const journal = attachErrorJournal(events, { path: dir, onError: (error) => problems.push(error) });
    assert.doesNotThrow(() => events.emit('outcome', { ok: false, attempts: 1, elapsedMs: 1, error: overloaded() }));
    journal.detach();
    assert.equal(problems.length, 1);
    assert.throws(() => attachErrorJournal(events, { path: join(dir, 'x'), maxBytes: 10 }), /maxBytes must be an integer of at least 8192/);
  });
});
