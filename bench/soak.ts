// Gateway soak test (not part of `npm test`): `node --expose-gc --import tsx bench/soak.ts [--minutes 10] [--workers 16]`.
//
// The emulator (with faults: 503s, 500s, connection resets, cut and stalled streams, latency) behind the gateway
// with the real pipeline, both in this process on loopback, under a mixed load for a bounded time:
// JSON and streamed chats, embeddings, malformed JSON, oversized bodies, clients that disconnect mid-stream and
// clients too slow to send their headers. It checks that
//   - every request is answered: a success, or a classified error (the envelope with `x-tether-category`); a
//     stream ends with [DONE] or an error event, never silently;
//   - memory (heap) and open file descriptors stay within a bound after warm-up;
//   - no unhandled rejection or uncaught exception happens.
// Prints progress every 30 s; the last line is a JSON object with the counts and `ok`. Exits 1 when a check fails.
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { Agent, request } from 'undici';
import { startEmulator } from '../src/emulator/index.js';
import { createGateway } from '../src/gateway/index.js';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? NaN : Number(process.argv[index + 1]);
  return Number.isFinite(value) ? value : fallback;
}

const MINUTES = arg('minutes', 10);
const WORKERS = arg('workers', 16);
const HEAP_GROWTH_LIMIT_MB = 64;
const FD_LIMIT = 400;
const CHAT = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const FLAKY = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const EMBED = 'BAAI/bge-base-en-v1.5';

const problems: string[] = [];
const note = (problem: string): void => {
  if (problems.length < 50) problems.push(problem);
};
process.on('unhandledRejection', (reason) => note(`unhandled rejection: ${String(reason)}`));
process.on('uncaughtException', (error) => note(`uncaught exception: ${error.stack ?? String(error)}`));

const emulator = await startEmulator({
  port: 0,
  seed: 7,
  keys: [{ key: 'soak-key', requestsPerSecond: 60, tokensPerMinute: 50_000_000, creditsUsd: 1_000_000 }],
  faults: [
    { kind: 'status', status: 503, rate: 0.05, model: FLAKY },
    { kind: 'status', status: 500, rate: 0.02 },
    { kind: 'reset', rate: 0.01 },
    { kind: 'latency', ms: 5, jitterMs: 30 },
    { kind: 'stream_cut', afterChunks: 2, rate: 0.05 },
    { kind: 'stall', afterChunks: 1, rate: 0.01 },
  ],
});
const gateway = await createGateway(
  {
    port: 0,
    logLevel: 'silent',
    upstream: { baseUrl: emulator.baseUrl, apiKey: 'soak-key' },
    routes: { [FLAKY]: [CHAT] },
    limits: { maxBodyBytes: 64 * 1024, headersTimeoutMs: 2_000, requestTimeoutMs: 10_000 },
    policies: { retries: { baseDelayMs: 20, maxDelayMs: 200 }, timeouts: { deadlineMs: 20_000, attemptTimeoutMs: 10_000, idleTimeoutMs: 3_000 } },
  },
  { env: {} },
);
const agent = new Agent({ keepAliveTimeout: 10_000, connections: WORKERS * 2 });
const url = `${gateway.baseUrl}/chat/completions`;

type Kind = 'json' | 'stream' | 'embeddings' | 'malformed' | 'oversized' | 'disconnect' | 'slow_headers' | 'flaky';
const counts: Record<string, number> = {};
const bump = (key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

function pick(): Kind {
  const r = Math.random();
  if (r < 0.35) return 'json';
  if (r < 0.6) return 'stream';
  if (r < 0.7) return 'flaky';
  if (r < 0.78) return 'embeddings';
  if (r < 0.84) return 'malformed';
  if (r < 0.89) return 'oversized';
  if (r < 0.97) return 'disconnect';
  return 'slow_headers';
}

const chat = (model: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model, messages: [{ role: 'user', content: `Soak ${Math.random()}` }], max_tokens: 12, ...extra });

/** A non-2xx answer is fine when it is classified: the envelope and the category header. */
function classified(status: number, headers: Record<string, unknown>, text: string): boolean {
  if (!headers['x-tether-category']) return false;
  try {
    const error = (JSON.parse(text) as { error?: { message?: unknown; type?: unknown } }).error;
    return typeof error?.message === 'string' && typeof error.type === 'string' && status >= 400;
  } catch {
    return false;
  }
}

async function post(body: string, target = url): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const response = await request(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    dispatcher: agent,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

async function once(kind: Kind): Promise<void> {
  switch (kind) {
    case 'json':
    case 'flaky':
    case 'embeddings':
    case 'malformed':
    case 'oversized': {
      const body =
        kind === 'malformed'
          ? '{"model": "x", "messages": ['
          : kind === 'oversized'
            ? chat(CHAT, { padding: 'x'.repeat(80 * 1024) })
            : kind === 'embeddings'
              ? JSON.stringify({ model: EMBED, input: ['soak'] })
              : chat(kind === 'flaky' ? FLAKY : CHAT);
      const target = kind === 'embeddings' ? `${gateway.baseUrl}/embeddings` : url;
      const reply = await post(body, target);
      if (reply.status === 200) bump(`${kind}:ok`);
      else if (classified(reply.status, reply.headers, reply.text)) bump(`${kind}:${reply.status}:${String(reply.headers['x-tether-category'])}`);
      else note(`${kind}: unclassified ${reply.status} ${reply.text.slice(0, 200)}`);
      if (kind === 'malformed' && reply.status !== 400) note(`malformed JSON answered ${reply.status}`);
      if (kind === 'oversized' && reply.status !== 413) note(`oversized body answered ${reply.status}`);
      return;
    }
    case 'stream': {
      const reply = await post(chat(CHAT, { stream: true, max_tokens: 16 }));
      if (reply.status !== 200) {
        if (classified(reply.status, reply.headers, reply.text)) bump(`stream:${reply.status}:${String(reply.headers['x-tether-category'])}`);
        else note(`stream: unclassified ${reply.status}`);
        return;
      }
      const frames = reply.text.split('\n\n').filter((f) => f.startsWith('data: '));
      const last = frames.at(-1) ?? '';
      if (last === 'data: [DONE]') bump('stream:done');
      else if (last.startsWith('data: {"error"')) bump('stream:error_event');
      else note(`stream ended without [DONE] or an error event: ${last.slice(0, 120)}`);
      return;
    }
    case 'disconnect': {
      const controller = new AbortController();
      try {
        const response = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: chat(CHAT, { stream: true, max_tokens: 40 }),
          dispatcher: agent,
          signal: controller.signal,
        });
        for await (const piece of response.body) {
          void piece;
          controller.abort();
        }
      } catch {
        // the point of this client
      }
      bump('disconnect');
      return;
    }
    case 'slow_headers': {
      // Sends half a request line and never more: the gateway must answer 408 and close within its header timeout.
      const answered = await new Promise<string>((resolve) => {
        const socket = connect(gateway.port, '127.0.0.1', () => socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: soak\r\n'));
        let received = '';
        const timer = setTimeout(() => {
          socket.destroy();
          resolve('held open');
        }, 10_000);
        socket.on('data', (data) => (received += data.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(received.split('\r\n')[0] ?? '');
        });
      });
      if (answered.startsWith('HTTP/1.1 408')) bump('slow_headers:408');
      else note(`slow client: ${answered}`);
      return;
    }
  }
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return NaN;
  }
}

const started = Date.now();
const endAt = started + MINUTES * 60_000;
const samples: Array<{ atS: number; heapMb: number; rssMb: number; fds: number }> = [];
const sample = (): void => {
  global.gc?.(); // with --expose-gc the heap figure is what is live, not what awaits collection
  const memory = process.memoryUsage();
  samples.push({ atS: Math.round((Date.now() - started) / 1000), heapMb: Math.round(memory.heapUsed / 1e6), rssMb: Math.round(memory.rss / 1e6), fds: openFds() });
};
sample();
const sampler = setInterval(() => {
  sample();
  const last = samples.at(-1)!;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`${last.atS}s: ${total} requests, heap ${last.heapMb} MB, rss ${last.rssMb} MB, fds ${last.fds}, problems ${problems.length}`);
}, 30_000);

let requests = 0;
await Promise.all(
  Array.from({ length: WORKERS }, async () => {
    while (Date.now() < endAt) {
      const kind = pick();
      requests++;
      try {
        await once(kind);
      } catch (error) {
        note(`${kind}: no answer: ${(error as Error).message}`);
      }
    }
  }),
);
clearInterval(sampler);
await new Promise((resolve) => setTimeout(resolve, 2_000)); // let sockets settle before the last sample
sample();

// After warm-up (the first fifth), heap and descriptors must not keep growing past the bounds.
const warm = samples[Math.max(1, Math.floor(samples.length / 5))] ?? samples[0]!;
const end = samples.at(-1)!;
const heapGrowthMb = end.heapMb - warm.heapMb;
if (heapGrowthMb > HEAP_GROWTH_LIMIT_MB) note(`heap grew ${heapGrowthMb} MB after warm-up (limit ${HEAP_GROWTH_LIMIT_MB})`);
const maxFds = Math.max(...samples.map((s) => s.fds));
if (maxFds > FD_LIMIT) note(`${maxFds} open file descriptors (limit ${FD_LIMIT})`);

await agent.close();
await gateway.close();
await emulator.close();
const summary = { bench: 'soak', minutes: MINUTES, workers: WORKERS, requests, counts, heapGrowthMb, maxFds, samples: samples.length, problems, ok: problems.length === 0 };
console.log(JSON.stringify(summary));
process.exitCode = summary.ok ? 0 : 1;
