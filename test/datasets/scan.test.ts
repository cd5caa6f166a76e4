// The fast byte scanner must never accept what the reference checks (JSON.parse + schema.ts) would flag,
// and must agree with JSON.parse on what is JSON. Property tests over generated and mutated lines.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { firstInvalidUtf8 } from '../../src/datasets/utf8.js';
import { FAST_UNSURE, fastLine, fastNewline } from '../../src/datasets/fast.js';
import { isJsonText, weightLiterals } from '../../src/datasets/scan.js';
import { checkSample } from '../../src/datasets/schema.js';
import { DEFAULT_RULE_OPTIONS } from '../../src/datasets/types.js';
import { bytesOf, checkContent } from './helpers.js';

const FORMATS = ['', 'text', 'conversation', 'instruction'];

/** Strings that stress escapes, non-ASCII and JSON-significant characters. */
const tricky = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', 'é', '🎉', '"', '\\', '\n', '\t', '\u2028', 'user', 'assistant', 'system', 'tool', 'role', 'content'),
);
const role = fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool', 'User', 'developer', ''), tricky);
const message = fc.record(
  {
    role,
    content: fc.oneof(tricky, fc.constant(null), fc.constant(5), fc.constant([{ type: 'text', text: 'x' }])),
    weight: fc.constantFrom(0, 1, 2, true, -0, 0.5),
    name: tricky,
    tool_calls: fc.constant([{ type: 'function', function: { name: 'f', arguments: '{}' } }]),
  },
  { requiredKeys: [] },
);
/** Mostly-valid messages, so that rules deep inside a valid conversation (role order, weights) get exercised. */
const plainMessage = fc.record(
  {
    role: fc.constantFrom('user', 'assistant', 'system'),
    content: fc.constantFrom('hi', 'é', '', 'a\\"b'),
    weight: fc.constantFrom(0, 1, 2),
    reasoning: fc.constantFrom('why', 5, null, ''),
  },
  { requiredKeys: ['role', 'content'] },
);
/** The per-example weight of the current formats: numbers ≥ 0 pass, anything else fails. */
const sampleWeight = fc.constantFrom(0, 1, 2.5, 0.0001, 10, -1, -0.5, '2', true, null, [1]);
const example = fc.oneof(
  fc.record({ messages: fc.array(plainMessage, { maxLength: 5 }) }),
  fc.record({ messages: fc.array(message, { maxLength: 5 }) }),
  fc.record({ messages: fc.array(message, { maxLength: 4 }), tools: fc.constant([{ type: 'function', function: { name: 'f' } }]) }),
  fc.record({ text: tricky }),
  fc.record({ messages: fc.array(plainMessage, { maxLength: 4 }), weight: sampleWeight }),
  fc.record({ text: tricky, weight: sampleWeight }),
  fc.record({ weight: sampleWeight, prompt: tricky, completion: tricky }),
  fc.record({ prompt: tricky, completion: tricky }, { requiredKeys: [] }),
  fc.dictionary(tricky, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);
/** A serialized example, sometimes re-spaced or mutated at one byte. */
const line = fc
  .tuple(example, fc.constantFrom(0, 0, 2), fc.option(fc.tuple(fc.nat(), fc.constantFrom('', ' ', '\t', '"', ',', '}', '1.0', '\\', '\u0001', 'é', '\ufeff', 'e999', '-', '0'))))
  .map(([value, indent, mutation]) => {
    let text = JSON.stringify(value, null, indent).replace(/\n/g, ' ');
    if (mutation) {
      const [at, insert] = mutation;
      const i = at % (text.length + 1);
      text = text.slice(0, i) + insert + text.slice(i + (insert === '' ? 1 : 0));
    }
    return text;
  });

function reference(text: string): { format: string; clean: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { format: '', clean: false };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { format: '', clean: false };
  const bytes = bytesOf(text);
  const verdict = checkSample(value as Record<string, unknown>, DEFAULT_RULE_OPTIONS, (path) => weightLiterals(bytes, 0).get(path));
  return { format: verdict.format ?? '', clean: verdict.problems.length === 0 };
}

describe('fast path against the reference checks', () => {
  test('whenever the fast path accepts a line, the reference checks find it clean and of the same format', () => {
    let accepted = 0;
    fc.assert(
      fc.property(line, (text) => {
        const bytes = bytesOf(text);
        const fast = fastLine(bytes, 0, false, true);
        if (fast === FAST_UNSURE) return;
        accepted++;
        const ref = reference(text);
        assert.equal(ref.clean, true, `fast path accepted ${text}`);
        assert.equal(FORMATS[fast], ref.format);
      }),
      { numRuns: 3000, seed: 4242 },
    );
    assert.ok(accepted > 100, `the generator should produce accepted lines too (got ${accepted})`);
  });

  test('whole-report parity on generated multi-line files', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
        checkContent(`${lines.join('\n')}\n`); // asserts fast and reference reports are equal
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  test('typical valid lines take the fast path', () => {
    for (const text of [
      '{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"},{"role":"assistant","content":"a","weight":1}]}',
      '{ "text" : "hello" }',
      '\t{"prompt":"é🎉\\n\\u00e9","completion":"b"}  ',
      '{"messages":[{"role":"user","content":"q","name":"n","metadata":{"x":[1,2.5e3,null,true]}},{"content":"a","role":"assistant"}]}',
      '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"weight":2.5}',
      '{"weight": 0, "text": "t"}',
    ]) {
      const bytes = bytesOf(text);
      assert.notEqual(fastLine(bytes, 0, false, true), FAST_UNSURE, text);
      assert.equal(fastNewline(), bytes.length);
    }
  });

  test('a per-example weight takes the fast path only when it is a plain number >= 0, and only for the current profile', () => {
    const line = (w: string): Uint8Array => bytesOf(`{"text":"t","weight":${w}}`);
    for (const w of ['0', '1', '2.5', '10.25']) assert.notEqual(fastLine(line(w), 0, false, true), FAST_UNSURE, w);
    for (const w of ['-1', '1e3', '1e999', '01', '"2"', 'true', 'null', '1.', '[1]']) assert.equal(fastLine(line(w), 0, false, true), FAST_UNSURE, w);
    assert.equal(fastLine(line('1'), 0, false, false), FAST_UNSURE, 'legacy: the reference checks report keys.extra');
    assert.equal(fastLine(bytesOf('{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","reasoning":"r"}]}'), 0, false, true), FAST_UNSURE, 'reasoning');
  });

  test('the scan stops at the line end and ignores the bytes after it', () => {
    const bytes = bytesOf('{"text":"a"}\n{"text":');
    assert.notEqual(fastLine(bytes, 0, false, true), FAST_UNSURE);
    assert.equal(fastNewline(), 12);
    const crlf = bytesOf('{"text":"a"} \r\n');
    assert.notEqual(fastLine(crlf, 0, false), FAST_UNSURE);
    assert.equal(fastNewline(), 14);
    for (const text of ['{"text":"a\n"}', '{"text":"a"}\r{"text":"b"}\n', '{"text":"a"}x\n', '{"text":"a"']) {
      assert.equal(fastLine(bytesOf(text), 0, false), FAST_UNSURE, text);
    }
  });
});

describe('isJsonText agrees with JSON.parse', () => {
  test('on generated and mutated JSON', () => {
    const mutated = fc
      .tuple(fc.jsonValue({ maxDepth: 3 }), fc.option(fc.tuple(fc.nat(), fc.constantFrom('', ' ', '"', ',', '}', ']', '0', '-', '.', 'e', '\\', '\u0000'))))
      .map(([value, mutation]) => {
        let text = JSON.stringify(value) ?? 'null';
        if (mutation) {
          const i = mutation[0] % (text.length + 1);
          text = text.slice(0, i) + mutation[1] + text.slice(i + (mutation[1] === '' ? 1 : 0));
        }
        return text;
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 12 })), (text) => {
        if (/[\n\r]/.test(text)) return; // line breaks never reach the scanner
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        const bytes = bytesOf(text);
        assert.equal(isJsonText(bytes, 0, bytes.length), parses, text);
      }),
      { numRuns: 3000, seed: 99 },
    );
  });

  test('numbers follow the JSON grammar', () => {
    for (const good of ['0', '-0', '1.5', '1e5', '1E+5', '-1.25e-3', '10']) assert.equal(isJsonText(bytesOf(good), 0, good.length), true, good);
    for (const bad of ['01', '+1', '1.', '.5', '1e', '-', '0x10', 'NaN', 'Infinity']) assert.equal(isJsonText(bytesOf(bad), 0, bad.length), false, bad);
  });
});

describe('firstInvalidUtf8 agrees with isUtf8', () => {
  test('on random bytes and on valid text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }).map((s) => new Uint8Array(Buffer.from(s)))), (bytes) => {
        const column = firstInvalidUtf8(bytes, 0, bytes.length);
        assert.equal(column === bytes.length + 1, isUtf8(bytes));
        if (column <= bytes.length) assert.equal(isUtf8(bytes.subarray(0, column - 1)), true, 'everything before it is valid');
      }),
      { numRuns: 3000, seed: 5 },
    );
  });
});
