import { createGateway } from '../src/gateway/index.js';
const gateway = await createGateway({ port: 0, logLevel: process.env.LOG ?? 'info', upstream: { baseUrl: `${process.argv[2]}/v1`, apiKey: 'k' }, ...(process.env.PACING === 'off' ? { policies: { pacing: false } } : {}) }, { env: {} });
process.stdout.write(`READY ${gateway.port}\n`);
setTimeout(() => process.exit(0), Number(process.env.SECS ?? 12) * 1000);
