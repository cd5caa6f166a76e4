// --model: the catalog's fine-tuning limits, token totals, and example.too-long (SFT and DPO limits).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetInputError, validateFile } from '../../src/datasets/index.js';
import { resolveFineTuneModel } from '../../src/datasets/model.js';
import { assistant, conversation, tempDir, user } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

/** About one token per word for Llama tokenizers (and far more as an estimate). */
const words = (n: number): string => 'hello '.repeat(n);

describe('resolveFineTuneModel', () => {
  test('reads the SFT and DPO context lengths from the catalog snapshot', () => {
    const model = resolveFineTuneModel('deepseek-ai/DeepSeek-R1-Distill-Llama-70B');
    assert.deepEqual(model, {
      id: 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B',
      maxSeqLength: 24576,
      maxSeqLengthDpo: 8192,
      tokenizer: 'llama3_1',
      capabilities: { reasoning: false, tools: false, vocabSize: 128256 },
    });
    assert.deepEqual(resolveFineTuneModel('Qwen/Qwen3-8B').capabilities, { reasoning: true, tools: true, vocabSize: 151936 });
    assert.deepEqual(resolveFineTuneModel('meta-llama/Meta-Llama-3.1-8B-Instruct-Reference').capabilities, { reasoning: false, tools: true, vocabSize: 128256 });
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
    const report = await validateFile(path, { model: 'meta-llama/Meta-Llama-3-8B-Instruct', threads: 0, exactTokens: true });
    assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [
      [2, 'example.too-long'],
      [3, 'messages.no-assistant'],
    ]);
    assert.match(report.errors[0]!.message, /at most 8192 tokens/);
    const tokens = report.stats.tokens!;
    assert.equal(tokens.examples, 2, 'examples with errors are not counted');
    assert.equal(tokens.counted, 2);
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

describe('--model: what the byte bound settles, and what the model accepts', () => {
  test('an example whose size alone fits is not counted; one the bound cannot clear is', async () => {
    const path = tmp.file('bounded.jsonl', [conversation(user('hi'), assistant('hello')), conversation(user(words(9000)), assistant('ok'))].join('\n'));
    const report = await validateFile(path, { model: 'meta-llama/Meta-Llama-3-8B-Instruct', threads: 0 });
    const tokens = report.stats.tokens!;
    assert.deepEqual([tokens.examples, tokens.counted, tokens.bounded], [2, 1, 1]);
    assert.equal(tokens.longest?.line, 2);
    const exact = await validateFile(path, { model: 'meta-llama/Meta-Llama-3-8B-Instruct', threads: 0, exactTokens: true });
    assert.deepEqual(exact.errors, report.errors);
    assert.ok(exact.stats.tokens!.total > tokens.total, 'exact totals add the bounded example');
  });

  const reasoning = conversation(user('What is 15% of 240?'), { ...assistant('15% of 240 is 36.'), reasoning: '0.15 * 240 = 36' });
  const tools = JSON.stringify({
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    messages: [user('weather?'), { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'sunny' }, assistant('Sunny.')],
  });

  test('model.reasoning: reasoning data for a model Together does not train on reasoning; fine for Qwen3', async () => {
    const path = tmp.file('reasoning.jsonl', `${conversation(user('a'), assistant('b'))}\n${reasoning}\n`);
    const llama = await validateFile(path, { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', threads: 0 });
    assert.deepEqual(llama.errors.map((e) => [e.line, e.rule]), [[2, 'model.reasoning']]);
    assert.match(llama.errors[0]!.message, /Qwen3/);
    const qwen = await validateFile(path, { model: 'Qwen/Qwen3-8B', threads: 0 });
    assert.deepEqual(qwen.errors, []);
    assert.deepEqual((await validateFile(path, { threads: 0 })).errors, [], 'without --model the data itself is fine');
  });

  test('model.tools: function-calling data for a model not on Together\'s function-calling list; fine for Llama 3.1', async () => {
    const path = tmp.file('tools.jsonl', `${tools}\n`);
    const mistral = await validateFile(path, { model: 'mistralai/Mistral-7B-Instruct-v0.2', threads: 0 });
    assert.deepEqual(mistral.errors.map((e) => [e.line, e.rule]), [[1, 'model.tools']]);
    const llama = await validateFile(path, { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', threads: 0 });
    assert.deepEqual(llama.errors, []);
  });
});

describe('--model: lines the fast path takes by their size (fitBytesOf)', () => {
  test('3 × line bytes + 100 bounds the exact count and the estimate, for chats of any text (Llama 3, Qwen2.5, Mistral)', async () => {
    const { countChatTokens, upperBoundChatTokens } = await import('../../src/tokens/index.js');
    const { default: fc } = await import('fast-check');
    // Text NFC lengthens (U+0344, U+FB2C, U+1D160), escapes, emoji, CJK, and plain words.
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.array(fc.constantFrom('\u0344', '\ufb2c', '\ud834\udd60', '"', '\\', '\n', '🎉', '東京', 'word ', ' '), { maxLength: 40 }).map((p) => p.join('')),
    );
    const chat = fc.array(text, { minLength: 1, maxLength: 4 }).map((texts) => texts.map((content, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content })));
    for (const family of ['llama3', 'qwen2_5', 'mistral_v1']) {
      await fc.assert(
        fc.asyncProperty(chat, async (messages) => {
          const lineBytes = Buffer.byteLength(JSON.stringify({ messages }));
          const exact = await countChatTokens(family, messages, { addGenerationPrompt: false });
          assert.ok(exact.tokens <= 3 * lineBytes + 100, `${family}: ${exact.tokens} tokens for ${lineBytes} bytes`);
          assert.ok(upperBoundChatTokens(messages) <= 3 * lineBytes + 100);
        }),
        { seed: 20261207, numRuns: 60 },
      );
    }
  });

  test('a clean line longer than the size bound is parsed and bounded or counted; the same verdicts either way', async () => {
    const { fitBytesOf } = await import('../../src/datasets/job.js');
    const model = resolveFineTuneModel('meta-llama/Meta-Llama-3-8B-Instruct');
    const limit = fitBytesOf(model);
    const long = conversation(user(`${words(Math.ceil(limit / 6))}`), assistant('ok'));
    assert.ok(Buffer.byteLength(long) > limit);
    const path = tmp.file('fit.jsonl', `${conversation(user('hi'), assistant('hello'))}\n${long}\n`);
    const report = await validateFile(path, { model: model.id, threads: 0 });
    assert.deepEqual(report.errors, []);
    assert.deepEqual([report.stats.tokens!.examples, report.stats.tokens!.bounded + report.stats.tokens!.counted], [2, 2]);
    const exact = await validateFile(path, { model: model.id, threads: 0, exactTokens: true });
    assert.equal(exact.stats.tokens!.counted, 2);
    assert.ok(exact.stats.tokens!.longest!.tokens < 8192);
  });
});
