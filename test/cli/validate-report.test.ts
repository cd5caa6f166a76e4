// `tether validate`'s human report for what issue 20 added: Parquet findings by row, and --model token lines that
// say how many examples were counted and how many fit by their size alone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { formatReport } from '../../src/cli/commands/validate.js';
import { validateFile } from '../../src/datasets/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/datasets/${name}`, import.meta.url));

describe('tether validate report', () => {
  test('a Parquet finding is reported by row, and the format named', async () => {
    const path = fixture('invalid/parquet-mask-2.parquet');
    const text = formatReport(path, await validateFile(path));
    assert.match(text, /INVALID, 1 error \(pre-tokenized Parquet format, 4 examples\)/);
    assert.match(text, /^ {2}row 3 +parquet\.mask +attention_mask\[0\] is 2/m);
  });

  test('--model: examples that fit by size are said to be uncounted, and --exact-tokens counts them', async () => {
    const path = fixture('together-docs/conversational.jsonl');
    const model = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
    const bounded = formatReport(path, await validateFile(path, { model }));
    assert.match(bounded, /tokens \(meta-llama\/Meta-Llama-3\.1-8B-Instruct-Reference, exact\): no example needed counting; 2 more fit by their size alone \(not counted; --exact-tokens counts them\); fine-tuning context 131,072/);
    const exact = formatReport(path, await validateFile(path, { model, exactTokens: true }));
    assert.match(exact, /tokens \(.*, exact\): [\d,]+ in 2 counted examples, longest [\d,]+ at line \d; fine-tuning context 131,072/);
  });
});
