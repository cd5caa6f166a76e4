// What `tether run --via auto` saves against `--via live` on one job, measured in the same process against the
// emulator, whose own credit accounting is the bill (batch answers charged at the model's batch discount).
// `node --import tsx bench/spend.ts [requests]`; the last line is a JSON object:
//   {"live": {"costUsd", "wallS"}, "auto": {"costUsd", "wallS", "batchedShare"}, "costRatio", "expectedRatio", ...}
// The mix: half the lines on a model with a 50% batch discount, a quarter on one the Batch API runs at standard
// rates, a quarter on one it does not run at all. `expectedRatio` is what the price table allows for this job:
// the live run's own usage priced with the discount on exactly the lines auto may batch. Every line must be
// answered exactly once in both runs (asserted; the process exits 1 otherwise).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from '../src/api/index.js';
import { goesToBatch, parseBatchInput, requestCostBound, runFile, snapshotPrices } from '../src/batch/index.js';
import type { BatchRequest } from '../src/batch/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { createPipeline } from '../src/pipeline/index.js';

const requests = Number(process.argv[2] ?? 5000);
const KEY = 'bench-spend-key';
const KEY_NAME = 'bench';
const CREDITS = 1_000_000;
const MIX = [
  'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', // eligible: 50% off in a batch
  'openai/gpt-oss-20b', // batchable at standard rates: live under auto
  'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  'meta-llama/Llama-3.2-3B-Instruct-Turbo', // not batchable
];

const dir = mkdtempSync(join(tmpdir(), 'tether-bench-spend-'));
const input = join(dir, 'in.jsonl');
writeFileSync(
  input,
  `${Array.from({ length: requests }, (_, i) =>
    JSON.stringify({ custom_id: `req-${i}`, body: { model: MIX[i % MIX.length], messages: [{ role: 'user', content: `Spend benchmark request ${i}: answer briefly.` }], max_tokens: 16 } }),
  ).join('\n')}\n`,
);
const parsed = parseBatchInput(readFileSync(input, 'utf8'));
const prices = snapshotPrices();

const emu = await startEmulator({
  port: 0,
  seed: 19,
  logLevel: 'silent',
  keys: [{ key: KEY, name: KEY_NAME, requestsPerSecond: 1_000_000, tokensPerMinute: 1_000_000_000_000, creditsUsd: CREDITS }],
  // Batches finish in seconds here (a real one takes minutes to hours): 1,000 requests per 50 ms step.
  batches: { stepMs: 50, linesPerStep: 1000 },
});

interface Measured {
  costUsd: number;
  wallS: number;
  live: number;
  batched: number;
  output: string;
}

function checkExactlyOnce(output: string, what: string): void {
  const ids = readFileSync(output, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { custom_id: string; error?: unknown }));
  const errors = ids.filter((l) => l.error).length;
  const inOrder = ids.length === requests && ids.every((l, i) => l.custom_id === `req-${i}`);
  if (!inOrder || errors) {
    console.error(`${what}: ${ids.length} lines, in order: ${inOrder}, errors: ${errors}`);
    process.exit(1);
  }
}

async function measure(via: 'live' | 'auto'): Promise<Measured> {
  emu.reset({ credits: true, stats: true, faults: false, limits: false });
  const output = join(dir, `out-${via}.jsonl`);
  const pipeline = createPipeline({ apiKey: KEY, baseUrl: emu.baseUrl, env: {}, preloadTokenizers: false });
  const transport = createTransport({ apiKey: KEY, baseUrl: emu.baseUrl });
  const started = performance.now();
  try {
    const result = await runFile({
      inputPath: input,
      outputPath: output,
      store: 'memory',
      send: (request) => pipeline.send(request),
      concurrency: 64,
      via,
      batch: { transport, deadline: Date.now() + 10 * 60_000, marginMs: 60_000, pollMs: 100, prices },
    });
    if (result.kind !== 'ran' || !result.outcome.complete) throw new Error(`${via}: the run did not complete: ${JSON.stringify(result.kind === 'ran' ? result.outcome.stop : result.issues.slice(0, 3))}`);
  } finally {
    await transport.close();
    await pipeline.close();
  }
  const wallS = (performance.now() - started) / 1000;
  checkExactlyOnce(output, via);
  const stats = emu.stats();
  const live = stats.inferenceCalls;
  if (live > requests) {
    console.error(`${via}: ${live} live calls for ${requests} lines`);
    process.exit(1);
  }
  return { costUsd: CREDITS - (stats.creditsUsd[KEY_NAME] ?? CREDITS), wallS, live, batched: requests - live, output };
}

/** The price table's answer for this job: the live run's usage, with the discount on the lines auto may batch. */
function expectedRatio(liveOutput: string, lines: readonly BatchRequest[]): number {
  let full = 0;
  let auto = 0;
  readFileSync(liveOutput, 'utf8')
    .trimEnd()
    .split('\n')
    .forEach((text, i) => {
      const request = lines[i] as BatchRequest;
      const usage = (JSON.parse(text) as { response: { usage: { prompt_tokens: number; completion_tokens: number } } }).response.usage;
      const price = prices(String(request.body.model));
      if (!price) return;
      const cost = (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
      full += cost;
      auto += goesToBatch(request, prices) ? cost * (1 - price.batchDiscount) : cost;
    });
  return auto / full;
}

try {
  const live = await measure('live');
  console.log(`live: $${live.costUsd.toFixed(6)} in ${live.wallS.toFixed(2)} s, ${live.live} live calls`);
  const auto = await measure('auto');
  console.log(`auto: $${auto.costUsd.toFixed(6)} in ${auto.wallS.toFixed(2)} s, ${auto.live} live calls, ${auto.batched} through the Batch API`);
  const expected = expectedRatio(live.output, parsed.requests);
  const eligible = parsed.requests.filter((r) => goesToBatch(r, prices)).length;
  const boundRatio =
    parsed.requests.reduce((sum, r) => sum + (requestCostBound(r, prices, goesToBatch(r, prices)) ?? 0), 0) /
    parsed.requests.reduce((sum, r) => sum + (requestCostBound(r, prices) ?? 0), 0);
  console.log(
    JSON.stringify({
      requests,
      live: { costUsd: Number(live.costUsd.toFixed(6)), wallS: Number(live.wallS.toFixed(2)) },
      auto: { costUsd: Number(auto.costUsd.toFixed(6)), wallS: Number(auto.wallS.toFixed(2)), batchedShare: Number((auto.batched / requests).toFixed(4)) },
      costRatio: Number((auto.costUsd / live.costUsd).toFixed(4)),
      expectedRatio: Number(expected.toFixed(4)),
      eligibleShare: Number((eligible / requests).toFixed(4)),
      estimateRatio: Number(boundRatio.toFixed(4)),
      answeredExactlyOnce: true,
    }),
  );
} finally {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}
