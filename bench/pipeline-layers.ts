// Pipeline layer overhead: `node --import tsx bench/pipeline-layers.ts [--baseline-tree DIR] [--sends 20000] [--rounds 6]`.
//
// CPU per `pipeline.send` (µs) in one process, with tracing off, over an in-process transport that answers a fixed
// chat completion at once (no sockets: what is left is the pipeline itself). With --baseline-tree (another checkout,
// e.g. `git worktree add /tmp/base HEAD~1 && ln -s $PWD/node_modules /tmp/base/`), that tree's createPipeline is
// loaded in the same process and the two are run alternately (A/B, rounds in rotated order), so the ratio is not
// decided by the machine's drift. The last line printed is one JSON object.
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

const COMPLETION = JSON.stringify({
  id: 'bench-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
});
const HEADERS = {
  'content-type': 'application/json',
  // Budgets far above what the loop sends: pacing runs its bookkeeping but never waits.
  'x-ratelimit-limit': '100000',
  'x-ratelimit-remaining': '99999',
  'x-ratelimit-reset': '1',
};
const MODELS = JSON.stringify([{ id: MODEL, type: 'chat', context_length: 131072, pricing: { input: 0.18, output: 0.18 } }]);

/** Answers every request at once: the model list for /models, a completion for everything else. */
const transport = {
  baseUrl: 'http://bench.invalid/v1',
  async send(): Promise<never> {
    throw new Error('the bench transport answers through sendText only');
  },
  async sendText(request: { path: string }) {
    return { status: 200, headers: HEADERS, text: request.path.endsWith('/models') ? MODELS : COMPLETION };
  },
  async close() {},
};

interface BenchPipeline {
  send(request: { endpoint: 'chat'; body: unknown }): Promise<unknown>;
  close(): Promise<void>;
}
type Create = (options: Record<string, unknown>) => BenchPipeline;

async function load(tree: string): Promise<Create> {
  const module = (await import(pathToFileURL(resolvePath(tree, 'src/pipeline/index.ts')).href)) as { createPipeline: Create };
  return module.createPipeline;
}

function pipelineOf(create: Create): BenchPipeline {
  // Tracing off (the default), pacing on: what a gateway runs with.
  return create({ transport, env: {}, apiKey: 'sk-bench-0123456789abcdef', preloadTokenizers: false, tokenizerThread: false });
}

const body = () => ({ model: MODEL, messages: [{ role: 'user', content: 'Say ok.' }], max_tokens: 4 });

/** CPU µs per send over `sends` sequential sends (CPU, not wall: a shared machine's waits do not count). */
async function measure(pipeline: BenchPipeline, sends: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < sends; i++) await pipeline.send({ endpoint: 'chat', body: body() });
  const used = process.cpuUsage(before);
  return (used.user + used.system) / sends;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const sends = Number(arg('sends', '20000'));
  const rounds = Number(arg('rounds', '6'));
  const baselineTree = arg('baseline-tree', '');
  const targets: { name: string; pipeline: BenchPipeline }[] = [{ name: 'current', pipeline: pipelineOf(await load(process.cwd())) }];
  if (baselineTree !== '') targets.push({ name: 'baseline', pipeline: pipelineOf(await load(baselineTree)) });
  // Warm-up: JIT, the catalog's model list.
  for (const { pipeline } of targets) await measure(pipeline, Math.min(sends, 3000));
  const figures: Record<string, number[]> = Object.fromEntries(targets.map(({ name }) => [name, []]));
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    const roundFigures: Record<string, number> = {};
    for (const { name, pipeline } of order) roundFigures[name] = await measure(pipeline, sends);
    for (const [name, value] of Object.entries(roundFigures)) figures[name]!.push(value);
    if (roundFigures['baseline'] !== undefined) ratios.push(roundFigures['current']! / roundFigures['baseline']);
    console.error(`round ${round + 1}: ${Object.entries(roundFigures).map(([n, v]) => `${n} ${v.toFixed(1)} µs/send`).join(', ')}`);
  }
  for (const { pipeline } of targets) await pipeline.close();
  const result: Record<string, unknown> = { bench: 'pipeline-layers', sends, rounds, currentUsPerSend: Number(median(figures['current']!).toFixed(2)) };
  if (baselineTree !== '') {
    result['baselineUsPerSend'] = Number(median(figures['baseline']!).toFixed(2));
    result['ratioCurrentOverBaseline'] = Number(median(ratios).toFixed(3));
  }
  console.log(JSON.stringify(result));
}

await main();
