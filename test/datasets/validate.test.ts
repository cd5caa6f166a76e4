// validateFile(): file-level rules, line endings, encodings, chunk boundaries, per-rule caps, and the same
// report from the single-threaded and the worker paths.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetInputError, MAX_FILE_BYTES, validateFile } from '../../src/datasets/index.js';
import { fileLevelIssues } from '../../src/datasets/validate.js';
import { assistant, conversation, rulesOf, tempDir, user } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const OK = conversation(user('hi'), assistant('hello'));

describe('file-level rules', () => {
  test('file.empty: an empty file and a file of blank lines', async () => {
    const empty = await validateFile(tmp.file('empty.jsonl', ''));
    assert.deepEqual(rulesOf(empty), ['file.empty']);
    assert.equal(empty.errors[0]!.line, 0);
    assert.deepEqual(rulesOf(await validateFile(tmp.file('blanks.jsonl', '\n\n'))), ['file.empty', 'line.blank', 'line.blank']);
    assert.deepEqual(rulesOf(await validateFile(tmp.file('one.jsonl', `${OK}\n`))), []);
  });

  test('file.extension: the name must end in .jsonl, case-sensitively', async () => {
    const report = await validateFile(tmp.file('data.json', `${OK}\n`));
    assert.deepEqual(rulesOf(report), ['file.extension']);
    assert.equal(report.valid, false);
    assert.match(fileLevelIssues('x.JSONL', 10)[0]!.message, /case-sensitive/);
    assert.deepEqual(fileLevelIssues('x.jsonl', 10), []);
    assert.deepEqual(fileLevelIssues('x.parquet', 10), [], 'pre-tokenized Parquet');
    assert.match(fileLevelIssues('x.PARQUET', 10)[0]!.message, /case-sensitive/);
    assert.match(fileLevelIssues('x.csv', 10)[0]!.message, /\*\.jsonl and pre-tokenized Parquet files named \*\.parquet/);
  });

  test('file.too-large: more than 50.1 GiB', () => {
    assert.deepEqual(fileLevelIssues('x.jsonl', Math.floor(MAX_FILE_BYTES)), []);
    assert.deepEqual(fileLevelIssues('x.jsonl', Math.floor(MAX_FILE_BYTES) + 1).map((i) => i.rule), ['file.too-large']);
  });

  test('a missing file or a bad cap is an input error, not a finding', async () => {
    await assert.rejects(validateFile(`${tmp.dir}/missing.jsonl`), DatasetInputError);
    await assert.rejects(validateFile(tmp.file('cap.jsonl', `${OK}\n`), { maxErrors: 0 }), DatasetInputError);
    await assert.rejects(validateFile(tmp.dir), /not a regular file/);
  });
});

describe('line endings and encodings', () => {
  test('a file with Windows line endings is valid and counts lines as LF would', async () => {
    const report = await validateFile(tmp.file('crlf.jsonl', `${OK}\r\n${OK}\r\n{"bad"}\r\n`));
    assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [[3, 'json.syntax']]);
    assert.equal(report.stats.lines, 3);
  });

  test('lone CRs break lines (as Together splits them) and are warned about', async () => {
    const report = await validateFile(tmp.file('cr.jsonl', `${OK}\r${OK}\r{"x":1}\n`));
    assert.deepEqual([...report.errors, ...report.warnings].sort((a, b) => a.line - b.line).map((e) => [e.line, e.rule]), [
      [1, 'line.lone-cr'],
      [2, 'line.lone-cr'],
      [3, 'format.unknown'],
    ]);
    assert.equal(report.samples, 3);
  });

  test('a BOM fails line 1 and the rest of the line is still checked', async () => {
    const report = await validateFile(tmp.file('bom.jsonl', `\ufeff${conversation(user('a'))}\n${OK}\n`));
    assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [
      [1, 'line.bom'],
      [1, 'messages.no-assistant'],
    ]);
  });

  test('a line holding only a BOM is a BOM and a blank line', async () => {
    const report = await validateFile(tmp.file('bom-only.jsonl', `\ufeff\n${OK}\n`));
    assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [
      [1, 'line.bom'],
      [1, 'line.blank'],
    ]);
    assert.equal(report.samples, 1);
  });

  test('invalid UTF-8 is reported at its line, with the byte', async () => {
    const bad = Buffer.concat([Buffer.from(`${OK}\n${OK}\n{"text":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n'), Buffer.from(`${OK}\n`)]);
    const report = await validateFile(tmp.file('latin.jsonl', bad));
    assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [[3, 'line.utf8']]);
    assert.match(report.errors[0]!.message, /byte 10\b/);
  });

  test('a truncated last line, also when cut inside a character', async () => {
    const cut = await validateFile(tmp.file('cut.jsonl', `${OK}\n{"messages":[{"role":"user","content":"caf`));
    assert.deepEqual(cut.errors.map((e) => [e.line, e.rule]), [[2, 'json.truncated']]);
    const half = Buffer.concat([Buffer.from(`${OK}\n{"text":"caf`), Buffer.from([0xc3])]);
    assert.deepEqual((await validateFile(tmp.file('half.jsonl', half))).errors.map((e) => e.rule), ['json.truncated']);
    // The same cut in the middle of the file is a syntax error, not a truncation.
    const middle = await validateFile(tmp.file('middle.jsonl', `{"text":"caf\n${OK}\n`));
    assert.deepEqual(middle.errors.map((e) => e.rule), ['json.syntax']);
  });

  test('no final newline is fine', async () => {
    assert.equal((await validateFile(tmp.file('nofinal.jsonl', `${OK}\n${OK}`))).valid, true);
  });
});

describe('reporting', () => {
  test('the JSON shape', async () => {
    const report = await validateFile(tmp.file('shape.jsonl', `${OK}\n{"text":"a"}\n`));
    assert.deepEqual(Object.keys(report).sort(), ['errors', 'format', 'omitted', 'samples', 'stats', 'valid', 'warnings']);
    assert.equal(report.valid, false);
    assert.equal(report.format, 'conversation');
    assert.equal(report.samples, 2);
    assert.deepEqual(report.errors[0], {
      line: 2,
      rule: 'format.mixed',
      message: report.errors[0]!.message,
    });
    assert.equal(report.stats.bytes, OK.length + 14);
    assert.deepEqual(report.stats.formats, { conversation: 1, text: 1 });
    assert.equal(report.stats.messages, 2);
  });

  test('per-rule caps keep the first N by line and count the rest, across chunks', async () => {
    const lines = [];
    for (let i = 0; i < 40; i++) lines.push(i % 2 === 0 ? '' : conversation(user('only a question')));
    const path = tmp.file('caps.jsonl', `${OK}\n${lines.join('\n')}\n`);
    for (const chunkSize of [64, 1 << 20]) {
      const report = await validateFile(path, { maxErrors: 3, chunkSize });
      assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [
        [2, 'line.blank'],
        [3, 'messages.no-assistant'],
        [4, 'line.blank'],
        [5, 'messages.no-assistant'],
        [6, 'line.blank'],
        [7, 'messages.no-assistant'],
      ]);
      assert.deepEqual(report.omitted, { 'line.blank': 17, 'messages.no-assistant': 17 });
    }
  });

  test('format.mixed is capped too and names the first line', async () => {
    const path = tmp.file('mixed.jsonl', `${OK}\n${'{"text":"a"}\n'.repeat(5)}`);
    const report = await validateFile(path, { maxErrors: 2, chunkSize: 32 });
    assert.deepEqual(report.errors.map((e) => e.line), [2, 3]);
    assert.deepEqual(report.omitted, { 'format.mixed': 3 });
    assert.match(report.errors[0]!.message, /line 1/);
  });
});

describe('chunking and threads', () => {
  /** A file mixing valid lines with every kind of line-level problem, some CRLF, a long line and non-ASCII. */
  function mixedFile(): string {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      switch (i % 13) {
        case 1:
          lines.push(conversation(user(`q${i}`)));
          break;
        case 4:
          lines.push('');
          break;
        case 6:
          lines.push(`${conversation(user('é🎉'), assistant('ok'))}\r`);
          break;
        case 8:
          lines.push(`{"text":"a\tb"}`);
          break;
        case 9:
          lines.push(conversation(user('x'.repeat(5000)), assistant('long')));
          break;
        case 11:
          lines.push(conversation(user('a'), user('b'), { ...assistant('c'), weight: 1 }));
          break;
        default:
          lines.push(conversation({ role: 'system', content: `s${i}` }, user('q'), assistant(`a${i}`)));
      }
    }
    return `${lines.join('\n')}\n{"messages":[`;
  }

  test('the worker pool and this thread give the same report, whatever the chunk size', async () => {
    const path = tmp.file('mixed-big.jsonl', mixedFile());
    const reference = await validateFile(path, { threads: 0, maxErrors: 1000 });
    assert.equal(reference.samples, 3000 - 231 + 1); // 231 blank lines; the cut-off last line counts
    assert.ok(reference.errors.length > 500);
    for (const [threads, chunkSize] of [
      [0, 700],
      [2, 4096],
      [2, 1 << 20],
    ] as const) {
      const report = await validateFile(path, { threads, chunkSize, maxErrors: 1000 });
      assert.deepEqual(report, reference, `threads=${threads} chunkSize=${chunkSize}`);
    }
  });

  test('progress reaches the file size', async () => {
    const path = tmp.file('progress.jsonl', `${OK}\n`.repeat(200));
    const seen: number[] = [];
    await validateFile(path, { chunkSize: 512, onProgress: (done, total) => seen.push(done / total) });
    assert.ok(seen.length > 5);
    assert.equal(seen[seen.length - 1], 1);
  });
});
