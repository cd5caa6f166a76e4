import { createGateway } from '../src/gateway/index.js';
const gateway = await createGateway({ port: 0, logLevel: process.env.LOG ?? 'info', upstream: { baseUrl: `${process.argv[2]}/v1`, apiKey: 'k' }, ...(process.env.PACING === 'off' ? { policies: { pacing: false } } : {}) }, { env: {} });
process.stdout.write(`READY ${gateway.port}\n`);
setTimeout(() => process.exit(0), Number(process.env.SECS ?? 12) * 1000);
import { monitorEventLoopDelay } from 'node:perf_hooks';
const h = monitorEventLoopDelay({ resolution: 2 }); h.enable();
setInterval(() => { const m = process.memoryUsage(); console.error(`eld p50 ${(h.percentile(50)/1e6).toFixed(1)} p99 ${(h.percentile(99)/1e6).toFixed(1)} max ${(h.max/1e6).toFixed(1)} ms heap ${(m.heapUsed/1e6).toFixed(0)}MB`); h.reset(); }, 2000).unref();
