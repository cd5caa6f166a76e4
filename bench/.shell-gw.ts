// Gateway shell with a minimal pipeline (undici.request + JSON parse): isolates the gateway's own cost.
import { Agent, request } from 'undici';
import { PolicyEvents } from '../src/policy/index.js';
import { createGateway } from '../src/gateway/index.js';
import type { Pipeline } from '../src/pipeline/index.js';
const upstream = process.argv[2]!;
const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000 });
const factory = (): Pipeline => ({
  events: new PolicyEvents(),
  async send(req) {
    const r = await request(`${upstream}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(req.body), headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, dispatcher: agent, signal: req.signal });
    const body = await r.body.json();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string') headers[k] = v;
    return { kind: 'json', status: r.statusCode, body, model: 'm', requestedModel: 'm', headers, attempts: 1, record: { model: 'm', usage: (body as { usage?: never }).usage } };
  },
  async listModels() { return []; },
  state() { return { pacing: [], breakers: [] }; },
  resetKey() { return false; },
  async close() {},
});
const gateway = await createGateway({ port: 0, logLevel: process.env.LOG ?? 'info', upstream: { baseUrl: `${upstream}/v1`, apiKey: 'k' } }, { env: {}, pipelineFactory: factory });
process.stdout.write(`READY ${gateway.port}\n`);
setTimeout(() => process.exit(0), Number(process.env.SECS ?? 12) * 1000);
import { monitorEventLoopDelay } from 'node:perf_hooks';
const h = monitorEventLoopDelay({ resolution: 5 }); h.enable();
setTimeout(() => { console.error(`eld p50 ${(h.percentile(50)/1e6).toFixed(1)} p99 ${(h.percentile(99)/1e6).toFixed(1)} max ${(h.max/1e6).toFixed(1)} ms`); }, Number(process.env.SECS ?? 12) * 1000 - 200);
