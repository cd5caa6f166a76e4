import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isTogetherError } from '../../src/errors/index.js';
import { checkJobParams, createJob } from '../../src/finetune/index.js';
import type { CreateJobParams } from '../../src/finetune/index.js';
import { MODEL, harness, requestsTo } from './helpers.js';
import type { Harness } from './helpers.js';

const BASE = { model: MODEL, training_file: 'file-1' };

function refusal(params: unknown): { message: string; param: string | undefined } {
  try {
    checkJobParams(params);
  } catch (error) {
    assert.ok(isTogetherError(error), String(error));
    assert.equal(error.category, 'validation');
    assert.equal(error.retryable, false);
    assert.equal(error.status, undefined, 'nothing was sent');
    return { message: error.message, param: error.param };
  }
  assert.fail(`accepted ${JSON.stringify(params)}`);
}

describe('checkJobParams', () => {
  test('accepts Together’s parameters and passes them through unchanged', () => {
    const params: CreateJobParams = {
      ...BASE,
      validation_file: 'file-2',
      n_epochs: 3,
      n_evals: 2,
      batch_size: 'max',
      learning_rate: 2e-5,
      lr_scheduler: { lr_scheduler_type: 'cosine', lr_scheduler_args: { min_lr_ratio: 0.1, num_cycles: 0.5 } },
      training_type: { type: 'Lora', lora_r: 16, lora_alpha: 32, lora_dropout: 0.05, lora_trainable_modules: 'all-linear' },
      training_method: { method: 'sft', train_on_inputs: 'auto' },
      suffix: 'v1',
      random_seed: null,
    };
    assert.deepEqual(checkJobParams(params), params);
    assert.deepEqual(checkJobParams({ ...BASE, training_type: { type: 'Full' }, training_method: { method: 'dpo', dpo_beta: 0.2 } }).training_type, { type: 'Full' });
  });

  test('refuses out-of-range values, naming the field', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ n_epochs: 0 }, 'n_epochs', /`n_epochs` must be an integer ≥ 1/],
      [{ n_epochs: 1.5 }, 'n_epochs', /n_epochs/],
      [{ learning_rate: 0 }, 'learning_rate', /`learning_rate` must be > 0/],
      [{ learning_rate: -1e-5 }, 'learning_rate', /must be > 0/],
      [{ batch_size: 0 }, 'batch_size', /batch_size/],
      [{ warmup_ratio: 1.5 }, 'warmup_ratio', /\[0, 1\]/],
      [{ training_type: { type: 'Lora', lora_r: 0, lora_alpha: 16 } }, 'training_type.lora_r', /LoRA rank/],
      [{ training_type: { type: 'Lora', lora_r: 8 } }, 'training_type.lora_alpha', /lora_alpha/],
      [{ training_type: { type: 'Lora', lora_r: 8, lora_alpha: 16, lora_dropout: 1 } }, 'training_type.lora_dropout', /\[0, 1\)/],
      [{ training_type: { type: 'QLoRA' } }, 'training_type.type', /"Full".*"Lora"/],
      [{ model: '  ' }, 'model', /`model` is required/],
      [{ n_evals: 2 }, 'n_evals', /needs a validation_file/],
    ];
    for (const [extra, param, message] of cases) {
      const refused = refusal({ ...BASE, ...extra });
      assert.equal(refused.param, param, JSON.stringify(extra));
      assert.match(refused.message, message);
    }
  });

  test('a misspelt parameter is refused with the nearest real name', () => {
    const refused = refusal({ ...BASE, epochs: 3, learningrate: 1e-4 });
    assert.match(refused.message, /`epochs` is not a fine-tune parameter \(did you mean `n_epochs`\?\)/);
    assert.match(refused.message, /`learningrate` is not a fine-tune parameter \(did you mean `learning_rate`\?\)/);
  });
});

describe('createJob with bad parameters', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('sends nothing', async () => {
    await assert.rejects(createJob(h.transport, { ...BASE, n_epochs: 0 }), /n_epochs/);
    assert.equal(requestsTo(h.emu, '/v1/fine-tunes'), 0);
  });
});
