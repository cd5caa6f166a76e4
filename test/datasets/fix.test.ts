// repairFile(): each mechanical fix, the change list, and that no JSON value ever changes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { DatasetInputError, repairFile, validateFile } from '../../src/datasets/index.js';
import { assistant, conversation, tempDir, user } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const A = conversation(user('hi'), assistant('hello'));
const B = JSON.stringify({ messages: [user('  spaced  '), assistant('tab\there')] });
let counter = 0;

async function repair(content: string | Buffer, maxChanges?: number) {
  const n = counter++;
  const input = tmp.file(`in-${n}.jsonl`, content);
  const output = `${tmp.dir}/out-${n}.jsonl`;
  const report = await repairFile(input, output, maxChanges === undefined ? {} : { maxChanges });
  return { report, text: readFileSync(output, 'utf8'), output };
}

describe('each fix', () => {
  test('BOM, CRLF, blank lines, whitespace, final newline', async () => {
    const { report, text, output } = await repair(`\ufeff${A}\r\n\r\n  ${B}\t\n \n${A}`);
    assert.equal(text, `${A}\n${B}\n${A}\n`);
    assert.deepEqual(
      report.changes.map((c) => [c.line, c.fix]),
      [
        [1, 'bom'],
        [1, 'crlf'],
        [2, 'blank-line'],
        [3, 'whitespace'],
        [4, 'blank-line'],
        [5, 'final-newline'],
      ],
    );
    assert.deepEqual(report.counts, { bom: 1, crlf: 1, 'blank-line': 2, whitespace: 1, 'final-newline': 1 });
    assert.equal(report.linesIn, 5);
    assert.equal(report.linesOut, 3);
    assert.equal((await validateFile(output)).valid, true);
  });

  test('a lone CR between complete lines becomes LF', async () => {
    const { report, text } = await repair(`${A}\r${A}\n`);
    assert.equal(text, `${A}\n${A}\n`);
    assert.deepEqual(report.changes.map((c) => [c.line, c.fix]), [[1, 'lone-cr']]);
  });

  test('a lone CR inside an object is left alone (it may be whitespace between tokens)', async () => {
    const inside = '{"messages":[{"role":"user","content":"a"},\r{"role":"assistant","content":"b"}]}\n';
    const { report, text } = await repair(inside);
    assert.equal(text, inside);
    assert.deepEqual(report.changes, []);
  });

  test('whitespace inside a cut-off line is not trimmed, and its missing newline is not added', async () => {
    const cut = `${A}\n{"text":"ends with spaces   `;
    const { report, text } = await repair(cut);
    assert.equal(text, cut);
    assert.deepEqual(report.changes, []);
  });

  test('a BOM in the middle of the file (concatenated files) is removed', async () => {
    const { report, text } = await repair(`${A}\n\ufeff${A}\n`);
    assert.equal(text, `${A}\n${A}\n`);
    assert.deepEqual(report.changes.map((c) => [c.line, c.fix]), [[2, 'bom']]);
  });

  test('changes are listed up to the cap per kind and all are counted', async () => {
    const { report } = await repair(`${A}\r\n`.repeat(30), 4);
    assert.equal(report.changes.length, 4);
    assert.deepEqual(report.counts, { crlf: 30 });
    assert.deepEqual(report.omitted, { crlf: 26 });
  });

  test('never in place', async () => {
    const input = tmp.file('same.jsonl', `${A}\n`);
    await assert.rejects(repairFile(input, input), DatasetInputError);
    await assert.rejects(repairFile(input, `${tmp.dir}/no/such/dir/out.jsonl`), DatasetInputError);
    await assert.rejects(repairFile(`${tmp.dir}/missing.jsonl`, `${tmp.dir}/o.jsonl`), DatasetInputError);
  });
});

describe('--fix never changes what a message says', () => {
  const value = fc.oneof(
    fc.record({ messages: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.string({ maxLength: 20 }) }), { maxLength: 3 }) }),
    fc.record({ text: fc.string({ maxLength: 20 }) }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  /** A line of JSON (or something broken) with mechanical noise around it. */
  const noisyLine = fc.tuple(
    fc.oneof(value.map((v) => JSON.stringify(v)), fc.constantFrom('{"text":"cut', '{"a":1,}', 'not json', '{"x":"a\tb"}')),
    fc.constantFrom('', ' ', '\t ', '\ufeff'),
    fc.constantFrom('', ' ', '\t'),
    fc.constantFrom('\n', '\r\n', '\r', '\n\n', ' \n'),
  );

  test('every JSON value of the input is in the output, in order and unchanged; other lines keep their bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(noisyLine, { minLength: 1, maxLength: 8 }), async (lines) => {
        const input = lines.map(([body, before, after, end]) => `${before}${body}${after}${end}`).join('');
        const { text } = await repair(input);
        const parsed = (s: string): unknown[] =>
          s
            .split(/\r\n|\r|\n/)
            .map((l) => l.replace(/^\ufeff/, ''))
            .flatMap((l) => {
              try {
                return [JSON.parse(l) as unknown];
              } catch {
                return [];
              }
            });
        assert.deepEqual(parsed(text), parsed(input));
        // No byte of a line that is not JSON changes (apart from its line ending and a leading BOM).
        const broken = (s: string): string[] =>
          s
            .split(/\r\n|\n/)
            .map((l) => l.replace(/^\ufeff/, ''))
            .filter((l) => l.trim() !== '' && !l.includes('\r') && (() => {
              try {
                JSON.parse(l);
                return false;
              } catch {
                return true;
              }
            })());
        assert.deepEqual(broken(text), broken(input));
      }),
      { numRuns: 150, seed: 11 },
    );
  });
});
