// The library (createClient, resilientFetch under the real `openai` SDK) and the gateway (in-process, its upstream
// the hostile server, its log captured, its error journal on disk) against an upstream that echoes keys in every
// encoding, sends huge, endless and newline-less bodies, poisons rate-limit headers and goes silent. Every request
// must be answered within its limits, memory must stay bounded, and no form of any key may reach an answer, a log
// line or a journal entry (issue 15: failures 3, 4, 5 and 7, and "make the class impossible").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { createClient, isTogetherError, resilientFetch } from '../../src/index.js';
import type { ClientOptions, TogetherError } from '../../src/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { createGatewayLogger } from '../../src/gateway/log.js';
import { createJournaledPipeline } from '../../src/gateway/journaled-pipeline.js';
import { hostileModel, leakedForms, startHostileUpstream } from '../support/hostile-upstream.js';
import type { HostileBehaviour, HostileUpstream } from '../support/hostile-upstream.js';

/** Keys with `+` and `/`, so their URL-encoded and `\/`-escaped forms differ from the raw one. */
const KEY = 'tgp_v1_HOSTILE+key/0123456789_ABCdef';
const KEY_B = 'tgp_v1_SECOND+key/9876543210_zyxWVU';
const KEYS = [KEY, KEY_B];
/** RSS may grow by at most this while a 400 MB answer is refused (the default 64 MiB limit is read, then dropped). */
const RSS_BOUND_BYTES = 150 * 1024 * 1024;

function assertNoLeak(what: string, text: string): void {
  for (const key of KEYS) {
    const leaks = leakedForms(text, key);
    assert.deepEqual(leaks, [], `${what} gives away ${key.slice(0, 12)}… as ${leaks.join(', ')}: ${text.slice(0, 400)}`);
  }
}

function errorText(error: unknown): string {
  if (isTogetherError(error)) return `${error.message} ${JSON.stringify(error.toJSON())}`;
  return error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : String(error);
}

async function failure(promise: Promise<unknown>): Promise<TogetherError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTogetherError(error), `expected a TogetherError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

/** The highest RSS seen while `run` runs, sampled every 10 ms, above the RSS before it. */
async function peakRssGrowth(run: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - before;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

const chat = (behaviour: HostileBehaviour, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: hostileModel(behaviour),
  messages: [{ role: 'user', content: 'hello' }],
  max_tokens: 16,
  ...extra,
});

let hostile: HostileUpstream;

/** Small limits, so that every misbehaviour is answered within a second or two. */
function clientOptions(extra: Partial<ClientOptions> = {}): ClientOptions {
  return {
    baseUrl: hostile.baseUrl,
    apiKey: KEY,
    env: {},
    secrets: [KEY_B],
    attemptTimeoutMs: 1500,
    idleTimeoutMs: 400,
    deadlineMs: 5000,
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    maxFallbacks: 0,
    preloadTokenizers: false,
    tokenizerThread: false,
    pacing: { initialRequestsPerSecond: 1000 },
    ...extra,
  };
}

before(async () => {
  hostile = await startHostileUpstream();
  // The upstream learns both keys, so it echoes each to whoever it answers next.
  for (const key of KEYS) {
    const response = await fetch(`${hostile.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat('ok')),
    });
    await response.text();
  }
});
after(async () => {
  await hostile?.close();
});

describe('the library against a hostile upstream', () => {
  test('no form of any key reaches a TogetherError, an answer, its headers or a stream (createClient)', async () => {
    const client = createClient(clientOptions());
    try {
      for (const behaviour of ['echo-error', 'echo-server-error'] as const) {
        const error = await failure(client.chat.completions.create(chat(behaviour) as never));
        assertNoLeak(`${behaviour}: the TogetherError`, errorText(error));
      }
      const result = await client.pipeline.send({ endpoint: 'chat', body: chat('echo-json') });
      assert.equal(result.kind, 'json');
      if (result.kind === 'json') {
        assertNoLeak('echo-json: the answer', `${JSON.stringify(result.body)} ${result.rawBody ?? ''}`);
        assertNoLeak('echo-json: the answer headers', JSON.stringify(result.headers));
        assert.match(JSON.stringify(result.body), /\[redacted\]/);
      }
      const stream = await client.chat.completions.create(chat('echo-stream', { stream: true }) as never);
      const chunks: unknown[] = [];
      for await (const chunk of stream as AsyncIterable<unknown>) chunks.push(chunk);
      assertNoLeak('echo-stream: the chunks', JSON.stringify(chunks));
      assertNoLeak('echo-stream: the headers', JSON.stringify((stream as { headers: unknown }).headers));
      const broken = await client.chat.completions.create(chat('echo-stream-error', { stream: true }) as never).then(
        async (s) => {
          for await (const _ of s as AsyncIterable<unknown>) void _;
        },
        (error: unknown) => {
          throw error;
        },
      ).catch((error: unknown) => error);
      assertNoLeak('echo-stream-error: the error', errorText(broken));
      // The model list echoes the keys as an id and a display name.
      const models = await client.models.list();
      assert.ok(models.some((model) => model.id.includes('[redacted]')), 'the echoing entry is listed, scrubbed');
      assertNoLeak('the model list', JSON.stringify(models));
    } finally {
      await client.close();
    }
  });

  test('resilientFetch under the openai SDK: no key in its error bodies or answers', async () => {
    const fetchFn = resilientFetch(clientOptions({ apiKey: undefined }));
    const sdk = new OpenAI({ apiKey: KEY, baseURL: hostile.baseUrl, maxRetries: 0, fetch: fetchFn });
    try {
      for (const behaviour of ['echo-error', 'echo-server-error'] as const) {
        const error = await sdk.chat.completions.create(chat(behaviour) as never).catch((e: unknown) => e);
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assertNoLeak(`SDK ${behaviour}`, `${error.message} ${JSON.stringify(error.error)} ${JSON.stringify(Object.fromEntries(error.headers ?? []))}`);
      }
      // A path resilientFetch passes straight through (not the pipeline's): its error body is scrubbed too.
      const files = await sdk.files.list().catch((e: unknown) => e);
      assert.ok(files instanceof OpenAI.APIError, String(files));
      assertNoLeak('SDK files.list (passed through)', `${files.message} ${JSON.stringify(files.error)}`);
      const answer = await sdk.chat.completions.create(chat('echo-json') as never);
      assertNoLeak('SDK echo-json', JSON.stringify(answer));
      const response = await fetchFn(`${hostile.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(chat('echo-json')),
      });
      assertNoLeak('resilientFetch echo-json headers', JSON.stringify([...response.headers]));
      assertNoLeak('resilientFetch echo-json body', await response.text());
    } finally {
      await fetchFn.close();
    }
  });

  test('a 400 MB answer (JSON or error) is refused at 64 MiB with a server error; memory stays bounded', async () => {
    const client = createClient(clientOptions({ attemptTimeoutMs: 20_000, deadlineMs: 30_000 }));
    try {
      for (const behaviour of ['huge-json', 'huge-error', 'endless-json'] as const) {
        let error: TogetherError | undefined;
        const growth = await peakRssGrowth(async () => {
          error = await failure(client.chat.completions.create(chat(behaviour) as never));
        });
        assert.equal(error?.category, 'server', `${behaviour}: ${error?.message}`);
        assert.equal(error?.code, 'response_too_large');
        assert.match(error?.message ?? '', /64 MiB \(maxResponseBytes/);
        assert.ok(growth < RSS_BOUND_BYTES, `${behaviour}: RSS grew ${Math.round(growth / 1048576)} MB`);
        const sent = hostile.bytesSent.get(behaviour) ?? 0;
        assert.ok(sent < 200 * 1024 * 1024, `${behaviour}: the upstream wrote ${Math.round(sent / 1048576)} MB before the client stopped it`);
      }
    } finally {
      await client.close();
    }
  });

  test('a smaller maxResponseBytes is honoured and named', async () => {
    const client = createClient(clientOptions({ maxResponseBytes: 1024 * 1024 }));
    try {
      const error = await failure(client.chat.completions.create(chat('endless-json') as never));
      assert.equal(error.code, 'response_too_large');
      assert.match(error.message, /1 MiB \(maxResponseBytes/);
    } finally {
      await client.close();
    }
  });

  test('an SSE line without a newline is stopped at 1 MiB with a server error', async () => {
    const client = createClient(clientOptions({ idleTimeoutMs: 5000, attemptTimeoutMs: 20_000, deadlineMs: 30_000 }));
    try {
      const before = hostile.bytesSent.get('sse-no-newline') ?? 0;
      const { value: error, ms } = await timed(() => failure(client.chat.completions.create(chat('sse-no-newline', { stream: true }) as never)));
      assert.equal(error.category, 'server');
      assert.equal(error.code, 'stream_event_too_large');
      assert.match(error.message, /1 MiB \(maxStreamEventBytes/);
      assert.ok(ms < 8000, `answered in ${Math.round(ms)} ms`);
      const sent = (hostile.bytesSent.get('sse-no-newline') ?? 0) - before;
      assert.ok(sent < 32 * 1024 * 1024, `the upstream wrote ${Math.round(sent / 1048576)} MB`);
    } finally {
      await client.close();
    }
  });

  test('poisoned rate-limit headers: the next request fails at once with a clear error, no timer overflows', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      for (const behaviour of ['poisoned-reset', 'poisoned-overflow'] as const) {
        const client = createClient(clientOptions());
        try {
          await client.chat.completions.create(chat(behaviour) as never);
          const { value: error, ms } = await timed(() => failure(client.chat.completions.create(chat('ok') as never)));
          assert.equal(error.category, 'rate_limit', error.message);
          assert.equal(error.code, 'rate_limit_wait_above_cap');
          assert.match(error.message, /maxRetryAfterMs/);
          assert.ok(ms < 3000, `${behaviour}: answered in ${Math.round(ms)} ms (not after the hour it was told to wait)`);
        } finally {
          await client.close();
        }
      }
      const client = createClient(clientOptions());
      try {
        await client.chat.completions.create(chat('poisoned-tokenlimit') as never);
        const error = await failure(client.chat.completions.create(chat('ok', { max_tokens: 100 }) as never));
        assert.equal(error.code, 'token_budget_too_small', error.message);
      } finally {
        await client.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((name) => name === 'TimeoutOverflowWarning'), []);
  });

  test('silence after accept and after headers ends within the attempt timeout', async () => {
    const client = createClient(clientOptions({ attemptTimeoutMs: 300, retry: { maxAttempts: 1 } }));
    try {
      for (const [behaviour, stream] of [['silent-accept', false], ['silent-headers', false], ['silent-headers', true]] as const) {
        const { value: error, ms } = await timed(() => failure(client.chat.completions.create(chat(behaviour, { stream }) as never)));
        assert.equal(error.category, 'timeout', `${behaviour}: ${error.message}`);
        assert.ok(ms < 4000, `${behaviour}: answered in ${Math.round(ms)} ms`);
      }
    } finally {
      await client.close();
    }
  });
});

describe('the gateway against a hostile upstream', () => {
  let gateway: RunningGateway;
  let home: string;
  let logText = '';
  const logOut = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText += chunk.toString('utf8');
      done();
    },
  });
  const logger = createGatewayLogger('debug', logOut);
  const TOKEN_A = 'client-token-aaaa-1234';
  const TOKEN_B = 'client-token-bbbb-5678';

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'tether-hostile-'));
    gateway = await createGateway(
      {
        port: 0,
        logLevel: 'debug',
        upstream: { baseUrl: hostile.baseUrl, apiKey: KEY, keys: [{ name: 'second', apiKey: KEY_B }] },
        clients: [
          { name: 'a', token: TOKEN_A },
          { name: 'b', token: TOKEN_B, upstreamKey: 'second' },
        ],
        policies: {
          retries: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
          timeouts: { attemptTimeoutMs: 1500, idleTimeoutMs: 400, deadlineMs: 20_000 },
          pacing: { initialRequestsPerSecond: 1000 },
        },
      },
      { env: {}, logger, pipelineFactory: (settings) => createJournaledPipeline(settings, { TETHER_HOME: home }) },
    );
  });
  after(async () => {
    await gateway?.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function post(token: string, body: unknown): Promise<{ status: number; text: string; headers: string; ms: number }> {
    const started = performance.now();
    const response = await fetch(`${gateway.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // A stream that fails after its first chunk ends with an error event and a cut connection: keep what came.
    let text = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body ?? []) text += decoder.decode(chunk, { stream: true });
    } catch {
      // cut after the error event
    }
    return { status: response.status, text, headers: JSON.stringify([...response.headers]), ms: performance.now() - started };
  }

  test('no form of either upstream key reaches a client, a log line or the journal', async () => {
    for (const token of [TOKEN_A, TOKEN_B]) {
      for (const behaviour of ['echo-error', 'echo-server-error', 'echo-json'] as const) {
        const answer = await post(token, chat(behaviour));
        assertNoLeak(`gateway ${behaviour} (client ${token.slice(13, 17)})`, `${answer.headers} ${answer.text}`);
      }
      for (const behaviour of ['echo-stream', 'echo-stream-error'] as const) {
        const answer = await post(token, chat(behaviour, { stream: true }));
        assertNoLeak(`gateway ${behaviour} (client ${token.slice(13, 17)})`, `${answer.headers} ${answer.text}`);
      }
    }
    const models = await fetch(`${gateway.baseUrl}/models`, { headers: { authorization: `Bearer ${TOKEN_B}` } });
    assert.equal(models.status, 200);
    assertNoLeak('the gateway model list', await models.text());
    logger.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(logText.includes('"msg":"request"'), 'the access log was captured');
    assertNoLeak('the gateway log', logText);
    const journal = join(home, 'errors.jsonl');
    assert.ok(existsSync(journal), 'the journal was written');
    const entries = readFileSync(journal, 'utf8');
    assert.ok(entries.includes('"kind":"failed"'), entries.slice(0, 200));
    assertNoLeak('the error journal', entries);
  });

  test('a 400 MB answer is a 502 naming the limit; an SSE line without end is a 502; memory stays bounded', async () => {
    const answers: Array<{ status: number; text: string; ms: number }> = [];
    const growths: number[] = [];
    for (const [token, body] of [[TOKEN_A, chat('huge-json')], [TOKEN_B, chat('huge-error')], [TOKEN_A, chat('sse-no-newline', { stream: true })]] as const) {
      growths.push(await peakRssGrowth(async () => void answers.push(await post(token, body))));
    }
    const [json, error, sse] = answers;
    assert.equal(json?.status, 502, json?.text);
    assert.match(json?.text ?? '', /response_too_large/);
    assert.match(json?.text ?? '', /upstream\.maxResponseBytes/);
    assert.equal(error?.status, 502, error?.text);
    assert.equal(sse?.status, 502, sse?.text);
    assert.match(sse?.text ?? '', /stream_event_too_large/);
    for (const answer of answers) assert.ok(answer.ms < 15_000, `answered in ${Math.round(answer.ms)} ms`);
    for (const growth of growths) assert.ok(growth < RSS_BOUND_BYTES, `the gateway's RSS grew ${Math.round(growth / 1048576)} MB`);
  });

  test('poisoned headers and silence: every request answered within its limits', async () => {
    await post(TOKEN_A, chat('poisoned-overflow'));
    const poisoned = await post(TOKEN_A, chat('ok'));
    assert.equal(poisoned.status, 429, poisoned.text);
    assert.match(poisoned.text, /maxRetryAfterMs/);
    assert.ok(poisoned.ms < 3000, `answered in ${Math.round(poisoned.ms)} ms`);
    // The other client's key is paced on its own.
    assert.equal((await post(TOKEN_B, chat('ok'))).status, 200);
    for (const behaviour of ['silent-accept', 'silent-headers'] as const) {
      const answer = await post(TOKEN_B, chat(behaviour));
      assert.equal(answer.status, 504, `${behaviour}: ${answer.text}`);
      // Two attempts of 1.5 s at most, and a short backoff; the margin is for a loaded machine.
      assert.ok(answer.ms < 8000, `${behaviour}: answered in ${Math.round(answer.ms)} ms`);
    }
  });
});
