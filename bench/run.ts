// Throughput of `tether run` with its SQLite checkpoint against the same run with checkpointing off (`--store
// memory`), in the same process, alternating the two so machine load hits both alike. Goal: ≥ 0.9×.
// `node --import tsx bench/run.ts [requests] [concurrency]`; the last line is a JSON object.
//
// Two setups:
// - emulator: the real pipeline against the local emulator over HTTP (what a user's run looks like, minus the
//   network): checkpoint cost next to real per-request work;
// - instant: a `send` that answers at once, so the runner and the store are all there is: it measures what the
//   checkpoint costs per request (µs), which no real request is fast enough to notice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFile } from '../src/batch/index.js';
import type { SendFn } from '../src/batch/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { createPipeline } from '../src/pipeline/index.js';

const requests = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 32);
const ROUNDS = 5;
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const KEY = 'bench-key';

const dir = mkdtempSync(join(tmpdir(), 'tether-bench-run-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function writeInput(n: number): string {
  const path = join(dir, `in-${n}.jsonl`);
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ custom_id: `req-${i}`, body: { model: MODEL, messages: [{ role: 'user', content: `Benchmark request ${i}.` }], max_tokens: 4 } }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const instantSend: SendFn = async (request) => ({
  kind: 'json',
  status: 200,
  model: MODEL,
  requestedModel: MODEL,
  headers: {},
  attempts: 1,
  body: { object: 'chat.completion', model: MODEL, choices: [{ index: 0, message: { role: 'assistant', content: `ok ${request.requestId}` } }] },
  record: { model: MODEL, costUsd: 0.000001 },
});

/** Requests per second of one fresh run (a new output and checkpoint each time). */
async function once(input: string, store: 'memory' | 'sqlite', send: SendFn, n: number, round: number): Promise<number> {
  const output = join(dir, `out-${store}-${round}-${n}.jsonl`);
  const started = performance.now();
  const result = await runFile({ inputPath: input, outputPath: output, send, concurrency, store: store === 'memory' ? 'memory' : undefined });
  const seconds = (performance.now() - started) / 1000;
  if (result.kind !== 'ran' || !result.outcome.complete) throw new Error(`the ${store} run did not complete`);
  return n / seconds;
}

interface Comparison {
  memoryRps: number;
  sqliteRps: number;
  ratio: number;
  /** What the checkpoint adds to each request, in microseconds. */
  checkpointUsPerRequest: number;
}

async function compare(label: string, input: string, send: SendFn, n: number): Promise<Comparison> {
  await once(input, 'memory', send, n, -1); // warm-up: tokenizers, catalog, JIT
  const memory: number[] = [];
  const sqlite: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so neither setup always runs on a warmer or quieter machine.
    if (round % 2 === 0) {
      memory.push(await once(input, 'memory', send, n, round));
      sqlite.push(await once(input, 'sqlite', send, n, round));
    } else {
      sqlite.push(await once(input, 'sqlite', send, n, round));
      memory.push(await once(input, 'memory', send, n, round));
    }
  }
  const memoryRps = Math.round(median(memory));
  const sqliteRps = Math.round(median(sqlite));
  const ratio = Math.round((median(sqlite) / median(memory)) * 1000) / 1000;
  const checkpointUsPerRequest = Math.round((1 / median(sqlite) - 1 / median(memory)) * 1e6 * 100) / 100;
  console.log(
    `${label.padEnd(9)} ${String(n).padStart(6)} requests  memory ${String(memoryRps).padStart(6)}/s  sqlite ${String(sqliteRps).padStart(6)}/s` +
      `  ratio ${ratio}  checkpoint ${checkpointUsPerRequest} µs/request`,
  );
  return { memoryRps, sqliteRps, ratio, checkpointUsPerRequest };
}

const emulator = await startEmulator({ port: 0, keys: [{ key: KEY, requestsPerSecond: 1_000_000, tokensPerMinute: 1_000_000_000, creditsUsd: 1_000_000 }] });
const pipeline = createPipeline({ apiKey: KEY, baseUrl: emulator.baseUrl });
try {
  console.log(`tether run throughput, concurrency ${concurrency}, median of ${ROUNDS} (checkpoint: SQLite WAL next to the output)`);
  const viaEmulator = await compare('emulator', writeInput(requests), (r) => pipeline.send(r), requests);
  const instantN = requests * 10;
  const instant = await compare('instant', writeInput(instantN), instantSend, instantN);
  const goal = 0.9;
  console.log(
    JSON.stringify({
      bench: 'run',
      concurrency,
      rounds: ROUNDS,
      emulator: { requests, ...viaEmulator },
      instant: { requests: instantN, ...instant },
      goal,
      meetsGoal: viaEmulator.ratio >= goal,
    }),
  );
} finally {
  await pipeline.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
