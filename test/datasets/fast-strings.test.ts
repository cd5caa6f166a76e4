// The fast path scans string bodies eight bytes at a time and steps over two-byte escapes inside that loop: every
// kind of stop byte at every offset of the words it reads (and in the last bytes of a chunk, which it scans byte
// by byte) must give the reference checks' verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkContent } from './helpers.js';

/** What may follow ordinary text inside a content string, as raw JSON text. */
const STOPS = ['\\n', '\\"', '\\\\', '\\/', '\\t', '\\u00e9', '\\ud83c\\udf89', '\\x', '\\u12', '\\', '\u0001', '\t', '\u001f', '"', 'é', '🎉', '\u007f'];

function line(before: number, stop: string, after: number): string {
  return `{"messages":[{"role":"user","content":"${'a'.repeat(before)}${stop}${'b'.repeat(after)}"},{"role":"assistant","content":"ok"}]}`;
}

test('every stop at every offset of the scanned words gives the reference verdict', () => {
  const lines: string[] = [];
  for (const stop of STOPS) {
    for (let before = 0; before < 18; before++) {
      lines.push(line(before, stop, 3), line(before, stop + stop, 0), line(before, `${stop}x${stop}`, 9));
    }
  }
  const report = checkContent(`${lines.join('\n')}\n`, {}, 10_000);
  assert.equal(report.samples, lines.length);
  assert.ok(report.errors.length > 0 && report.errors.length < lines.length, 'some lines are valid, some not');
});

test('a stop in the last bytes of the file, with and without a final newline', () => {
  for (const stop of STOPS) {
    for (let after = 0; after < 10; after++) {
      const text = `{"text":"${'a'.repeat(5)}${stop}${'b'.repeat(after)}"}`;
      checkContent(text);
      checkContent(`${text}\n`);
    }
  }
});

test("a message start one byte away from JSON.stringify's gets the reference verdict, anywhere in the chunk", () => {
  const lines: string[] = [];
  for (const role of ['system', 'user', 'assistant', 'tool']) {
    const start = `{"role":"${role}","content":"`;
    for (let at = 0; at < start.length + 2; at++) {
      for (const by of ['x', '"', ' ', '\\', 'S']) {
        const first = `${start}hi"}`;
        const mutated = first.slice(0, at) + by + first.slice(at + 1);
        const other = role === 'assistant' ? 'user' : 'assistant';
        lines.push(`{"messages":[${mutated},{"role":"${other}","content":"ok"}]}`);
      }
    }
  }
  checkContent(`${lines.join('\n')}\n`, {}, 10_000);
  // The same starts in the last bytes of a chunk, where fewer than a whole canonical start's words remain.
  for (const role of ['system', 'user', 'assistant']) {
    const line = `{"messages":[{"role":"user","content":"a"},{"role":"${role}","content":"b"}]}`;
    for (let cut = 1; cut < 40; cut++) checkContent(line.slice(0, line.length - cut));
    checkContent(line);
  }
});
