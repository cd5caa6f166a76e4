// LangChain JS, unmodified — `@langchain/community`'s ChatTogetherAI and `@langchain/openai`'s ChatOpenAI and
// OpenAIEmbeddings — against the emulator and through the gateway: the same text, stream, embeddings, structured
// output (withStructuredOutput, nested schema) and tool call both ways; each error row of DESIGN.md's table as an
// error with the same status; a stream cut after its first chunk makes `.stream()` iteration throw.
// ChatTogetherAI pins Together's base URL in its constructor: pointing it elsewhere means setting `clientConfig`
// after construction (../shared/reference/peer-notes.md). maxRetries 0: LangChain's own retries (6 by default) off.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatTogetherAI } from '@langchain/community/chat_models/togetherai';
import { TogetherAIEmbeddings } from '@langchain/community/embeddings/togetherai';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { KEYS, MODELS } from './helpers/emulator.js';
import { ERROR_ROWS, startThirdPartyBench } from './helpers/third-party.js';
import type { Target, ThirdPartyBench } from './helpers/third-party.js';

const recipeSchema = z.object({
  name: z.string(),
  servings: z.number().int(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
  ingredients: z.array(z.object({ item: z.string(), grams: z.number() })).min(1),
  source: z.object({ author: z.string(), year: z.number().int() }),
});

const weatherTool = tool(async () => 'sunny', {
  name: 'weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) }),
});

interface ChatOptions {
  key?: string;
  model?: string;
  maxTokens?: number;
  seed?: number;
}

type Flavour = 'ChatTogetherAI' | 'ChatOpenAI';

function chatModel(flavour: Flavour, target: Target, options: ChatOptions = {}): ChatTogetherAI | ChatOpenAI {
  const fields = {
    model: options.model ?? MODELS.chat,
    apiKey: target.bearer(options.key ?? KEYS.main),
    maxTokens: options.maxTokens ?? 24,
    maxRetries: 0,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  if (flavour === 'ChatOpenAI') return new ChatOpenAI({ ...fields, configuration: { baseURL: target.baseURL } });
  const chat = new ChatTogetherAI(fields);
  chat.clientConfig = { ...chat.clientConfig, baseURL: target.baseURL };
  return chat;
}

/** The HTTP status a LangChain call failed with (it keeps the openai SDK's APIError, or wraps it). */
function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; cause?: { status?: unknown }; response?: { status?: unknown } } | null;
  const status = e?.status ?? e?.cause?.status ?? e?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

let bench: ThirdPartyBench;
before(async () => {
  bench = await startThirdPartyBench();
});
after(() => bench.close());

async function both<T>(check: (target: Target) => Promise<T>): Promise<[T, T]> {
  const [direct, gateway] = bench.targets as [Target, Target];
  return [await check(direct), await check(gateway)];
}

for (const flavour of ['ChatTogetherAI', 'ChatOpenAI'] as const) {
  describe(`LangChain ${flavour}: direct and through the gateway`, () => {
    test('invoke: the same text both ways (fixed seed)', async () => {
      const [direct, gateway] = await both(async (target) => {
        const answer = await chatModel(flavour, target, { seed: 7 }).invoke('Say hello.');
        return answer.content;
      });
      assert.equal(typeof direct, 'string');
      assert.ok((direct as string).length > 0);
      assert.equal(gateway, direct);
    });

    test('stream: chunks concatenate to the same text both ways', async () => {
      const [direct, gateway] = await both(async (target) => {
        let text = '';
        let chunks = 0;
        for await (const chunk of await chatModel(flavour, target, { seed: 3, maxTokens: 30 }).stream('Tell me a short story.')) {
          text += typeof chunk.content === 'string' ? chunk.content : '';
          chunks += 1;
        }
        assert.ok(chunks >= 2, `${target.name}: ${chunks} chunks`);
        return text;
      });
      assert.ok(direct.length > 0);
      assert.equal(gateway, direct);
    });

    test('withStructuredOutput with a nested schema: a valid object, the same both ways', async () => {
      const [direct, gateway] = await both(async (target) => {
        const model = chatModel(flavour, target, { seed: 11, maxTokens: 512 }) as BaseChatModel;
        return (await model.withStructuredOutput(recipeSchema, { name: 'recipe' }).invoke('A pancake recipe.')) as z.infer<typeof recipeSchema>;
      });
      assert.ok(recipeSchema.safeParse(direct).success, JSON.stringify(direct));
      assert.deepEqual(gateway, direct);
    });

    test('bindTools with tool_choice required: a weather call with valid arguments, the same both ways', async () => {
      const [direct, gateway] = await both(async (target) => {
        const model = chatModel(flavour, target, { seed: 5 });
        const answer = await model.bindTools([weatherTool], { tool_choice: 'required' }).invoke('What is the weather in Paris?');
        return (answer.tool_calls ?? []).map((call) => ({ name: call.name, args: call.args }));
      });
      assert.ok(direct.length >= 1);
      assert.equal(direct[0]!.name, 'weather');
      assert.ok(weatherTool.schema.safeParse(direct[0]!.args).success, JSON.stringify(direct[0]!.args));
      assert.deepEqual(gateway, direct);
    });

    for (const row of ERROR_ROWS) {
      test(`error row ${row.name}: fails with status ${row.status}, both ways`, async () => {
        const statuses = await both((target) =>
          bench.withFaults(row.faults ?? [], async () => {
            const error = await chatModel(flavour, target, { key: row.key, model: row.model, maxTokens: row.maxTokens ?? 16 })
              .invoke('Say hello.')
              .then(
                () => assert.fail(`${target.name}: ${row.name} succeeded`),
                (e: unknown) => e,
              );
            assert.ok(error instanceof Error, `${target.name}: ${String(error)}`);
            return statusOf(error);
          }),
        );
        assert.deepEqual(statuses, [row.status, row.status]);
      });
    }

    test('a stream cut after its first chunk: iterating .stream() throws, direct and through the gateway', async () => {
      const outcomes = await both((target) =>
        bench.withFaults([{ kind: 'stream_cut', afterChunks: 2, model: MODELS.chat }], async () => {
          let text = '';
          try {
            for await (const chunk of await chatModel(flavour, target, { maxTokens: 60 }).stream('Tell me a long story.')) {
              text += typeof chunk.content === 'string' ? chunk.content : '';
            }
          } catch {
            return { threw: true, partial: text.length > 0 };
          }
          return { threw: false, partial: text.length > 0 };
        }),
      );
      for (const [i, outcome] of outcomes.entries()) {
        assert.ok(outcome.threw, `${bench.targets[i]!.name}: the stream ended normally`);
        assert.ok(outcome.partial, `${bench.targets[i]!.name}: no text before the cut`);
      }
    });
  });
}

describe('LangChain embeddings: direct and through the gateway', () => {
  test('TogetherAIEmbeddings (its URL set after construction, as it pins Together\'s): the same vectors both ways', async () => {
    const [direct, gateway] = await both(async (target) => {
      const embeddings = new TogetherAIEmbeddings({ model: MODELS.embedding, apiKey: target.bearer(KEYS.main), maxRetries: 0 });
      // A private field in its typings, the only way to point it elsewhere.
      (embeddings as unknown as { embeddingsAPIUrl: string }).embeddingsAPIUrl = `${target.baseURL}/embeddings`;
      return { one: await embeddings.embedQuery('hello world'), many: await embeddings.embedDocuments(['a', 'b']) };
    });
    assert.ok(direct.one.length > 0);
    assert.equal(direct.many.length, 2);
    assert.deepEqual(gateway, direct);
  });


  test('embedQuery and embedDocuments: the same vectors both ways', async () => {
    const [direct, gateway] = await both(async (target) => {
      const embeddings = new OpenAIEmbeddings({
        model: MODELS.embedding,
        apiKey: target.bearer(KEYS.main),
        maxRetries: 0,
        // Together's embeddings take no `encoding_format: base64` decoding trick: ask for floats as Together sends.
        encodingFormat: 'float',
        configuration: { baseURL: target.baseURL },
      });
      return { one: await embeddings.embedQuery('hello world'), many: await embeddings.embedDocuments(['a', 'b']) };
    });
    assert.ok(direct.one.length > 0);
    assert.equal(direct.many.length, 2);
    assert.deepEqual(gateway, direct);
  });
});
