// The context limit is corrected from Together's own answers: a catalog that assumes more context than the model
// has lets a long prompt through preflight once; the 400 it earns names the real limit, which the catalog learns,
// and the next such prompt is refused before sending (nothing more upstream).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipeline } from '../../src/pipeline/index.js';
import type { Pipeline } from '../../src/pipeline/index.js';
import { TogetherError } from '../../src/errors/index.js';
import { KEYS, MODELS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

describe('context limits learned from answers', () => {
  let emu: Emulator;
  let pipeline: Pipeline;

  before(async () => {
    emu = await startTestEmulator();
    pipeline = createPipeline({
      apiKey: KEYS.main,
      baseUrl: emu.baseUrl,
      env: {},
      pacing: false,
      catalog: {
        // The live list, except that it overstates the small model's context 4× (as published lists have).
        fetchModels: async () => {
          const response = await fetch(`${emu.baseUrl}/models`, { headers: { authorization: `Bearer ${KEYS.main}` } });
          const models = (await response.json()) as { id: string; context_length?: number }[];
          return models.map((m) => (m.id === MODELS.smallContext ? { ...m, context_length: 4 * MODELS.smallContextLength } : m)) as never;
        },
      },
    });
  });
  after(async () => {
    await pipeline?.close();
    await emu?.close();
  });

  test('a context error for a request that passed preflight corrects the limit; the next is refused locally', async () => {
    const body = { model: MODELS.smallContext, messages: [{ role: 'user', content: 'hello '.repeat(10_000) }], max_tokens: 16 };
    const inference = (): number => emu.stats().byPath['/v1/chat/completions'] ?? 0;
    const first = await pipeline.send({ endpoint: 'chat', body }).then(() => undefined, (e: unknown) => e);
    assert.ok(first instanceof TogetherError && first.category === 'context_length', String(first));
    assert.equal(first.status, 400, 'the first was refused by the upstream');
    const sent = inference();
    assert.ok(sent >= 1);

    const second = await pipeline.send({ endpoint: 'chat', body }).then(() => undefined, (e: unknown) => e);
    assert.ok(second instanceof TogetherError && second.category === 'context_length', String(second));
    assert.equal(inference(), sent, 'the second was refused before sending');
    assert.match(second.message, new RegExp(String(MODELS.smallContextLength).replace(/\B(?=(\d{3})+(?!\d))/g, ',?')));
    const models = (await pipeline.listModels()) as { id: string; contextLength?: number }[];
    const learned = models.find((m) => m.id === MODELS.smallContext);
    assert.equal(learned?.contextLength, MODELS.smallContextLength);
  });
});
