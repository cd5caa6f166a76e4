// The unmodified `openai` (v6) and `together-ai` SDKs with `fetch: resilientFetch(...)` (and their own retries off),
// against the emulator: the same scenarios as the pipeline's own e2e tests, seen through each SDK's own API and error
// classes. Upstream inference calls are counted: 0 wherever the pipeline should have stopped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { APIError as OpenAIError, APIUserAbortError as OpenAIAbort, NotFoundError as OpenAINotFound, BadRequestError as OpenAIBadRequest } from 'openai';
import Together, {
  APIError as TogetherAPIError,
  APIUserAbortError as TogetherAbort,
  NotFoundError as TogetherNotFound,
  BadRequestError as TogetherBadRequest,
} from 'together-ai';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { TogetherError, resilientFetch } from '../../src/index.js';
import type { PipelineOptions, ResilientFetch } from '../../src/index.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const FALLBACK = 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo';
const SMALL = 'meta-llama/Meta-Llama-3-8B-Instruct-Lite';
const DEPRECATED = 'meta-llama/Llama-3-8b-chat-hf';

/** The part of both SDKs these tests use: they share the OpenAI shape. */
interface Sdk {
  chat: { completions: { create(body: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown> } };
}

interface Flavour {
  name: string;
  make(key: string, fetch: ResilientFetch, baseURL: string): Sdk;
  listModels(sdk: Sdk): Promise<Array<{ id: string }>>;
  APIError: abstract new (...args: never[]) => Error & { status?: number; error?: unknown };
  NotFound: abstract new (...args: never[]) => Error;
  BadRequest: abstract new (...args: never[]) => Error;
  Abort: abstract new (...args: never[]) => Error;
}

const FLAVOURS: Flavour[] = [
  {
    name: 'openai',
    make: (key, fetch, baseURL) => new OpenAI({ apiKey: key, baseURL, maxRetries: 0, fetch }) as unknown as Sdk,
    listModels: (sdk) => (sdk as unknown as OpenAI).get<Array<{ id: string }>>('/models'),
    APIError: OpenAIError,
    NotFound: OpenAINotFound,
    BadRequest: OpenAIBadRequest,
    Abort: OpenAIAbort,
  },
  {
    name: 'together-ai',
    make: (key, fetch, baseURL) => new Together({ apiKey: key, baseURL, maxRetries: 0, fetch }) as unknown as Sdk,
    listModels: (sdk) => (sdk as unknown as Together).models.list(),
    APIError: TogetherAPIError,
    NotFound: TogetherNotFound,
    BadRequest: TogetherBadRequest,
    Abort: TogetherAbort,
  },
];

let emu: RunningEmulator;
const fetches: ResilientFetch[] = [];

before(async () => {
  emu = await startEmulator({
    port: 0,
    seed: 9,
    keys: FLAVOURS.flatMap((f) => [
      { key: `tk-${f.name}`, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 1000 },
      { key: `tk-${f.name}-credits`, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 1000 },
    ]),
  });
});

after(async () => {
  await Promise.all(fetches.map((f) => f.close()));
  await emu.close();
});

function chat(model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: 'Explain retries in one line.' }], max_tokens: 12, ...extra };
}

async function thrown(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the call to throw');
}

/** Together's `error.message` as the SDK kept it (openai extracts it; together-ai keeps the body in `.error`). */
function upstreamMessage(error: Error): string {
  const body = (error as { error?: { message?: unknown; error?: { message?: unknown } } }).error;
  const message = body?.message ?? body?.error?.message;
  return typeof message === 'string' ? message : error.message;
}

async function drain(stream: unknown): Promise<{ chunks: unknown[]; error?: unknown }> {
  const chunks: unknown[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<unknown>) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

for (const flavour of FLAVOURS) {
  describe(`${flavour.name} SDK with fetch: resilientFetch()`, () => {
    const key = `tk-${flavour.name}`;
    const sdkWith = (options: PipelineOptions = {}, sdkKey = key): { sdk: Sdk; fetch: ResilientFetch } => {
      const fetch = resilientFetch({ baseUrl: emu.baseUrl, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options });
      fetches.push(fetch);
      return { sdk: flavour.make(sdkKey, fetch, emu.baseUrl), fetch };
    };

    test('chat, streamed chat, and a pass-through path (models)', async () => {
      const { sdk } = sdkWith();
      const completion = (await sdk.chat.completions.create(chat(MODEL))) as { model: string; choices: Array<{ message: { content: string } }> };
      assert.equal(completion.model, MODEL);
      assert.ok(completion.choices[0]?.message.content.length);
      const stream = await sdk.chat.completions.create(chat(MODEL, { stream: true }));
      const read = await drain(stream);
      assert.equal(read.error, undefined);
      assert.ok(read.chunks.length > 1);
      const models = await flavour.listModels(sdk);
      assert.ok(models.some((m) => m.id === MODEL));
    });

    test('500 on the primary: answered by the fallback, the breaker opens, traffic returns after the fault', async () => {
      const { sdk, fetch } = sdkWith({ breaker: { threshold: 2, coolDownMs: 200 }, retry: { maxAttempts: 2, baseDelayMs: 5 } });
      emu.setFaults([{ kind: 'status', status: 500, rate: 1, model: MODEL }]);
      try {
        for (let i = 0; i < 3; i++) {
          const completion = (await sdk.chat.completions.create(chat(MODEL))) as { model: string };
          assert.equal(completion.model, FALLBACK);
        }
        assert.equal(fetch.pipeline.state().breakers.find((b) => b.model === MODEL)?.state, 'open');
      } finally {
        emu.setFaults([]);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.equal(((await sdk.chat.completions.create(chat(MODEL))) as { model: string }).model, MODEL);
      assert.equal(fetch.pipeline.state().breakers.find((b) => b.model === MODEL)?.state, 'closed');
    });

    test('402 after N requests: one billing error with its fix, then nothing sent until reset', async () => {
      const creditsKey = `tk-${flavour.name}-credits`;
      const { sdk, fetch } = sdkWith({}, creditsKey);
      emu.setFaults([{ kind: 'credits', afterRequests: 1, key: creditsKey }]);
      try {
        await sdk.chat.completions.create(chat(MODEL));
        const first = await thrown(sdk.chat.completions.create(chat(MODEL)));
        assert.ok(first instanceof flavour.APIError, `${first.name}: ${first.message}`);
        assert.equal(first.status, 402);
        assert.match(JSON.stringify(first.error ?? first.message), /settings\/billing/);
        const sent = emu.stats().byKey;
        const before = JSON.stringify(sent);
        const again = await thrown(sdk.chat.completions.create(chat(MODEL)));
        assert.equal((again as { status?: number }).status, 402);
        assert.equal(JSON.stringify(emu.stats().byKey), before, 'nothing more reached upstream with the key');
        emu.setCredits(creditsKey, 50);
        assert.equal(fetch.pipeline.resetKey(creditsKey), true);
      } finally {
        emu.setFaults([]);
      }
      assert.ok(await sdk.chat.completions.create(chat(MODEL)));
    });

    test('unknown and deprecated ids: the SDK raises its 404 class, with 0 inference calls', async () => {
      const { sdk } = sdkWith();
      emu.resetStats();
      const unknown = await thrown(sdk.chat.completions.create(chat('meta-llama/Llama-3.1-8B-Instruct-Turbo')));
      assert.ok(unknown instanceof flavour.NotFound, `${unknown.name}: ${unknown.message}`);
      assert.match(upstreamMessage(unknown), /Did you mean "meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo"/);
      const deprecated = await thrown(sdk.chat.completions.create(chat(DEPRECATED)));
      assert.ok(deprecated instanceof flavour.NotFound);
      assert.match(upstreamMessage(deprecated), /successor is "meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo"/);
      assert.equal(emu.stats().inferenceCalls, 0);
    });

    test("context overflow: 'error' is the SDK's 400 with 0 calls; 'clamp' and 'fallback' are answered", async () => {
      const body = chat(SMALL, { max_tokens: 9000 });
      emu.resetStats();
      const refused = await thrown(sdkWith({ onContextOverflow: 'error' }).sdk.chat.completions.create(body));
      assert.ok(refused instanceof flavour.BadRequest, `${refused.name}: ${refused.message}`);
      assert.match(upstreamMessage(refused), /exceeds the 8192-token context/);
      assert.equal(emu.stats().inferenceCalls, 0);
      const clamped = (await sdkWith({ onContextOverflow: 'clamp' }).sdk.chat.completions.create(body)) as { model: string };
      assert.equal(clamped.model, SMALL);
      const moved = (await sdkWith({ onContextOverflow: 'fallback' }).sdk.chat.completions.create(body)) as { model: string };
      assert.equal(moved.model, MODEL);
      assert.equal(emu.stats().inferenceCalls, 2);
    });

    test('streams: a cut before the first chunk is invisible; after it, the SDK iterator throws', async () => {
      const { sdk, fetch } = sdkWith();
      emu.setFaults([{ kind: 'stream_cut', afterChunks: 0 }]);
      const lift = fetch.pipeline.events.on('retry', () => emu.setFaults([]));
      const clean = await drain(await sdk.chat.completions.create(chat(MODEL, { stream: true })));
      lift();
      assert.equal(clean.error, undefined);
      assert.ok(clean.chunks.length > 1);

      emu.setFaults([{ kind: 'stream_cut', afterChunks: 3 }]);
      try {
        const cut = await drain(await sdk.chat.completions.create(chat(MODEL, { stream: true })));
        assert.equal(cut.chunks.length, 3);
        assert.ok(cut.error instanceof TogetherError, `the iterator threw ${String(cut.error)}`);
        assert.equal(cut.error.code, 'stream_cut');
      } finally {
        emu.setFaults([]);
      }
    });

    test('a silent stream hits the idle timeout; an abort is the SDK\'s own abort error', async () => {
      const { sdk } = sdkWith({ idleTimeoutMs: 150, retry: { maxAttempts: 1 } });
      emu.setFaults([{ kind: 'stall', afterChunks: 2 }]);
      try {
        const silent = await drain(await sdk.chat.completions.create(chat(MODEL, { stream: true })));
        assert.equal(silent.chunks.length, 2);
        assert.ok(silent.error instanceof TogetherError && silent.error.category === 'timeout', String(silent.error));

        emu.setFaults([{ kind: 'stall' }]);
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        const aborted = await thrown(sdk.chat.completions.create(chat(MODEL), { signal: controller.signal }));
        assert.ok(aborted instanceof flavour.Abort, `${aborted.name}: ${aborted.message}`);
      } finally {
        emu.setFaults([]);
      }
    });
  });
}
