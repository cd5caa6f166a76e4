// The gateway's HTTP behaviour with a fake pipeline: routing, JSON and SSE pass-through, the error envelope,
// auth and per-token limits, request ids and logs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway, GatewayConfigError } from '../../src/gateway/index.js';
import { chunk, fakeFactory, okJson, streamResult, togetherError } from './fake-pipeline.js';
import type { Responder } from './fake-pipeline.js';
import { CHAT_MODEL, UPSTREAM_KEY, call, chatBody, readToEnd, sseData, startTestGateway, until } from './helpers.js';
import type { TestGateway } from './helpers.js';

/** Answers by the request body's `scenario` field, so one gateway serves every test of a describe block. */
const scenarios: Responder = (request, pipeline) => {
  const body = request.body as { scenario?: string; stream?: boolean };
  switch (body.scenario) {
    case 'rate_limit':
      throw togetherError('rate_limit', { status: 429, retryAfterMs: 2500, requestId: 'together-429', code: 'rate_limit_exceeded', type: 'rate_limit' });
    case 'network':
      throw togetherError('network', { message: 'connect ECONNREFUSED 127.0.0.1:9' });
    case 'timeout':
      throw togetherError('timeout', { message: 'no answer within 100 ms' });
    case 'context':
      throw togetherError('context_length', { status: 400, param: 'max_tokens', message: 'Input validation error: too long' });
    case 'cut':
      return streamResult(request, pipeline, {
        chunks: [chunk(CHAT_MODEL, 'a'), chunk(CHAT_MODEL, 'b')],
        failWith: togetherError('network', { message: 'Stream ended after 2 chunk(s) without [DONE]' }),
      });
    case 'hang':
      return streamResult(request, pipeline, { chunks: [chunk(CHAT_MODEL, 'a')], hang: true });
    case 'crash':
      throw new Error('a bug, not a TogetherError');
    default:
      if (body.stream) return streamResult(request, pipeline, { chunks: [chunk(CHAT_MODEL, 'Hel'), chunk(CHAT_MODEL, 'lo', true)] });
      return okJson(request);
  }
};

describe('gateway routes with a fake pipeline', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway(
      {
        aliases: { fast: CHAT_MODEL },
        routes: { fast: ['meta-llama/Llama-3.3-70B-Instruct-Turbo'] },
        clients: [
          { name: 'app', token: 'client-token-app' },
          { name: 'slow', token: 'client-token-slow', requestsPerSecond: 1 },
          { name: 'team', token: 'client-token-team', upstreamKey: 'team' },
        ],
        upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1', keys: [{ name: 'team', apiKey: 'tg-team-secret-key-0002' }] },
      },
      scenarios,
    );
  });
  after(() => t.gateway.close());
  const pipeline = () => t.factory.built[0]!;

  test('a chat completion goes through pipeline.send and comes back as JSON with ids', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody() });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.object, 'chat.completion');
    assert.equal(reply.headers.get('x-together-request-id'), 'together-req-1');
    assert.match(reply.headers.get('x-request-id') ?? '', /^gw-/);
    const sent = pipeline().requests.at(-1)!;
    assert.equal(sent.endpoint, 'chat');
    assert.equal(sent.requestId, reply.headers.get('x-request-id'));
    assert.equal(sent.apiKey, undefined, 'the default upstream key is the pipeline\'s own');
    assert.equal(sent.signal?.aborted, false, 'a live cancel signal goes with every request');
    assert.equal(typeof sent.signal?.addEventListener, 'function');
  });

  test('completions and embeddings map to their endpoints', async () => {
    await call(t.gateway, '/v1/completions', { token: 'client-token-app', body: { model: CHAT_MODEL, prompt: 'x' } });
    assert.equal(pipeline().requests.at(-1)!.endpoint, 'completions');
    await call(t.gateway, '/v1/embeddings', { token: 'client-token-app', body: { model: 'BAAI/bge-base-en-v1.5', input: 'x' } });
    assert.equal(pipeline().requests.at(-1)!.endpoint, 'embeddings');
  });

  test('an alias becomes the Together id, and its route is sent as fallbacks', async () => {
    await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody({ model: 'fast' }) });
    const sent = pipeline().requests.at(-1)!;
    assert.equal((sent.body as { model: string }).model, CHAT_MODEL);
    assert.deepEqual(sent.overrides?.fallbacks, ['meta-llama/Llama-3.3-70B-Instruct-Turbo']);
  });

  test('a client with its own upstream key sends with it', async () => {
    await call(t.gateway, '/v1/chat/completions', { token: 'client-token-team', body: chatBody() });
    assert.equal(pipeline().requests.at(-1)!.apiKey, 'tg-team-secret-key-0002');
  });

  test('a caller\'s own x-request-id is kept', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody(), headers: { 'x-request-id': 'my-trace.42' } });
    assert.equal(reply.headers.get('x-request-id'), 'my-trace.42');
  });

  test('unknown or missing client token: 401 in the OpenAI envelope, before the pipeline', async () => {
    const before = pipeline().requests.length;
    for (const token of ['nope-nope-nope', undefined]) {
      const reply = await call(t.gateway, '/v1/chat/completions', { ...(token ? { token } : {}), body: chatBody() });
      assert.equal(reply.status, 401);
      assert.deepEqual(Object.keys(reply.json.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(reply.json.error.code, 'invalid_client_token');
      assert.equal(reply.headers.get('x-tether-category'), 'auth');
    }
    assert.equal(pipeline().requests.length, before);
  });

  test('per-token limit: the second request within the second gets 429 with retry-after', async () => {
    const first = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-slow', body: chatBody() });
    const second = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-slow', body: chatBody() });
    assert.equal(first.status, 200);
    assert.equal(second.status, 429);
    assert.equal(second.json.error.code, 'client_rate_limited');
    assert.equal(second.headers.get('retry-after'), '1');
    assert.equal(second.headers.get('x-tether-category'), 'rate_limit');
    // Other clients are not affected.
    assert.equal((await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody() })).status, 200);
  });

  test('a TogetherError keeps its status, envelope fields, retry-after, fix and Together\'s request id', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody({ scenario: 'rate_limit' }) });
    assert.equal(reply.status, 429);
    // Together's envelope, its top-level `id` first (the gateway's request id when the error has no body of Together's).
    assert.deepEqual(reply.json, { id: reply.headers.get('x-request-id'), error: { message: 'rate_limit failure', type: 'rate_limit', param: null, code: 'rate_limit_exceeded' } });
    assert.equal(reply.headers.get('retry-after'), '3');
    assert.equal(reply.headers.get('x-tether-category'), 'rate_limit');
    assert.equal(reply.headers.get('x-tether-fix'), 'Do the thing - then retry...');
    assert.equal(reply.headers.get('x-together-request-id'), 'together-429');
  });

  test('no status: network is 502, timeout is 504; param passes through', async () => {
    const network = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody({ scenario: 'network' }) });
    assert.equal(network.status, 502);
    assert.equal(network.json.error.type, 'api_connection_error');
    const timeout = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody({ scenario: 'timeout' }) });
    assert.equal(timeout.status, 504);
    const context = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody({ scenario: 'context' }) });
    assert.equal(context.status, 400);
    assert.equal(context.json.error.param, 'max_tokens');
    assert.equal(context.headers.get('x-tether-category'), 'context_length');
  });

  test('something other than a TogetherError is a 500 envelope, never a stack trace', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody({ scenario: 'crash' }) });
    assert.equal(reply.status, 500);
    assert.equal(reply.json.error.code, 'gateway_error');
    assert.ok(!reply.text.includes('at '), reply.text);
  });

  test('streaming: chunks as SSE frames, then [DONE]', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody({ stream: true }) });
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/event-stream/);
    const data = sseData(reply.text);
    assert.equal(data.length, 3);
    assert.equal(JSON.parse(data[0]!).choices[0].delta.content, 'Hel');
    assert.equal(data[2], '[DONE]');
  });

  test('a cut stream ends with an error event, no [DONE], and a cut connection', async () => {
    const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer client-token-app', 'content-type': 'application/json' },
      body: JSON.stringify(chatBody({ stream: true, scenario: 'cut' })),
    });
    const reply = await readToEnd(response);
    // The body does not end cleanly: a client that ignores SSE error events still sees a failure.
    assert.ok(reply.error !== undefined, 'the response ended cleanly');
    const data = sseData(reply.text);
    assert.equal(data.length, 3, reply.text);
    assert.ok(!data.includes('[DONE]'));
    const last = JSON.parse(data[2]!);
    assert.equal(last.error.message, 'Stream ended after 2 chunk(s) without [DONE]');
    assert.equal(last.error.type, 'api_connection_error');
  });

  test('a client that disconnects mid-stream cancels the pipeline stream', async () => {
    const controller = new AbortController();
    const cancelledBefore = pipeline().cancelledStreams;
    const response = await fetch(`${t.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer client-token-app', 'content-type': 'application/json' },
      body: JSON.stringify(chatBody({ stream: true, scenario: 'hang' })),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read(); // the first chunk arrived
    controller.abort();
    assert.ok(await until(() => pipeline().cancelledStreams > cancelledBefore), 'the stream was not cancelled');
    const sent = pipeline().requests.at(-1)!;
    assert.equal(sent.signal?.aborted, true, 'the request signal was aborted');
  });

  test('GET /v1/models: OpenAI list shape, and Together\'s bare array for the together-ai SDK', async () => {
    const openai = await call(t.gateway, '/v1/models', { token: 'client-token-app' });
    assert.equal(openai.json.object, 'list');
    assert.equal(openai.json.data[0].id, CHAT_MODEL);
    const together = await call(t.gateway, '/v1/models', { token: 'client-token-app', headers: { 'user-agent': 'Together/JS 0.52.0' } });
    assert.ok(Array.isArray(together.json));
    assert.equal((await call(t.gateway, '/v1/models')).status, 401);
  });

  test('unknown path 404, wrong method 405 with Allow, both in the envelope', async () => {
    const missing = await call(t.gateway, '/nope', { token: 'client-token-app' });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'unknown_url');
    const wrong = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.equal(wrong.json.error.code, 'method_not_allowed');
  });

  test('malformed JSON and non-object bodies are 400 with a clear message', async () => {
    const bad = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', rawBody: '{"model": "x",' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_json');
    assert.match(bad.json.error.message, /^The request body is not valid JSON: /);
    const array = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', rawBody: '[1,2]' });
    assert.equal(array.status, 400);
    assert.equal(array.json.error.code, 'invalid_request_body');
    const empty = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', rawBody: '' });
    assert.equal(empty.status, 400);
  });

  test('/healthz needs no token and reports non-closed breakers', async () => {
    const reply = await call(t.gateway, '/healthz');
    assert.equal(reply.status, 200);
    assert.equal(reply.json.status, 'ok');
    assert.deepEqual(reply.json.breakers, [{ model: 'some/model', state: 'open' }]);
  });

  test('/metrics after traffic: requests, tokens, cost, and the pipeline\'s events', async () => {
    const events = pipeline().events;
    events.emit('attempt', { attempt: 1, model: CHAT_MODEL });
    events.emit('retry', { attempt: 1, delayMs: 10, reason: 'overloaded', serverAsked: false, model: CHAT_MODEL, error: togetherError('overloaded') });
    events.emit('fallback', { from: CHAT_MODEL, to: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', why: 'overloaded' });
    events.emit('breaker', { model: CHAT_MODEL, from: 'closed', to: 'open' });
    events.emit('pacing_wait', { key: 'key_abc', waitedMs: 120 });
    events.emit('outcome', { ok: true, model: CHAT_MODEL, attempts: 2, elapsedMs: 30 });
    const reply = await call(t.gateway, '/metrics');
    assert.equal(reply.status, 200);
    const text = reply.text;
    assert.match(text, /tether_gateway_requests_total\{route="\/v1\/chat\/completions",status="200",category="none"\} \d+/);
    assert.match(text, /tether_gateway_requests_total\{route="\/v1\/chat\/completions",status="401",category="auth"\} 2/);
    assert.match(text, /tether_gateway_requests_total\{route="\/v1\/chat\/completions",status="429",category="rate_limit"\} \d+/);
    assert.match(text, /tether_tokens_total\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo",kind="prompt"\} \d+/);
    assert.match(text, /tether_estimated_cost_usd_total\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo"\} [\d.e-]+/);
    assert.match(text, /tether_upstream_attempts_total\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo"\} 1/);
    assert.match(text, /tether_upstream_retries_total\{reason="overloaded"\} 1/);
    assert.match(text, /tether_upstream_fallbacks_total\{from="[^"]+",to="meta-llama\/Llama-3.3-70B-Instruct-Turbo",why="overloaded"\} 1/);
    assert.match(text, /tether_breaker_state\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo",state="open"\} 1/);
    assert.match(text, /tether_breaker_state\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo",state="closed"\} 0/);
    assert.match(text, /tether_pacing_waits_total\{key="key_abc"\} 1/);
    assert.match(text, /tether_gateway_request_duration_seconds_bucket\{le="0.005",route="\/v1\/chat\/completions",stream="false"\} \d+/);
    assert.match(text, /tether_gateway_stream_first_chunk_seconds_count\{route="\/v1\/chat\/completions"\} \d+/);
    assert.match(text, /tether_pipeline_duration_seconds_count\{outcome="ok"\} 1/);
  });

  test('logs: one JSON line per request with its id, and never a key or token', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { token: 'client-token-app', body: chatBody() });
    const id = reply.headers.get('x-request-id');
    assert.ok(await until(() => t.logs().some((l) => l.reqId === id)));
    const line = t.logs().find((l) => l.reqId === id)!;
    assert.equal(line.status, 200);
    assert.equal(line.client, 'app');
    assert.equal(line.model, CHAT_MODEL);
    const text = t.logText();
    for (const secret of [UPSTREAM_KEY, 'tg-team-secret-key-0002', 'client-token-app', 'client-token-slow']) {
      assert.ok(!text.includes(secret), `the log contains ${secret}`);
    }
  });
});

describe('gateway binding and shutdown', () => {
  test('refuses a non-loopback host without client tokens, naming what to do', async () => {
    const factory = fakeFactory();
    await assert.rejects(
      createGateway({ host: '0.0.0.0', port: 0, upstream: { apiKey: UPSTREAM_KEY } }, { pipelineFactory: factory, env: {} }),
      (error: unknown) => error instanceof GatewayConfigError && /refusing to listen on 0\.0\.0\.0 without client tokens/.test(error.message),
    );
    assert.equal(factory.built.length, 0, 'no pipeline was built');
  });

  test('needs an upstream key', async () => {
    await assert.rejects(
      createGateway({ port: 0 }, { pipelineFactory: fakeFactory(), env: {} }),
      (error: unknown) => error instanceof GatewayConfigError && /TOGETHER_API_KEY/.test(error.message),
    );
  });

  test('/healthz counts the requests in flight, not itself; the in-flight gauge follows them', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const t = await startTestGateway({}, async (request) => {
      if ((request.body as { hold?: boolean }).hold) await held;
      return okJson(request);
    });
    try {
      assert.equal((await call(t.gateway, '/healthz')).json.inflight, 0);
      const first = call(t.gateway, '/v1/chat/completions', { body: chatBody({ hold: true }) });
      const second = call(t.gateway, '/v1/chat/completions', { body: chatBody({ hold: true }) });
      assert.ok(await until(() => t.factory.built[0]!.requests.length === 2));
      assert.equal((await call(t.gateway, '/healthz')).json.inflight, 2);
      // The gauge counts every request being handled, the scrape itself included.
      assert.match((await call(t.gateway, '/metrics')).text, /^tether_gateway_inflight_requests 3$/m);
      release();
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      let inflight = -1;
      for (let i = 0; i < 50 && inflight !== 0; i++) inflight = (await call(t.gateway, '/healthz')).json.inflight;
      assert.equal(inflight, 0);
      assert.match((await call(t.gateway, '/metrics')).text, /^tether_gateway_inflight_requests 1$/m);
    } finally {
      release();
      await t.gateway.close();
    }
  });

  test('close() ends a hanging stream and closes the pipeline', async () => {
    const t = await startTestGateway({}, (request, pipeline) => streamResult(request, pipeline, { chunks: [chunk(CHAT_MODEL, 'a')], hang: true }));
    const response = await fetch(`${t.gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(chatBody({ stream: true })) });
    await response.body!.getReader().read();
    await t.gateway.close();
    assert.equal(t.factory.built[0]!.closed, true);
    assert.ok(await until(() => t.factory.built[0]!.cancelledStreams === 1));
  });
});
