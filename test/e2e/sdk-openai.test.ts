// The unmodified `openai` SDK (v6) pointed at the emulator: the calls users make, and the error class each
// row of DESIGN.md's error table arrives as.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { APIError, AuthenticationError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from 'openai';
import { KEYS, MODELS, chatBody, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';
import { ERROR_CASES, assertErrorContent } from './helpers/error-cases.js';

/** The SDK error class Together's status maps to in openai 6 (`APIError.generate`). */
function expectedClass(status: number): new (...args: never[]) => APIError {
  if (status === 400) return BadRequestError;
  if (status === 401) return AuthenticationError;
  if (status === 404) return NotFoundError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return InternalServerError;
  return APIError;
}

describe('openai SDK against the emulator', () => {
  let emu: Emulator;
  let client: OpenAI;
  const clientFor = (apiKey: string) => new OpenAI({ apiKey, baseURL: emu.baseUrl, maxRetries: 0 });

  before(async () => {
    emu = await startTestEmulator();
    client = clientFor(KEYS.main);
  });
  after(() => emu.close());

  test('lists models (Together returns a bare array, which OpenAI\'s Page does not read)', async () => {
    const models = await client.get<{ id: string; object: string }[]>('/models');
    assert.ok(Array.isArray(models));
    assert.ok(models.some((m) => m.id === MODELS.chat && m.object === 'model'));
    // OpenAI's Page reads `body.data`; on Together's bare array it yields no items (Together's real behaviour too).
    const page = await client.models.list();
    assert.deepEqual(page.data, []);
  });

  test('chat completion', async () => {
    const completion = await client.chat.completions.create({
      model: MODELS.chat,
      messages: [{ role: 'user', content: 'Say hello.' }],
      max_tokens: 16,
    });
    assert.equal(completion.object, 'chat.completion');
    const content = completion.choices[0]?.message.content;
    assert.ok(typeof content === 'string' && content.length > 0, 'non-empty content');
    const usage = completion.usage;
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  test('streamed chat: chunks concatenate to the content, usage arrives on the last chunk', async () => {
    // The emulator's output is a function of model, prompt and seed, so the same request unstreamed is the reference.
    const request = { model: MODELS.chat, messages: [{ role: 'user' as const, content: 'Tell me a short story.' }], max_tokens: 24, seed: 7 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length >= 2, `only ${chunks.length} chunks`);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'every chunk of one completion has the same id');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.ok(text.length > 0);
    assert.equal(text, whole.choices[0]?.message?.content, 'the chunks concatenate to the unstreamed content');
    const last = chunks.at(-1);
    assert.ok(last?.choices[0]?.finish_reason, 'the last chunk has finish_reason');
    const usage = last?.usage;
    assert.ok(usage && usage.completion_tokens > 0, 'the last chunk has usage');
    assert.deepEqual(
      [usage.prompt_tokens, usage.completion_tokens, usage.total_tokens],
      [whole.usage?.prompt_tokens, whole.usage?.completion_tokens, whole.usage?.total_tokens],
    );
  });

  test('completion (legacy endpoint)', async () => {
    const completion = await client.completions.create({ model: MODELS.language, prompt: 'The capital of France is', max_tokens: 8 });
    assert.ok((completion.choices[0]?.text ?? '').length > 0);
    assert.ok((completion.usage?.completion_tokens ?? 0) > 0);
  });

  test('embeddings (encoding_format "float": Together returns float arrays, not base64)', async () => {
    const response = await client.embeddings.create({ model: MODELS.embedding, input: ['one', 'two'], encoding_format: 'float' });
    assert.equal(response.data.length, 2);
    const [first, second] = response.data;
    assert.ok(first && second && first.embedding.length > 0);
    assert.equal(first.embedding.length, second.embedding.length);
    assert.ok(first.embedding.every((x) => Number.isFinite(x)));
  });

  for (const errorCase of ERROR_CASES) {
    test(`error row: ${errorCase.name}`, async () => {
      if (errorCase.faults) emu.setFaults(errorCase.faults);
      try {
        const caller = clientFor(errorCase.key);
        const error = await caller.chat.completions
          .create(errorCase.body as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
          .then(
            () => assert.fail(`${errorCase.name}: the request succeeded`),
            (e: unknown) => e,
          );
        assert.ok(error instanceof APIError, `not an APIError: ${String(error)}`);
        assert.ok(error.status !== undefined && errorCase.statuses.includes(error.status), `status ${String(error.status)}`);
        assert.equal(error.constructor, expectedClass(error.status), `${errorCase.name}: class ${error.constructor.name}`);
        // openai puts the inner `error` object on `.error` and copies its code/type.
        assertErrorContent(errorCase, error.error);
        if (errorCase.codes?.length === 1) assert.equal(error.code, errorCase.codes[0]);
        if (errorCase.type !== undefined) assert.equal(error.type, errorCase.type);
      } finally {
        if (errorCase.faults) emu.setFaults([]);
      }
    });
  }

  test('error row: 429 rate limited (a burst on a 1 request/s key)', async () => {
    const caller = clientFor(KEYS.burst);
    const body = chatBody(MODELS.chat) as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => caller.chat.completions.create(body)));
    const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    assert.ok(rejected.length >= 1 && rejected.length < results.length, `${rejected.length} of ${results.length} rejected`);
    for (const error of rejected) {
      assert.ok(error instanceof RateLimitError, `not a RateLimitError: ${String(error)}`);
      assert.equal(error.status, 429);
      assert.ok(Number(error.headers?.get('retry-after')) > 0, 'retry-after header');
    }
  });

  test('with default retries, a 429 with retry-after is waited out and succeeds', async () => {
    const caller = new OpenAI({ apiKey: KEYS.retry, baseURL: emu.baseUrl }); // maxRetries left at its default, 2
    const body = chatBody(MODELS.chat) as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
    const limitedBefore = emu.stats().byStatus['429'] ?? 0;
    const started = performance.now();
    // Sent together: one is admitted, the other gets 429 + retry-after (about 1 s) and must be retried after it.
    const completions = await Promise.all([caller.chat.completions.create(body), caller.chat.completions.create(body)]);
    const waitedMs = performance.now() - started;
    assert.deepEqual(completions.map((c) => c.object), ['chat.completion', 'chat.completion']);
    assert.ok((emu.stats().byStatus['429'] ?? 0) > limitedBefore, 'the emulator sent no 429, so nothing was waited out');
    assert.ok(waitedMs >= 500, `answered after ${waitedMs.toFixed(0)} ms: retry-after was not honoured`);
    assert.ok(waitedMs < 5000, `took ${waitedMs.toFixed(0)} ms`);
  });
});
