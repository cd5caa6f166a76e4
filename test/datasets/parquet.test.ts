// Pre-tokenized Parquet: schema, types, lengths, masks, labels, and with --model the vocabulary and the context;
// rows are numbered across row groups and windows; a file in memory (the emulator's) gets the same report.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetInputError, repairFile, validateBytes, validateFile } from '../../src/datasets/index.js';
import { parquetOf, tokenizedRows } from './parquet-helpers.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const LLAMA = 'meta-llama/Meta-Llama-3-8B-Instruct'; // vocabulary 128,256; context 8,192

function file(rows: { input_ids: number[][]; attention_mask: number[][]; labels?: number[][] }, rowGroupSize?: number): Uint8Array {
  return parquetOf(
    [
      { name: 'input_ids', data: rows.input_ids, type: 'INT64' },
      { name: 'attention_mask', data: rows.attention_mask },
      ...(rows.labels ? [{ name: 'labels', data: rows.labels }] : []),
    ],
    rowGroupSize,
  );
}

const rules = (report: { errors: { line: number; rule: string }[] }): Array<[number, string]> => report.errors.map((e) => [e.line, e.rule]);

describe('pre-tokenized Parquet', () => {
  test('valid rows (int64 ids, -100 labels) pass; the report counts rows as examples', async () => {
    const report = await validateFile(tmp.file('ok.parquet', file(tokenizedRows([5, 9, 3]))));
    assert.deepEqual(report.errors, []);
    assert.equal(report.format, 'tokenized');
    assert.equal(report.samples, 3);
  });

  test('token ids must be below the model vocabulary, and a row must fit its context (with --model)', async () => {
    const rows = tokenizedRows([4, 8200, 4]);
    rows.input_ids[2]![1] = 128256;
    rows.labels[2]![3] = 200000;
    const path = tmp.file('model.parquet', file(rows));
    assert.deepEqual(rules(await validateFile(path)), [], 'without a model there is no vocabulary or context to check');
    const report = await validateFile(path, { model: LLAMA });
    assert.deepEqual(rules(report), [
      [2, 'example.too-long'],
      [3, 'parquet.token-range'],
      [3, 'parquet.token-range'],
    ]);
    assert.match(report.errors[1]!.message, /input_ids\[1\] is 128256, not below the vocabulary size .*128256/);
    const tokens = report.stats.tokens!;
    assert.deepEqual([tokens.total, tokens.counted, tokens.longest?.line, tokens.exact], [8208, 3, 2, true]);
    const ok = tokenizedRows([4]);
    ok.input_ids[0]![0] = 128255;
    assert.deepEqual(rules(await validateFile(tmp.file('edge.parquet', file(ok)), { model: LLAMA })), []);
  });

  test('rows are numbered across row groups', async () => {
    const rows = tokenizedRows(Array.from({ length: 25 }, () => 3));
    rows.attention_mask[17] = [1, 7, 1];
    const progress: Array<[number, number]> = [];
    const report = await validateFile(tmp.file('groups.parquet', file(rows, 4)), { onProgress: (done, total) => progress.push([done, total]) });
    assert.deepEqual(rules(report), [[18, 'parquet.mask']]);
    assert.equal(report.samples, 25);
    assert.equal(progress.length, 7, 'one call per row group');
    assert.deepEqual(progress.at(-1), [report.stats.bytes, report.stats.bytes]);
    assert.ok(progress.every(([done], i) => i === 0 || done >= progress[i - 1]![0]));
  });

  test('a null cell and a labels column that is not a list are type and schema errors', async () => {
    const nulls = parquetOf([
      { name: 'input_ids', data: [[1, 2], null] },
      { name: 'attention_mask', data: [[1, 1], [1]] },
    ]);
    assert.deepEqual(rules(await validateFile(tmp.file('null.parquet', nulls))), [[2, 'parquet.type']]);
    const plain = parquetOf([
      { name: 'input_ids', data: [[1, 2]] },
      { name: 'attention_mask', data: [[1, 1]] },
      { name: 'labels', data: ['x'], type: 'STRING' },
    ]);
    const report = await validateFile(tmp.file('plain.parquet', plain));
    assert.deepEqual(rules(report), [[0, 'parquet.schema']]);
    assert.match(report.errors[0]!.message, /"labels" is not a list of integers/);
  });

  test('--fix refuses a Parquet file (there is no JSONL text to repair)', async () => {
    const path = tmp.file('fix.parquet', file(tokenizedRows([3])));
    await assert.rejects(repairFile(path, `${path}.out.parquet`), (error: Error) => error instanceof DatasetInputError && /Parquet/.test(error.message));
  });

  test('an in-memory file (the emulator) gets the same report as the file on disk', async () => {
    const rows = tokenizedRows([3, 4]);
    rows.labels[1]![0] = -7;
    const bytes = file(rows);
    const onDisk = await validateFile(tmp.file('same.parquet', bytes));
    const inMemory = await validateBytes('same.parquet', bytes);
    assert.deepEqual(inMemory, onDisk);
    assert.deepEqual(rules(onDisk), [[2, 'parquet.label']]);
  });
});
