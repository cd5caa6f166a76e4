import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalSafe, terminalSafeJson } from '../../src/cli/terminal-text.js';

/** Anything a terminal acts on instead of showing: C0 (minus TAB and LF), DEL, C1, bidi and line controls. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/; // eslint-disable-line no-control-regex

test('escape sequences are shown, not run: window title, clear screen, OSC 8 links, one-byte CSI', () => {
  const hostile = 'a\x1b]0;pwned\x07b\x1b[2J\x1b[Hc\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\d\u009b31me';
  const shown = terminalSafe(hostile);
  assert.doesNotMatch(shown, UNSAFE);
  assert.equal(shown, 'a\\x1b]0;pwned\\x07b\\x1b[2J\\x1b[Hc\\x1b]8;;http://evil\\x1b\\link\\x1b]8;;\\x1b\\d\\x9b31me');
});

test('bidi overrides and isolates, LRM/RLM and line separators are shown as \\u escapes', () => {
  const shown = terminalSafe('file\u202egnp.exe \u2066x\u2069 \u200f \u2028 \u061c');
  assert.doesNotMatch(shown, UNSAFE);
  assert.match(shown, /\\u202e/);
  assert.match(shown, /\\u2066x\\u2069/);
});

test('one field: LF and CR are escaped so a value cannot start a fake line; TAB stays', () => {
  assert.equal(terminalSafe('a\nfix: pay me\r!\tok'), 'a\\nfix: pay me\\r!\tok');
});

test('multiline: LF and TAB kept, CRLF becomes LF, a lone CR (overwrite the line) is escaped', () => {
  assert.equal(terminalSafe('one\r\ntwo\n\tthree\rfour', { multiline: true }), 'one\ntwo\n\tthree\\rfour');
});

test('ordinary text, accents, CJK and emoji pass unchanged', () => {
  const text = 'Café — 模型 👩‍💻 "quotes" {json} ✓';
  assert.equal(terminalSafe(text), text);
  assert.equal(terminalSafe(text, { multiline: true }), text);
});

test('terminalSafe is idempotent', () => {
  const once = terminalSafe('\x1b[31m\u202e\n');
  assert.equal(terminalSafe(once), once);
});

test('JSON: C1, DEL and bidi become \\u escapes; the value parses back identical', () => {
  const value = { message: 'x\u009b2J\u007f\u202e\x1b]0;t\x07', n: 1 };
  const json = terminalSafeJson(JSON.stringify(value, null, 2));
  assert.doesNotMatch(json.replace(/\n/g, ''), UNSAFE);
  assert.deepEqual(JSON.parse(json), value);
});
