// Unmodified `openai` (v6) and `together-ai` SDKs pointed at tether's gateway, which runs the real pipeline
// against the emulator: streaming, model lists, and every row of DESIGN.md's error table — arriving with the
// status and error class Together would give, or recovered from where that is what tether does (429 paced,
// 503 retried then fallen back).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { APIError as OpenAIAPIError, RateLimitError as OpenAIRateLimitError } from 'openai';
import Together, { APIError as TogetherAPIError, RateLimitError as TogetherRateLimitError } from 'together-ai';
import type { CompletionCreateParamsNonStreaming } from 'together-ai/resources/chat/completions';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { KEYS, MODELS, chatBody, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';
import { ERROR_CASES, assertErrorContent } from './helpers/error-cases.js';
import type { ErrorCase } from './helpers/error-cases.js';

/** Gateway client tokens, each spending the emulator key of the same name. */
const TOKENS: Record<string, string> = {
  [KEYS.main]: 'gw-token-main',
  [KEYS.unknown]: 'gw-token-unknown',
  [KEYS.broke]: 'gw-token-broke',
  [KEYS.burst]: 'gw-token-burst',
};
const LIMITED_TOKEN = 'gw-token-limited';

/** What the gateway adds to a row: the code tether's pipeline answers with when it stops a request before sending. */
function expectedCodes(errorCase: ErrorCase): string[] | undefined {
  if (errorCase.name.startsWith('400 prompt + max_tokens')) return ['context_length_exceeded'];
  if (errorCase.name.startsWith('400 invalid request body')) return ['invalid_request_body'];
  return errorCase.codes;
}

/** The row as the gateway answers it: tether's own message where it stopped the request (no Together prefix). */
function gatewayCase(errorCase: ErrorCase): ErrorCase {
  const codes = expectedCodes(errorCase);
  const { messagePrefix: _prefix, ...rest } = errorCase;
  return codes ? { ...rest, codes } : rest;
}

/** The 503 row: both the model and its configured fallback overloaded, so nothing can answer. */
const BOTH_OVERLOADED = [
  { kind: 'status' as const, status: 503, rate: 1, model: MODELS.overloaded },
  { kind: 'status' as const, status: 503, rate: 1, model: MODELS.chat },
];

describe('SDKs through the gateway (real pipeline, emulator upstream)', () => {
  let emu: Emulator;
  let gateway: RunningGateway;

  before(async () => {
    emu = await startTestEmulator();
    gateway = await createGateway(
      {
        port: 0,
        logLevel: 'silent',
        upstream: {
          baseUrl: emu.baseUrl,
          apiKey: KEYS.main,
          keys: [
            { name: 'unknown', apiKey: KEYS.unknown },
            { name: 'broke', apiKey: KEYS.broke },
            { name: 'burst', apiKey: KEYS.burst },
          ],
        },
        clients: [
          { name: 'main', token: TOKENS[KEYS.main] },
          { name: 'unknown', token: TOKENS[KEYS.unknown], upstreamKey: 'unknown' },
          { name: 'broke', token: TOKENS[KEYS.broke], upstreamKey: 'broke' },
          { name: 'burst', token: TOKENS[KEYS.burst], upstreamKey: 'burst' },
          { name: 'limited', token: LIMITED_TOKEN, requestsPerSecond: 1 },
        ],
        routes: { [MODELS.overloaded]: [MODELS.chat] },
        policies: { retries: { baseDelayMs: 5, maxDelayMs: 20 }, breaker: { threshold: 100 } },
      },
      { env: {} },
    );
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  const rowBody = (errorCase: ErrorCase) => errorCase.body;
  const tokenFor = (errorCase: ErrorCase): string => TOKENS[errorCase.key] ?? assert.fail(`no gateway token for ${errorCase.name}`);
  const withFaults = async <T>(faults: ErrorCase['faults'], run: () => Promise<T>): Promise<T> => {
    if (faults) emu.setFaults(faults);
    try {
      return await run();
    } finally {
      if (faults) emu.setFaults([]);
    }
  };
  const faultsOf = (errorCase: ErrorCase): ErrorCase['faults'] => (errorCase.name.startsWith('503') ? BOTH_OVERLOADED : errorCase.faults);

  describe('openai', () => {
    const openai = (token = TOKENS[KEYS.main]!) => new OpenAI({ apiKey: token, baseURL: gateway.baseUrl, maxRetries: 0 });

    test('models.list() gets OpenAI\'s list shape', async () => {
      const page = await openai().models.list();
      assert.ok(page.data.some((m) => m.id === MODELS.chat && m.object === 'model'));
    });

    test('chat, then the same request streamed: chunks concatenate to the content, then [DONE]', async () => {
      const request = { model: MODELS.chat, messages: [{ role: 'user' as const, content: 'Tell me a short story.' }], max_tokens: 24, seed: 7 };
      const whole = await openai().chat.completions.create(request);
      const stream = await openai().chat.completions.create({ ...request, stream: true });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        text += chunk.choices[0]?.delta.content ?? '';
      }
      assert.ok(chunks >= 2);
      assert.equal(text, whole.choices[0]?.message.content);
    });

    for (const errorCase of ERROR_CASES) {
      test(`error row: ${errorCase.name}`, async () => {
        const error = await withFaults(faultsOf(errorCase), () =>
          openai(tokenFor(errorCase))
            .chat.completions.create(rowBody(errorCase) as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
            .then(
              () => assert.fail(`${errorCase.name}: the request succeeded`),
              (e: unknown) => e,
            ),
        );
        assert.ok(error instanceof OpenAIAPIError, `not an APIError: ${String(error)}`);
        assert.ok(error.status !== undefined && errorCase.statuses.includes(error.status), `${errorCase.name}: status ${String(error.status)}`);
        assertErrorContent(gatewayCase(errorCase), error.error);
        assert.ok(error.headers?.get('x-tether-category'), 'x-tether-category header');
        assert.match(error.headers?.get('x-request-id') ?? '', /^gw-/);
      });
    }

    test('503 row, as tether handles it: retried, then answered by the configured fallback', async () => {
      const { data, response } = await withFaults([{ kind: 'status', status: 503, rate: 1, model: MODELS.overloaded }], () =>
        openai()
          .chat.completions.create(chatBody(MODELS.overloaded) as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
          .withResponse(),
      );
      assert.equal(data.model, MODELS.chat);
      assert.equal(response.headers.get('x-tether-model'), MODELS.chat);
      assert.ok(Number(response.headers.get('x-tether-attempts')) >= 2);
    });

    test('429 row, as tether handles it: a burst on a 1 request/s key is paced, not refused', async () => {
      const limitedBefore = emu.stats().byStatus['429'] ?? 0;
      const body = chatBody(MODELS.chat) as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
      const results = await Promise.all(Array.from({ length: 3 }, () => openai(TOKENS[KEYS.burst]).chat.completions.create(body)));
      assert.deepEqual(results.map((r) => r.object), ['chat.completion', 'chat.completion', 'chat.completion']);
      assert.ok((emu.stats().byStatus['429'] ?? 0) - limitedBefore <= 1, 'pacing let more than one 429 through');
    });

    test('the gateway\'s own per-token limit arrives as a RateLimitError with retry-after', async () => {
      const client = openai(LIMITED_TOKEN);
      const body = chatBody(MODELS.chat) as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
      const results = await Promise.allSettled([client.chat.completions.create(body), client.chat.completions.create(body)]);
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      assert.equal(rejected.length, 1);
      assert.ok(rejected[0] instanceof OpenAIRateLimitError);
      assert.equal(rejected[0].code, 'client_rate_limited');
      assert.ok(Number(rejected[0].headers?.get('retry-after')) >= 1);
    });

    test('a stream cut upstream ends in an APIError from the iterator, never a clean end', async () => {
      const error = await withFaults([{ kind: 'stream_cut', afterChunks: 2, model: MODELS.chat }], async () => {
        const stream = await openai().chat.completions.create({ model: MODELS.chat, messages: [{ role: 'user', content: 'Tell me a long story.' }], max_tokens: 40, stream: true });
        try {
          for await (const chunk of stream) void chunk;
        } catch (e) {
          return e;
        }
        return assert.fail('the stream ended cleanly');
      });
      assert.ok(error instanceof OpenAIAPIError, `not an APIError: ${String(error)}`);
      assert.match(error.message, /cut/);
    });
  });

  describe('together-ai', () => {
    const together = (token = TOKENS[KEYS.main]!) => new Together({ apiKey: token, baseURL: gateway.baseUrl, maxRetries: 0 });

    test('models.list() gets Together\'s bare array', async () => {
      const models = await together().models.list();
      assert.ok(Array.isArray(models));
      const chat = models.find((m) => m.id === MODELS.chat);
      assert.equal(chat?.object, 'model');
      assert.equal(chat?.type, 'chat');
    });

    test('chat, then the same request streamed', async () => {
      const request = { model: MODELS.chat, messages: [{ role: 'user' as const, content: 'Tell me a short story.' }], max_tokens: 24, seed: 7 };
      const whole = await together().chat.completions.create(request);
      const stream = await together().chat.completions.create({ ...request, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, whole.choices[0]?.message?.content);
    });

    for (const errorCase of ERROR_CASES) {
      test(`error row: ${errorCase.name}`, async () => {
        const error = await withFaults(faultsOf(errorCase), () =>
          together(tokenFor(errorCase))
            .chat.completions.create(rowBody(errorCase) as unknown as CompletionCreateParamsNonStreaming)
            .then(
              () => assert.fail(`${errorCase.name}: the request succeeded`),
              (e: unknown) => e,
            ),
        );
        assert.ok(error instanceof TogetherAPIError, `not an APIError: ${String(error)}`);
        assert.ok(error.status !== undefined && errorCase.statuses.includes(error.status), `${errorCase.name}: status ${String(error.status)}`);
        // together-ai keeps the whole parsed body on `.error`.
        assertErrorContent(gatewayCase(errorCase), (error.error as { error?: unknown } | undefined)?.error);
      });
    }

    test('the gateway\'s per-token limit arrives as a RateLimitError', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the openai block spent this second's request
      const client = together(LIMITED_TOKEN);
      const body = chatBody(MODELS.chat) as unknown as CompletionCreateParamsNonStreaming;
      const results = await Promise.allSettled([client.chat.completions.create(body), client.chat.completions.create(body)]);
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      assert.equal(rejected.length, 1);
      assert.ok(rejected[0] instanceof TogetherRateLimitError);
    });
  });
});
