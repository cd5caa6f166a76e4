// Gateway benchmark: `node --import tsx bench/gateway.ts [--duration 10] [--log-level info] [--skip-portkey]`.
//
// Compares, in one run, on loopback, with autocannon at 50 connections:
//   direct       autocannon → upstream
//   passthrough  autocannon → a bare undici pass-through proxy (written below: undici.request + keep-alive Agent)
//   tether       autocannon → `createGateway` with its policies on (pacing, retries, breaker, preflight) → upstream
//   tether-nopacing  the same with `policies.pacing: false` (everything else on), to show what pacing costs
//   portkey      autocannon → @portkey-ai/gateway 1.15.2 → upstream
// The upstream is a minimal local server answering a fixed chat completion (or SSE stream) with Together's
// rate-limit headers at once, and a second one answering after 50 ms.
// Phases: (1) throughput against the zero-latency upstream (requests/s, CPU ms per request of the proxy process);
// (2) latency added over direct at 50 ms upstream latency (p50/p99 from autocannon's float response times);
// (3) streaming time to first byte, unloaded, sequential (median of N).
// Every server runs in its own process (this file with --role), so the load generator does not share their
// event loop. The last line printed is a JSON object with every figure and the targets.
//
// Portkey is NOT a dependency of tether. Install it once, apart from the project's node_modules:
//   cd bench/.peers && npm install --no-audit --no-fund
// (bench/.peers/package.json pins @portkey-ai/gateway 1.15.2 and overrides @hono/node-server to 1.13.5, without
// which Portkey's streaming answers 500.) Without it the portkey rows are skipped with a note.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';

const SELF = fileURLToPath(import.meta.url);
const PORTKEY = fileURLToPath(new URL('./.peers/node_modules/@portkey-ai/gateway/build/start-server.js', import.meta.url));
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const API_KEY = 'bench-upstream-key';
const CONNECTIONS = 50;

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

// ─── Roles: the servers, each run in its own process ──────────────────────────────────────────────────────────

const COMPLETION = JSON.stringify({
  id: 'bench-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! I am fine, thank you for asking.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 14, completion_tokens: 10, total_tokens: 24 },
});
const MODELS = JSON.stringify([
  { id: MODEL, object: 'model', created: 0, type: 'chat', display_name: 'Llama 3.1 8B', organization: 'Meta', context_length: 131072, pricing: { input: 0.18, output: 0.18 } },
]);
const STREAM_CHUNKS = ['Hello', '!', ' I', ' am', ' fine', '.'].map((content, i, all) =>
  `data: ${JSON.stringify({
    id: 'bench-s',
    object: 'chat.completion.chunk',
    model: MODEL,
    choices: [{ index: 0, delta: { content }, finish_reason: i === all.length - 1 ? 'stop' : null }],
    ...(i === all.length - 1 ? { usage: { prompt_tokens: 14, completion_tokens: 6, total_tokens: 20 } } : {}),
  })}\n\n`,
);

let upstreamCounter = 0;
function rateHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'x-request-id': `up-${upstreamCounter++}`,
    'x-ratelimit-limit': '100000',
    'x-ratelimit-remaining': '99999',
    'x-ratelimit-reset': '1',
    'x-tokenlimit-limit': '1000000000',
    'x-tokenlimit-remaining': '999999999',
  };
}

function runUpstream(latencyMs: number): Promise<number> {
  const answer = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    if (req.method === 'GET') {
      res.writeHead(200, rateHeaders('application/json'));
      res.end(MODELS);
      return;
    }
    if (body.includes('"stream":true')) {
      res.writeHead(200, rateHeaders('text/event-stream'));
      let i = 0;
      const next = (): void => {
        if (i < STREAM_CHUNKS.length) {
          res.write(STREAM_CHUNKS[i++]);
          setTimeout(next, 2);
        } else res.end('data: [DONE]\n\n');
      };
      next();
      return;
    }
    const headers = rateHeaders('application/json');
    headers['content-length'] = String(Buffer.byteLength(COMPLETION));
    res.writeHead(200, headers);
    res.end(COMPLETION);
  };
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (latencyMs > 0) setTimeout(() => answer(req, res, body), latencyMs);
      else answer(req, res, body);
    });
  });
  return listen(server);
}

function runPassthrough(upstream: string): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 256 });
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      request(`${upstream}${req.url ?? '/'}`, {
        method: (req.method ?? 'GET') as 'GET' | 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
        body: chunks.length ? Buffer.concat(chunks) : null,
        dispatcher: agent,
      }).then(
        async (up) => {
          res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json'), 'x-request-id': String(up.headers['x-request-id'] ?? '') });
          for await (const chunk of up.body) res.write(chunk);
          res.end();
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
  });
  return listen(server);
}

async function runTether(upstream: string, logLevel: string, pacing: boolean): Promise<number> {
  const { createGateway } = await import('../src/gateway/index.js');
  const gateway = await createGateway(
    { port: 0, logLevel, upstream: { baseUrl: `${upstream}/v1`, apiKey: API_KEY }, ...(pacing ? {} : { policies: { pacing: false } }) },
    { env: {} },
  );
  return gateway.port;
}

function listen(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

// ─── Orchestrator ─────────────────────────────────────────────────────────────────────────────────────────────

interface Proc {
  name: string;
  url: string;
  child: ChildProcess;
}

const children: ChildProcess[] = [];

function startRole(name: string, args: string[]): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--role', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  return readyLine(name, child, /^READY (\d+)$/);
}

function startPortkey(port: number): Promise<Proc> {
  const child = spawn(process.execPath, [PORTKEY, `--port=${port}`, '--headless'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NODE_ENV: 'production' } });
  children.push(child);
  return readyLine('portkey', child, /Ready for connections/, port);
}

function readyLine(name: string, child: ChildProcess, pattern: RegExp, knownPort?: number): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = pattern.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({ name, child, url: `http://127.0.0.1:${knownPort ?? match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${String(code)}) before it was ready`)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpuMsPerRequest?: number;
}

const CHAT_BODY = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hello, how are you?' }], max_tokens: 16 });

function headersFor(target: string, upstream: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  if (target === 'portkey') {
    headers['x-portkey-provider'] = 'openai';
    headers['x-portkey-custom-host'] = `${upstream}/v1`;
  }
  return headers;
}

async function load(url: string, headers: Record<string, string>, seconds: number, pid?: number): Promise<LoadResult> {
  const times: number[] = [];
  const cpuBefore = cpuMs(pid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: `${url}/v1/chat/completions`, method: 'POST', headers, body: CHAT_BODY, connections: CONNECTIONS, duration: seconds },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) times.push(responseTime);
    });
  });
  const cpu = cpuMs(pid) - cpuBefore;
  times.sort((a, b) => a - b);
  const total = result.requests.total;
  return {
    rps: round(total / seconds, 0),
    p50: round(percentile(times, 50)),
    p99: round(percentile(times, 99)),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    ...(pid !== undefined && total > 0 ? { cpuMsPerRequest: round(cpu / total, 3) } : {}),
  };
}

/** Sequential streamed requests: ms from sending to the first body byte, median over `count`. */
async function ttfb(url: string, headers: Record<string, string>, count: number): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8, stream: true });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await request(`${url}/v1/chat/completions`, { method: 'POST', headers, body, dispatcher: agent });
    let first = true;
    for await (const chunk of response.body) {
      if (first && chunk.length > 0) {
        times.push(performance.now() - started);
        first = false;
      }
    }
  }
  await agent.close();
  times.sort((a, b) => a - b);
  return round(percentile(times.slice(Math.floor(count / 10)), 50), 3); // the first tenth is warm-up
}

/** tether loads its tokenizer (about 2 s of CPU) on its first requests: warm it up longer. */
function warmUpSeconds(name: string): number {
  return name.startsWith('tether') ? 6 : 2;
}

async function main(): Promise<void> {
  const seconds = Number(arg('duration', '10'));
  const logLevel = arg('log-level', 'info');
  const withPortkey = !process.argv.includes('--skip-portkey') && existsSync(PORTKEY);
  if (!withPortkey) console.log('note: portkey skipped (install it: cd bench/.peers && npm install --no-audit --no-fund)');

  const up0 = await startRole('upstream', ['upstream', '--latency', '0']);
  const up50 = await startRole('upstream50', ['upstream', '--latency', '50']);
  const targets: Proc[] = [
    { ...up0, name: 'direct' },
    await startRole('passthrough', ['passthrough', '--upstream', up0.url]),
    await startRole('tether', ['tether', '--upstream', up0.url, '--log-level', logLevel]),
    await startRole('tether-nopacing', ['tether', '--upstream', up0.url, '--log-level', logLevel, '--pacing', 'off']),
  ];
  if (withPortkey) targets.push(await startPortkey(await freePort()));

  // Phase 1: throughput against the zero-latency upstream.
  const throughput: Record<string, LoadResult> = {};
  for (const target of targets) {
    const headers = headersFor(target.name, up0.url);
    await load(target.url, headers, warmUpSeconds(target.name)); // JIT, connection pools, tether's catalog and tokenizer
    throughput[target.name] = await load(target.url, headers, seconds, target.child.pid);
    const r = throughput[target.name]!;
    console.log(`${target.name.padEnd(12)} ${String(r.rps).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu/req ${r.cpuMsPerRequest ?? '-'} ms  non2xx ${r.non2xx}  errors ${r.errors}`);
  }

  // Phase 2: added latency at 50 ms upstream latency.
  const slowTargets: Proc[] = [
    { ...up50, name: 'direct' },
    await startRole('passthrough', ['passthrough', '--upstream', up50.url]),
    await startRole('tether', ['tether', '--upstream', up50.url, '--log-level', logLevel]),
    await startRole('tether-nopacing', ['tether', '--upstream', up50.url, '--log-level', logLevel, '--pacing', 'off']),
  ];
  const latency: Record<string, LoadResult> = {};
  for (const target of slowTargets) {
    const headers = headersFor(target.name, up50.url);
    await load(target.url, headers, warmUpSeconds(target.name));
    latency[target.name] = await load(target.url, headers, seconds, target.child.pid);
    const r = latency[target.name]!;
    console.log(`50ms ${target.name.padEnd(12)} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms`);
  }

  // Phase 3: streaming time to first byte (zero-latency upstream, unloaded).
  const ttfbMs: Record<string, number> = {};
  for (const target of targets) {
    ttfbMs[target.name] = await ttfb(target.url, headersFor(target.name, up0.url), target.name === 'portkey' ? 60 : 300);
    console.log(`ttfb ${target.name.padEnd(12)} ${ttfbMs[target.name]} ms`);
  }

  const tether = throughput.tether!;
  const noPacing = throughput['tether-nopacing']!;
  const summary = {
    bench: 'gateway',
    connections: CONNECTIONS,
    durationSeconds: seconds,
    tetherLogLevel: logLevel,
    throughput,
    latency50ms: {
      ...latency,
      addedP50Ms: round(latency.tether!.p50 - latency.direct!.p50, 3),
      addedP99Ms: round(latency.tether!.p99 - latency.direct!.p99, 3),
      addedP50MsNoPacing: round(latency['tether-nopacing']!.p50 - latency.direct!.p50, 3),
      addedP99MsNoPacing: round(latency['tether-nopacing']!.p99 - latency.direct!.p99, 3),
      // What the bare pass-through itself adds, measured alike: the part of tether's figure any proxy pays here.
      passthroughAddedP50Ms: round(latency.passthrough!.p50 - latency.direct!.p50, 3),
      passthroughAddedP99Ms: round(latency.passthrough!.p99 - latency.direct!.p99, 3),
    },
    ttfbMs: {
      ...ttfbMs,
      addedMs: round(ttfbMs.tether! - ttfbMs.direct!, 3),
      addedMsNoPacing: round(ttfbMs['tether-nopacing']! - ttfbMs.direct!, 3),
      passthroughAddedMs: round(ttfbMs.passthrough! - ttfbMs.direct!, 3),
    },
    ratios: {
      tetherOverPassthrough: round(tether.rps / throughput.passthrough!.rps, 3),
      tetherNoPacingOverPassthrough: round(noPacing.rps / throughput.passthrough!.rps, 3),
      ...(throughput.portkey ? { tetherOverPortkey: round(tether.rps / throughput.portkey.rps, 2), tetherNoPacingOverPortkey: round(noPacing.rps / throughput.portkey.rps, 2) } : {}),
    },
    targets: {
      atLeast5xPortkey: throughput.portkey ? tether.rps >= 5 * throughput.portkey.rps : null,
      atLeast07xPassthrough: tether.rps >= 0.7 * throughput.passthrough!.rps,
      addedP50AtMost1ms: latency.tether!.p50 - latency.direct!.p50 <= 1,
      addedP99AtMost5ms: latency.tether!.p99 - latency.direct!.p99 <= 5,
      addedTtfbAtMost1ms: ttfbMs.tether! - ttfbMs.direct! <= 1,
    },
  };
  console.log(JSON.stringify(summary));
}

async function role(): Promise<void> {
  const kind = arg('role', '');
  let port: number;
  if (kind === 'upstream') port = await runUpstream(Number(arg('latency', '0')));
  else if (kind === 'passthrough') port = await runPassthrough(arg('upstream', ''));
  else if (kind === 'tether') port = await runTether(arg('upstream', ''), arg('log-level', 'info'), arg('pacing', 'on') !== 'off');
  else throw new Error(`unknown role ${kind}`);
  // A clean exit on SIGINT lets `node --cpu-prof` write its profile when a role is profiled by hand.
  process.once('SIGINT', () => process.exit(0));
  process.stdout.write(`READY ${port}\n`);
}

if (process.argv.includes('--role')) {
  await role();
} else {
  try {
    await main();
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}
