// The burst benchmark: 300 concurrent chat requests on a key limited to 20 requests/s, sent once through tether's
// pipeline (which learns the limit from the x-ratelimit-* headers) and once through the `openai` SDK with its
// defaults (2 retries, honouring retry-after), in the same run against the same emulator, each on a fresh key.
// Also the preflight's cost: the cheap bound against exact tokenization for a long prompt that fits.
// Run: `npx tsx bench/pacing.ts [requests] [limit]`. The last line is a JSON object of the figures.
import OpenAI from 'openai';
import { startEmulator } from '../src/emulator/index.js';
import { createPipeline } from '../src/pipeline/index.js';
import { checkBody } from '../src/pipeline/check-body.js';
import { countPrompt, preflight } from '../src/pipeline/preflight.js';
import { loadTokenizer } from '../src/tokens/index.js';

const REQUESTS = Number(process.argv[2] ?? 300);
const LIMIT = Number(process.argv[3] ?? 20);
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const KEYS = { warm: 'tk-bench-warm', tether: 'tk-bench-tether', sdk: 'tk-bench-openai' };

interface RunFigures {
  successes: number;
  failures: number;
  /** Failures by the status (or error name) the caller saw. */
  failureKinds: Record<string, number>;
  /** Requests that reached the emulator's chat endpoint, retries included. */
  upstreamAttempts: number;
  upstream429: number;
  wallMs: number;
}

const body = (i: number) => ({ model: MODEL, messages: [{ role: 'user' as const, content: `Request ${i}: say hi.` }], max_tokens: 8 });

const emu = await startEmulator({
  port: 0,
  seed: 11,
  keys: Object.values(KEYS).map((key) => ({ key, requestsPerSecond: key === KEYS.warm ? 1000 : LIMIT, tokensPerMinute: 10_000_000, creditsUsd: 1000 })),
});

async function measure(key: string, send: (i: number) => Promise<unknown>): Promise<RunFigures> {
  emu.resetStats();
  const started = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: REQUESTS }, (_, i) => send(i)));
  const wallMs = Math.round(performance.now() - started);
  const stats = emu.stats();
  const failureKinds: Record<string, number> = {};
  for (const s of settled) {
    if (s.status === 'fulfilled') continue;
    const reason = s.reason as { status?: number; name?: string };
    const kind = String(reason.status ?? reason.name ?? 'error');
    failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
  }
  void key;
  return {
    successes: settled.filter((s) => s.status === 'fulfilled').length,
    failures: settled.filter((s) => s.status === 'rejected').length,
    failureKinds,
    upstreamAttempts: stats.byPath['/v1/chat/completions'] ?? 0,
    upstream429: stats.byStatus['429'] ?? 0,
    wallMs,
  };
}

try {
  // Warm the emulator's tokenizer (it counts prompt tokens exactly) so neither run pays for its load.
  const warm = createPipeline({ apiKey: KEYS.warm, baseUrl: emu.baseUrl, env: {} });
  await warm.send({ endpoint: 'chat', body: body(-1) });
  await warm.close();

  console.log(`burst: ${REQUESTS} concurrent chat requests, key limited to ${LIMIT} requests/s (ideal ${REQUESTS / LIMIT} s)`);
  const pipeline = createPipeline({ apiKey: KEYS.tether, baseUrl: emu.baseUrl, env: {} });
  const tether = await measure(KEYS.tether, (i) => pipeline.send({ endpoint: 'chat', body: body(i) }));
  await pipeline.close();
  console.log('tether    ', JSON.stringify(tether));

  await new Promise((resolve) => setTimeout(resolve, 1100)); // let the windows empty between runs
  const sdk = new OpenAI({ apiKey: KEYS.sdk, baseURL: emu.baseUrl });
  const openaiSdk = await measure(KEYS.sdk, (i) => sdk.chat.completions.create(body(i)));
  console.log('openai SDK', JSON.stringify(openaiSdk));

  // Preflight cost: a ~60k-character prompt that fits a 131k context by the bound alone, against counting it.
  const load = await loadTokenizer('llama3_1');
  const prompt = 'The quick brown fox jumps over the lazy dog near the riverbank. '.repeat(1000);
  const checked = checkBody('chat', { model: MODEL, messages: [{ role: 'user', content: prompt }], max_tokens: 512 });
  if (checked instanceof Error) throw checked;
  const time = async (fn: () => Promise<unknown>, runs = 15): Promise<number> => {
    await fn();
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await fn();
      samples.push(performance.now() - started);
    }
    return samples.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? NaN;
  };
  const boundMs = await time(() => preflight(checked, { id: MODEL, contextLength: 131_072 }, false));
  const exactMs = await time(() => countPrompt(checked, MODEL));
  const preflightFigures = {
    promptChars: prompt.length,
    boundMs: Number(boundMs.toFixed(3)),
    exactMs: Number(exactMs.toFixed(3)),
    speedup: Math.round(exactMs / boundMs),
    tokenizerLoadMs: Math.round(load.loadMs ?? 0),
  };
  console.log('preflight ', JSON.stringify(preflightFigures));

  const idealMs = (REQUESTS / LIMIT) * 1000;
  const perAttempt = (f: RunFigures) => (f.upstreamAttempts === 0 ? 0 : Number((f.upstream429 / f.upstreamAttempts).toFixed(4)));
  const figures = {
    requests: REQUESTS,
    limitRps: LIMIT,
    idealMs,
    tether,
    openaiSdk,
    ratios: {
      successesTetherVsSdk: openaiSdk.successes === 0 ? null : Number((tether.successes / openaiSdk.successes).toFixed(2)),
      tether429PerAttempt: perAttempt(tether),
      sdk429PerAttempt: perAttempt(openaiSdk),
      tetherWallVsIdeal: Number((tether.wallMs / idealMs).toFixed(3)),
      sdkWallVsIdeal: Number((openaiSdk.wallMs / idealMs).toFixed(3)),
    },
    preflight: preflightFigures,
  };
  console.log(JSON.stringify(figures));
} finally {
  await emu.close();
}
