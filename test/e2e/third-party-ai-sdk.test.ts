// The Vercel AI SDK (`ai` + `@ai-sdk/togetherai`), unmodified, against the emulator and through the gateway: the
// same text, stream, embeddings, structured object and tool call both ways; each error row of DESIGN.md's table
// as the same APICallError status; and a stream cut after its first chunk that makes `textStream` iteration throw.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APICallError, embed, generateImage, generateObject, generateText, rerank, streamText, tool } from 'ai';
import { createTogetherAI } from '@ai-sdk/togetherai';
import { z } from 'zod';
import { KEYS, MODELS } from './helpers/emulator.js';
import { ERROR_ROWS, startThirdPartyBench } from './helpers/third-party.js';
import type { Target, ThirdPartyBench } from './helpers/third-party.js';

/** A nested schema: an object holding an array of objects with an enum, and a nested object. */
const recipeSchema = z.object({
  name: z.string(),
  servings: z.number().int(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
  ingredients: z.array(z.object({ item: z.string(), grams: z.number() })).min(1),
  source: z.object({ author: z.string(), year: z.number().int() }),
});

const weatherTool = tool({
  description: 'Current weather for a city',
  inputSchema: z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) }),
});

let bench: ThirdPartyBench;
before(async () => {
  bench = await startThirdPartyBench();
});
after(() => bench.close());

/** Runs `check` on both targets and returns their results, direct first. */
async function both<T>(check: (target: Target) => Promise<T>): Promise<[T, T]> {
  const [direct, gateway] = bench.targets as [Target, Target];
  return [await check(direct), await check(gateway)];
}

const provider = (target: Target, key: string = KEYS.main) => createTogetherAI({ apiKey: target.bearer(key), baseURL: target.baseURL });

describe('Vercel AI SDK: direct and through the gateway', () => {
  test('generateText: the same text both ways (fixed seed)', async () => {
    const [direct, gateway] = await both(async (target) => {
      const result = await generateText({ model: provider(target)(MODELS.chat), prompt: 'Say hello.', maxOutputTokens: 24, seed: 7, maxRetries: 0 });
      return result.text;
    });
    assert.ok(direct.length > 0);
    assert.equal(gateway, direct);
  });

  test('streamText: textStream concatenates to the generated text, the same both ways', async () => {
    const [direct, gateway] = await both(async (target) => {
      const result = streamText({ model: provider(target)(MODELS.chat), prompt: 'Tell me a short story.', maxOutputTokens: 30, seed: 3, maxRetries: 0 });
      let text = '';
      let parts = 0;
      for await (const delta of result.textStream) {
        text += delta;
        parts += 1;
      }
      assert.ok(parts >= 2, `${target.name}: ${parts} parts`);
      assert.equal(await result.finishReason, 'length');
      return text;
    });
    assert.ok(direct.length > 0);
    assert.equal(gateway, direct);
  });

  test('embed: the same vector both ways', async () => {
    const [direct, gateway] = await both(async (target) => {
      const { embedding } = await embed({ model: provider(target).embeddingModel(MODELS.embedding), value: 'hello world', maxRetries: 0 });
      return embedding;
    });
    assert.ok(direct.length > 0);
    assert.deepEqual(gateway, direct);
  });

  // @ai-sdk/togetherai 2 declares no structured-output support: generateObject sends `response_format: json_object`
  // with no schema, so (against Together as against the emulator) the schema must be in the prompt, as AI SDK 4 put
  // it there itself.
  test('generateObject with a nested schema: a valid object, the same both ways', async () => {
    const system = `JSON schema:\n${JSON.stringify(z.toJSONSchema(recipeSchema))}\nYou MUST answer with a JSON object that matches the JSON schema above.`;
    const [direct, gateway] = await both(async (target) => {
      const { object } = await generateObject({ model: provider(target)(MODELS.chat), schema: recipeSchema, system, prompt: 'A pancake recipe.', seed: 11, maxRetries: 0 });
      return object;
    });
    assert.ok(recipeSchema.safeParse(direct).success);
    assert.ok(direct.ingredients.length >= 1);
    assert.deepEqual(gateway, direct);
  });

  test('a required tool call: arguments valid for the tool\'s schema, the same both ways', async () => {
    const [direct, gateway] = await both(async (target) => {
      const result = await generateText({
        model: provider(target)(MODELS.chat),
        prompt: 'What is the weather in Paris?',
        tools: { weather: weatherTool },
        toolChoice: 'required',
        seed: 5,
        maxRetries: 0,
      });
      assert.equal(result.finishReason, 'tool-calls', target.name);
      return result.toolCalls.map((call) => ({ toolName: call.toolName, input: call.input }));
    });
    assert.equal(direct.length >= 1, true);
    assert.equal(direct[0]!.toolName, 'weather');
    assert.ok(weatherTool.inputSchema && z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) }).safeParse(direct[0]!.input).success);
    assert.deepEqual(gateway, direct);
  });

  test('generateImage (FLUX) and rerank: the same image and ranking both ways, through the gateway\'s pipeline', async () => {
    const [direct, gateway] = await both(async (target) => {
      const image = await generateImage({ model: provider(target).image('black-forest-labs/FLUX.1-schnell'), prompt: 'a red fox', size: '256x256', maxRetries: 0 });
      const ranked = await rerank({
        model: provider(target).reranking('Salesforce/Llama-Rank-V1'),
        query: 'cities in France',
        documents: ['Paris is in France', 'Berlin is in Germany', 'Lyon is a French city'],
        topN: 2,
        maxRetries: 0,
      });
      return { image: image.image.base64, ranking: ranked.ranking.map((r) => ({ index: r.originalIndex, score: r.score })) };
    });
    assert.ok(direct.image.length > 100);
    assert.equal(direct.ranking.length, 2);
    assert.deepEqual(gateway, direct);
  });

  for (const row of ERROR_ROWS) {
    test(`error row ${row.name}: APICallError with status ${row.status}, both ways`, async () => {
      const statuses = await both((target) =>
        bench.withFaults(row.faults ?? [], async () => {
          const error = await generateText({
            model: provider(target, row.key)(row.model),
            prompt: 'Say hello.',
            maxOutputTokens: row.maxTokens ?? 16,
            maxRetries: 0,
          }).then(
            () => assert.fail(`${target.name}: ${row.name} succeeded`),
            (e: unknown) => e,
          );
          assert.ok(APICallError.isInstance(error), `${target.name}: not an APICallError: ${String(error)}`);
          assert.equal(typeof error.message, 'string');
          assert.ok(!String(error.responseBody ?? '').includes(row.key) || row.key === KEYS.main, 'the key in the body');
          return error.statusCode;
        }),
      );
      assert.deepEqual(statuses, [row.status, row.status]);
    });
  }

  test('a stream cut after its first chunk: iterating textStream throws, direct and through the gateway', async () => {
    const outcomes = await both((target) =>
      bench.withFaults([{ kind: 'stream_cut', afterChunks: 2, model: MODELS.chat }], async () => {
        const result = streamText({ model: provider(target)(MODELS.chat), prompt: 'Tell me a long story.', maxOutputTokens: 60, maxRetries: 0, onError: () => undefined });
        let text = '';
        try {
          for await (const delta of result.textStream) text += delta;
        } catch (error) {
          return { threw: true, partial: text.length > 0, error: String(error) };
        }
        return { threw: false, partial: text.length > 0, error: '' };
      }),
    );
    for (const [i, outcome] of outcomes.entries()) {
      assert.ok(outcome.threw, `${bench.targets[i]!.name}: the for await over textStream ended normally`);
      assert.ok(outcome.partial, `${bench.targets[i]!.name}: no text before the cut`);
    }
  });
});
