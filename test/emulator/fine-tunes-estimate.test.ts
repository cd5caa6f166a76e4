// Issue 18: POST /v1/fine-tunes/estimate-price and /v1/fine-tunes/preview were matched as job ids (405). They
// now answer from the uploaded file: tokens × epochs × the price per 1M tokens, and a tokenized preview with
// prompt tokens masked (-100).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { modelBillions, pricePerMillion } from '../../src/emulator/fine-tunes/estimate.js';
import { countTextTokens, encodeTokenIds } from '../../src/tokens/index.js';
import { KEY, call, start } from './helpers.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
const CONVERSATION = '{"messages":[{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris is the capital."}]}\n';
const INSTRUCTION = '{"prompt":"Translate: chat","completion":" cat"}\n';

describe('fine-tune price and preview', () => {
  let emu: RunningEmulator;

  async function uploadText(text: string): Promise<string> {
    const body = new FormData();
    body.set('purpose', 'fine-tune');
    body.set('file', new Blob([text]), 'train.jsonl');
    const response = await fetch(`${emu.url}/v1/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body });
    return ((await response.json()) as { id: string }).id;
  }

  before(async () => {
    emu = await start();
  });
  after(() => emu.close());

  test('price tiers by model size and training type', () => {
    assert.equal(modelBillions('meta-llama/Meta-Llama-3.1-70B-Instruct-Reference'), 70);
    assert.equal(modelBillions('Qwen/Qwen2.5-7B-Instruct'), 7);
    assert.equal(pricePerMillion(MODEL, 'Lora', 'sft'), 0.48);
    assert.equal(pricePerMillion('meta-llama/Meta-Llama-3.1-70B-Instruct-Reference', 'Full', 'sft'), 3.2);
    assert.equal(pricePerMillion(MODEL, 'Lora', 'dpo'), 0.48 * 2.5);
  });

  test('estimate-price: tokens × epochs, priced; not a 405', async () => {
    const file = await uploadText(CONVERSATION.repeat(20));
    const one = await call(emu, '/v1/fine-tunes/estimate-price', { body: { training_file: file, model: MODEL } });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.estimation_available, true);
    assert.ok(one.json.estimated_train_token_count > 20 * 10);
    const three = await call(emu, '/v1/fine-tunes/estimate-price', { body: { training_file: file, model: MODEL, n_epochs: 3 } });
    assert.equal(three.json.estimated_train_token_count, 3 * one.json.estimated_train_token_count);
    assert.equal(three.json.estimated_total_price, Math.round(((3 * one.json.estimated_train_token_count * 0.48) / 1e6) * 1e6) / 1e6);
    assert.equal(three.json.allowed_to_proceed, true);
    assert.equal(three.json.estimated_eval_token_count, 0);
    const missing = await call(emu, '/v1/fine-tunes/estimate-price', { body: { training_file: 'file-nope', model: MODEL } });
    assert.equal(missing.status, 400);
    assert.match(missing.json.error.message, /file-nope does not exist/);
    const noFile = await call(emu, '/v1/fine-tunes/estimate-price', { body: { model: MODEL } });
    assert.equal(noFile.status, 400);
    assert.match(noFile.json.error.message, /training_file/);
  });

  test('preview: ids are the tokenizer\'s, labels mask the prompt unless train_on_inputs', async () => {
    const file = await uploadText(INSTRUCTION + INSTRUCTION);
    const reply = await call(emu, '/v1/fine-tunes/preview', { body: { model: MODEL, training_file: file, top_k: 1 } });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.dataset_format, 'instruction');
    assert.equal(reply.json.rows.length, 1);
    const row = reply.json.rows[0];
    const promptIds = (await encodeTokenIds(MODEL, 'Translate:')) as number[];
    assert.deepEqual(row.input_ids.slice(0, promptIds.length), promptIds);
    assert.equal(row.num_tokens, row.input_ids.length);
    assert.equal(row.tokens.length, row.input_ids.length);
    assert.equal(row.tokens.join(''), 'Translate: chat cat');
    const completionTokens = (await countTextTokens(MODEL, ' cat')).tokens;
    assert.equal(row.num_trained_tokens, completionTokens);
    assert.deepEqual(row.labels.slice(-completionTokens), row.input_ids.slice(-completionTokens));
    assert.ok(row.labels.slice(0, -completionTokens).every((l: number) => l === -100));
    const all = await call(emu, '/v1/fine-tunes/preview', { body: { model: MODEL, training_file: file, train_on_inputs: true } });
    assert.equal(all.json.rows.length, 2);
    assert.equal(all.json.rows[0].num_trained_tokens, all.json.rows[0].num_tokens);
    const conversation = await call(emu, '/v1/fine-tunes/preview', { body: { model: MODEL, training_file: await uploadText(CONVERSATION) } });
    assert.equal(conversation.json.dataset_format, 'conversation');
    const trained = conversation.json.rows[0].tokens.filter((_: string, i: number) => conversation.json.rows[0].labels[i] !== -100).join('');
    assert.equal(trained, 'Paris is the capital.');
  });
});
