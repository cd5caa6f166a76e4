// --model: the catalog's fine-tuning limits, token totals, and example.too-long (SFT and DPO limits).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetInputError, resolveFineTuneModel, validateFile } from '../../src/datasets/index.js';
import { assistant, conversation, tempDir, user } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

/** About one token per word for Llama tokenizers (and far more as an estimate). */
const words = (n: number): string => 'hello '.repeat(n);

describe('resolveFineTuneModel', () => {
  test('reads the SFT and DPO context lengths from the catalog snapshot', () => {
    const model = resolveFineTuneModel('deepseek-ai/DeepSeek-R1-Distill-Llama-70B');
    assert.deepEqual(model, { id: 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B', maxSeqLength: 24576, maxSeqLengthDpo: 8192, tokenizer: 'llama3_1' });
  });

  test('an unknown or non-fine-tunable id is an input error with close fine-tunable ids', () => {
    assert.throws(() => resolveFineTuneModel('meta-llama/Meta-Llama-3.1-8B-Instruct-Referense'), (error: Error) => {
      assert.ok(error instanceof DatasetInputError);
      assert.match(error.message, /Meta-Llama-3\.1-8B-Instruct-Reference/);
      return true;
    });
    assert.throws(() => resolveFineTuneModel('meta-llama/Llama-3.3-70B-Instruct-Turbo'), /cannot be fine-tuned[\s\S]*Llama-3\.3-70B-Instruct-Reference/);
  });
});

describe('validateFile with a model', () => {
  test('totals, the longest example, and example.too-long against the SFT limit', async () => {
    const path = tmp.file('long.jsonl', [conversation(user('hi'), assistant('hello')), conversation(user(words(9000)), assistant('ok')), conversation(user('a'))].join('\n'));
    const report = await validateFile(path, { model: 'meta-llama/Meta-Llama-3-8B-Instruct', threads: 0 });
    assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [
      [2, 'example.too-long'],
      [3, 'messages.no-assistant'],
    ]);
    assert.match(report.errors[0]!.message, /at most 8192 tokens/);
    const tokens = report.stats.tokens!;
    assert.equal(tokens.examples, 2, 'examples with errors are not counted');
    assert.equal(tokens.longest?.line, 2);
    assert.ok(tokens.longest!.tokens > 8192);
    assert.ok(tokens.total > tokens.longest!.tokens);
    assert.equal(tokens.maxSeqLength, 8192);
    assert.equal(tokens.costUsd, null);
    assert.match(tokens.costNote, /cost unknown/);
  });

  test('preference data is held to the DPO limit, conversations to the SFT one', async () => {
    const model = 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B'; // SFT 24576, DPO 8192
    const long = words(10000);
    const sft = await validateFile(tmp.file('sft.jsonl', conversation(user(long), assistant('ok'))), { model, threads: 0 });
    assert.deepEqual(sft.errors, []);
    const dpo = JSON.stringify({ input: { messages: [user(long)] }, preferred_output: [assistant('a')], non_preferred_output: [assistant('b')] });
    const report = await validateFile(tmp.file('dpo.jsonl', dpo), { model, threads: 0 });
    assert.deepEqual(report.errors.map((e) => e.rule), ['example.too-long']);
    assert.match(report.errors[0]!.message, /preference \(DPO\) examples of at most 8192/);
  });

  test('the worker path counts the same tokens', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => conversation(user(`question ${i} ${words(i)}`), assistant(`answer ${i}`)));
    const path = tmp.file('workers.jsonl', `${lines.join('\n')}\n`);
    const options = { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', chunkSize: 1024 };
    assert.deepEqual(await validateFile(path, { ...options, threads: 2 }), await validateFile(path, { ...options, threads: 0 }));
  });
});
