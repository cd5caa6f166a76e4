// The dataset fixtures (test/fixtures/datasets, written by make-fixtures.ts): every file made from Together's
// documented examples is valid, with and without a model that accepts its data; each invalid file fails with
// the one rule it was made for.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateFile } from '../../src/datasets/index.js';
import type { RuleId } from '../../src/datasets/index.js';

const ROOT = new URL('../fixtures/datasets/', import.meta.url).pathname;
const files = (dir: string): string[] => readdirSync(join(ROOT, dir)).sort();

/** A model per documented format that Together fine-tunes on that data (reasoning: Qwen3; tools: Llama 3.1). */
const MODEL_FOR: Array<[RegExp, string]> = [
  [/reasoning/, 'Qwen/Qwen3-8B'],
  [/function-calling/, 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference'],
  [/vlm/, 'google/gemma-3-4b-it'],
  [/./, 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference'],
];

describe("files made from Together's documented examples", () => {
  const docs = files('together-docs');
  test('there is one for every format (conversational, weights, instruction, text, preference, reasoning, tools, vision, Parquet)', () => {
    for (const name of ['conversational', 'sample-weight', 'instruction', 'text', 'preference', 'reasoning', 'reasoning-preference', 'function-calling', 'function-calling-preference', 'vlm-conversational', 'vlm-instruction', 'tokenized']) {
      assert.ok(docs.some((f) => f.includes(name)), name);
    }
  });
  for (const name of docs) {
    test(`${name} is valid, also with --model`, async () => {
      const path = join(ROOT, 'together-docs', name);
      const report = await validateFile(path, { threads: 0 });
      assert.deepEqual([...report.errors, ...report.warnings], []);
      assert.equal(report.valid, true);
      const model = MODEL_FOR.find(([pattern]) => pattern.test(name))![1];
      const withModel = await validateFile(path, { threads: 0, model });
      assert.deepEqual(withModel.errors, [], model);
    });
  }
});

const EXPECTED: Record<string, RuleId> = {
  'blank-line.jsonl': 'line.blank',
  'bom.jsonl': 'line.bom',
  'empty.jsonl': 'file.empty',
  'extra-key.jsonl': 'keys.extra',
  'image-http-url.jsonl': 'content.image-url',
  'message-weight-float.jsonl': 'message.weight',
  'mixed-formats.jsonl': 'format.mixed',
  'no-assistant.jsonl': 'messages.no-assistant',
  'not-utf8.jsonl': 'line.utf8',
  'parquet-empty-row.parquet': 'parquet.length',
  'parquet-extra-column.parquet': 'parquet.schema',
  'parquet-label-negative.parquet': 'parquet.label',
  'parquet-length-mismatch.parquet': 'parquet.length',
  'parquet-mask-2.parquet': 'parquet.mask',
  'parquet-missing-mask.parquet': 'parquet.schema',
  'parquet-not-parquet.parquet': 'parquet.read',
  'parquet-string-ids.parquet': 'parquet.schema',
  'preference-two-outputs.jsonl': 'preference.output',
  'reasoning-not-string.jsonl': 'message.reasoning',
  'reasoning-on-user.jsonl': 'message.reasoning',
  'role-repeat.jsonl': 'message.role-repeat',
  'sample-weight-negative.jsonl': 'sample.weight',
  'sample-weight-string.jsonl': 'sample.weight',
  'truncated.jsonl': 'json.truncated',
  'unknown-tool.jsonl': 'tool-call.unknown-function',
  'wrong-extension.json': 'file.extension',
};

describe('invalid fixtures fail with the rule each was made for', () => {
  test('every invalid fixture is listed here', () => assert.deepEqual(files('invalid'), Object.keys(EXPECTED).sort()));
  for (const [name, rule] of Object.entries(EXPECTED)) {
    test(`${name}: ${rule}`, async () => {
      const report = await validateFile(join(ROOT, 'invalid', name), { threads: 0 });
      assert.equal(report.valid, false);
      assert.equal(report.errors[0]?.rule, rule, JSON.stringify(report.errors));
    });
  }
  for (const name of files('valid')) {
    test(`valid/${name} passes`, async () => assert.equal((await validateFile(join(ROOT, 'valid', name), { threads: 0 })).valid, true));
  }
});
