import { createPipeline } from '../src/pipeline/index.js';
import { Agent, request } from 'undici';
const upstream = process.argv[2]!;
const mode = process.argv[3] ?? 'pipeline';
const pipeline = createPipeline({ baseUrl: `${upstream}/v1`, apiKey: 'k', env: {}, ...(process.env.PACING === 'off' ? { pacing: false } : {}) });
const agent = new Agent({ connections: 256 });
const body = { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'Hello, how are you?' }], max_tokens: 16 };
async function one(): Promise<void> {
  if (mode === 'pipeline') {
    const r = await pipeline.send({ endpoint: 'chat', body: structuredClone(body) });
    if (r.kind === 'json') JSON.stringify(r.body);
  } else {
    const r = await request(`${upstream}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, dispatcher: agent });
    JSON.stringify(await r.body.json());
  }
}
async function run(ms: number): Promise<number> {
  let n = 0; const end = performance.now() + ms;
  await Promise.all(Array.from({ length: 50 }, async () => { while (performance.now() < end) { await one(); n++; } }));
  return n;
}
await run(Number(process.env.WARM ?? 2000));
const c0 = process.cpuUsage();
const n = await run(5000);
const c = process.cpuUsage(c0);
console.log(mode, 'rps', Math.round(n / 5), 'cpu ms/req', ((c.user + c.system) / 1000 / n).toFixed(3));
await pipeline.close(); await agent.close();
