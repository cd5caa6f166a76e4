// The gateway with the real pipeline against the emulator, on the wire: a client that disconnects mid-stream
// cancels the upstream request (the emulator sees its socket close), a cut upstream stream ends the client stream
// with an error event and no [DONE], and /metrics reflects the traffic.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { KEYS, MODELS, chatBody, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';
import { readToEnd } from '../gateway/helpers.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

function post(gateway: RunningGateway, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

describe('gateway + pipeline + emulator on the wire', () => {
  let emu: Emulator;
  let gateway: RunningGateway;

  before(async () => {
    emu = await startTestEmulator();
    gateway = await createGateway(
      { port: 0, logLevel: 'silent', upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main }, policies: { retries: { baseDelayMs: 5, maxDelayMs: 20 } } },
      { env: {} },
    );
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  test('JSON: Together\'s request id comes back as x-together-request-id', async () => {
    const response = await post(gateway, chatBody(MODELS.chat));
    const body = (await response.json()) as { id: string };
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('x-together-request-id'), 'x-together-request-id');
    assert.match(response.headers.get('x-request-id') ?? '', /^gw-/);
    assert.ok(body.id);
  });

  test('a client that disconnects from a stalled stream cancels the upstream request', async () => {
    emu.setFaults([{ kind: 'stall', afterChunks: 1, model: MODELS.chat }]);
    try {
      const resetsBefore = emu.stats().byStatus['reset'] ?? 0;
      const controller = new AbortController();
      const response = await post(gateway, chatBody(MODELS.chat, { stream: true, max_tokens: 30 }), controller.signal);
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.ok(first.value && first.value.length > 0, 'the first chunk arrived');
      controller.abort();
      assert.ok(await until(() => (emu.stats().byStatus['reset'] ?? 0) > resetsBefore), 'the emulator never saw its connection close');
    } finally {
      emu.setFaults([]);
    }
  });

  test('a client that disconnects from a slow stream cancels it too', async () => {
    emu.setFaults([{ kind: 'slow_stream', chunkDelayMs: 100, model: MODELS.chat }]);
    try {
      const resetsBefore = emu.stats().byStatus['reset'] ?? 0;
      const controller = new AbortController();
      const response = await post(gateway, chatBody(MODELS.chat, { stream: true, max_tokens: 40 }), controller.signal);
      await response.body!.getReader().read();
      controller.abort();
      assert.ok(await until(() => (emu.stats().byStatus['reset'] ?? 0) > resetsBefore), 'the upstream stream ran on');
    } finally {
      emu.setFaults([]);
    }
  });

  test('a stream cut upstream: chunks, then an error event, and no [DONE]', async () => {
    emu.setFaults([{ kind: 'stream_cut', afterChunks: 3, model: MODELS.chat }]);
    try {
      const response = await post(gateway, chatBody(MODELS.chat, { stream: true, max_tokens: 30 }));
      // The error event, then the connection cut: fetch's body read fails rather than ending.
      const { text, error } = await readToEnd(response);
      assert.ok(error !== undefined, 'the cut stream ended cleanly');
      const frames = text.split('\n\n').filter((f) => f.startsWith('data: ')).map((f) => f.slice(6));
      assert.ok(!frames.includes('[DONE]'), 'a cut stream must not end cleanly');
      const last = JSON.parse(frames.at(-1)!) as { error?: { message: string; type: string; code: string | null } };
      assert.ok(last.error, `the last frame is not an error: ${frames.at(-1)}`);
      assert.equal(last.error.code, 'stream_cut');
      assert.ok(frames.length >= 2, 'chunks before the cut reached the client');
    } finally {
      emu.setFaults([]);
    }
  });

  test('/metrics after traffic shows attempts, tokens and cost from the real pipeline', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(text, /tether_upstream_attempts_total\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo"\} [1-9]/);
    assert.match(text, /tether_tokens_total\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo",kind="completion"\} [1-9]/);
    assert.match(text, /tether_estimated_cost_usd_total\{model="meta-llama\/Meta-Llama-3.1-8B-Instruct-Turbo"\} [0-9.e-]+/);
    assert.match(text, /tether_gateway_requests_total\{route="\/v1\/chat\/completions",status="200",category="none"\} [1-9]/);
    assert.match(text, /tether_gateway_requests_total\{route="\/v1\/chat\/completions",status="reset",category="client_closed"\} [1-9]/);
  });
});
