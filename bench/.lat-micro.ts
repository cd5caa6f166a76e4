import { createPipeline } from '../src/pipeline/index.js';
const upstream = process.argv[2]!;
const pipeline = createPipeline({ baseUrl: `${upstream}/v1`, apiKey: 'k', env: {}, pacing: false });
const body = { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'Hello, how are you?' }], max_tokens: 16 };
const conc = Number(process.argv[3] ?? 50);
async function run(ms: number, record: number[] | undefined): Promise<void> {
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: conc }, async () => { while (performance.now() < end) { const t = performance.now(); await pipeline.send({ endpoint: 'chat', body: structuredClone(body) }); record?.push(performance.now() - t); } }));
}
await run(6000, undefined);
const times: number[] = [];
await run(5000, times);
times.sort((a, b) => a - b);
console.log(`conc ${conc}: n ${times.length} p50 ${times[Math.floor(times.length / 2)]!.toFixed(2)} p99 ${times[Math.floor(times.length * 0.99)]!.toFixed(2)}`);
await pipeline.close();
