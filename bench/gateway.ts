// Gateway benchmark: `node --import tsx bench/gateway.ts [--duration 6] [--rounds 3] [--log-level info] [--skip-portkey]
//   [--baseline-tree DIR] [--tracing] [--compiled]`.
//
// Compares, in one run, on loopback, with autocannon at 50 connections:
//   direct       autocannon → upstream
//   passthrough  autocannon → a bare undici pass-through proxy (written below: undici.request + keep-alive Agent)
//   tether       autocannon → `createGateway` with its policies on (pacing, retries, breaker, preflight) → upstream
//   tether-nopacing  the same with `policies.pacing: false` (everything else on), to show what pacing costs
//   portkey      autocannon → @portkey-ai/gateway 1.15.2 → upstream
//   tether-baseline  (with --baseline-tree DIR) the gateway of another checkout of tether, e.g. the previous
//                commit (`git worktree add /tmp/base HEAD~1 && ln -s $PWD/node_modules /tmp/base/`), run by that
//                tree's own bench/gateway.ts role, so that a change's cost is a ratio measured in the same run
//                (`ratios.tetherOverBaseline`) instead of against figures from another day.
//   --compiled   every tether gateway (this tree's and the baseline's) runs as plain JavaScript compiled by each
//                tree's own tsc into <tree>/.bench-dist, as the installed package runs, instead of through tsx (whose
//                on-the-fly transform wraps every named closure in a `__name` call: a cost users never pay).
// The upstream is a minimal local server answering a fixed chat completion (or SSE stream) with Together's
// rate-limit headers at once, and a second one answering after 50 ms.
// Phases: (1) throughput against the zero-latency upstream (requests/s, CPU ms per request of the proxy process);
// (2) latency added over direct at 50 ms upstream latency (p50/p99 from autocannon's float response times);
// (3) streaming time to first byte, unloaded, sequential (median of N).
// Next to each added time: what the bare pass-through adds in the same round, and tether's figure beyond it
// (`beyondPassthrough…`), since on a shared 2-core machine the pass-through alone can take a whole absolute budget.
// The three phases run in rounds (--rounds, default 3), the targets in a rotated order each round, and every
// figure reported is the median over the rounds. Ratios and added times are taken within a round first: on a
// shared 2-core machine the speed drifts by 10–20% over minutes, and one measurement per row let that drift
// decide a target.
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
import { resolve as resolvePath } from 'node:path';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import type * as GatewayIndex from '../src/gateway/index.js';
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

/** This tree's gateway module, or another tree's compiled one loaded by path (the same exports). */
type GatewayModule = typeof GatewayIndex;

/** An OTLP/HTTP receiver that takes every export and answers 200 (what tracing exports to in the bench). */
function runReceiver(): Promise<number> {
  let spans = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      spans += chunk.length > 0 ? 1 : 0;
    });
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  process.once('SIGINT', () => console.error(`receiver: ${spans} export chunks`));
  return listen(server);
}

async function runTether(upstream: string, logLevel: string, pacing: boolean, tracesUrl = '', gatewayModule = ''): Promise<number> {
  // Tracing on through the standard variable, as a user would turn it on (read when the pipeline is created).
  if (tracesUrl !== '') process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = tracesUrl;
  const { createGateway } = (gatewayModule === '' ? await import('../src/gateway/index.js') : await import(pathToFileURL(gatewayModule).href)) as GatewayModule;
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

function startRole(name: string, args: string[], script = SELF): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--role', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
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

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Round r measures the targets starting at r (rotated), so that no target is always measured first or last. */
function rotated<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** One figure per target: the median over the rounds of each field. */
function medianResult(results: LoadResult[]): LoadResult {
  const pick = (key: keyof LoadResult) => round(median(results.map((r) => r[key] ?? NaN)), key === 'cpuMsPerRequest' ? 3 : 2);
  const cpu = pick('cpuMsPerRequest');
  return {
    rps: pick('rps'),
    p50: pick('p50'),
    p99: pick('p99'),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    ...(Number.isFinite(cpu) ? { cpuMsPerRequest: cpu } : {}),
  };
}

/** Compiles `tree`'s sources with its own tsc into `tree`/.bench-dist (git-ignored); returns its gateway entry. */
function compileTree(tree: string): string {
  const out = resolvePath(tree, '.bench-dist');
  const started = performance.now();
  execFileSync(
    process.execPath,
    [resolvePath(tree, 'node_modules/typescript/bin/tsc'), '-p', resolvePath(tree, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false', '--sourceMap', 'false', '--declarationMap', 'false'],
    { stdio: 'inherit', cwd: tree },
  );
  console.log(`compiled ${tree} into ${out} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return resolvePath(out, 'gateway', 'index.js');
}

async function main(): Promise<void> {
  const seconds = Number(arg('duration', '6'));
  const rounds = Math.max(1, Number(arg('rounds', '3')));
  const logLevel = arg('log-level', 'info');
  const withPortkey = !process.argv.includes('--skip-portkey') && existsSync(PORTKEY);
  if (!withPortkey) console.log('note: portkey skipped (install it: cd bench/.peers && npm install --no-audit --no-fund)');
  const baselineTree = arg('baseline-tree', '');
  const baselineScript = baselineTree ? resolvePath(baselineTree, 'bench', 'gateway.ts') : '';
  if (baselineScript && !existsSync(baselineScript)) throw new Error(`--baseline-tree: no bench/gateway.ts in ${baselineTree}`);

  // --compiled: each tree's gateway as plain JavaScript from its own tsc, started by this file's role.
  const compiled = process.argv.includes('--compiled');
  const here = resolvePath(fileURLToPath(new URL('..', import.meta.url)));
  const gatewayOf = (tree: string): string[] => (compiled ? ['--gateway-module', compileTree(tree)] : []);
  const ownGateway = gatewayOf(here);
  const baselineGateway = baselineTree && compiled ? gatewayOf(resolvePath(baselineTree)) : [];

  const up0 = await startRole('upstream', ['upstream', '--latency', '0']);
  const up50 = await startRole('upstream50', ['upstream', '--latency', '50']);
  const targets: Proc[] = [
    { ...up0, name: 'direct' },
    await startRole('passthrough', ['passthrough', '--upstream', up0.url]),
    await startRole('tether', ['tether', '--upstream', up0.url, '--log-level', logLevel, ...ownGateway]),
    await startRole('tether-nopacing', ['tether', '--upstream', up0.url, '--log-level', logLevel, '--pacing', 'off', ...ownGateway]),
  ];
  if (withPortkey) targets.push(await startPortkey(await freePort()));
  // Compiled, the baseline's gateway is started by this file's role (its createGateway takes the same call).
  if (baselineScript) {
    targets.push(
      await startRole('tether-baseline', ['tether', '--upstream', up0.url, '--log-level', logLevel, ...baselineGateway], compiled ? SELF : baselineScript),
    );
  }
  // --tracing: the same gateway with OpenTelemetry on, exporting every span to a local OTLP/HTTP receiver.
  const withTracing = process.argv.includes('--tracing');
  if (withTracing) {
    const receiver = await startRole('otlp-receiver', ['receiver']);
    targets.push(await startRole('tether-tracing', ['tether', '--upstream', up0.url, '--log-level', logLevel, '--traces-url', `${receiver.url}/v1/traces`, ...ownGateway]));
  }
  const slowTargets: Proc[] = [
    await startRole('passthrough', ['passthrough', '--upstream', up50.url]),
    await startRole('tether', ['tether', '--upstream', up50.url, '--log-level', logLevel, ...ownGateway]),
    await startRole('tether-nopacing', ['tether', '--upstream', up50.url, '--log-level', logLevel, '--pacing', 'off', ...ownGateway]),
  ];
  const slowDirect: Proc = { ...up50, name: 'direct' };

  // Each measurement follows its own warm-up: the first (JIT, connection pools, tether's catalog and tokenizer)
  // longer; the later ones because a process left idle while the others are measured runs colder (V8 shrinks an
  // idle heap, and the first seconds of load then pay for growing it again: +5–10 ms at p99 when skipped).
  const warmUp = (target: Proc, upstream: string, r: number) => load(target.url, headersFor(target.name, upstream), r === 0 ? warmUpSeconds(target.name) : 2);

  const throughputRounds: Record<string, LoadResult[]> = {};
  const latencyRounds: Record<string, LoadResult[]> = {};
  const addedP50: Record<string, number[]> = {};
  const addedP99: Record<string, number[]> = {};
  const ttfbRounds: Record<string, number[]> = {};
  const ttfbAdded: Record<string, number[]> = {};
  const ratioRounds: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    // Phase 1: throughput against the zero-latency upstream.
    const roundRps: Record<string, number> = {};
    for (const target of rotated(targets, r)) {
      const headers = headersFor(target.name, up0.url);
      await warmUp(target, up0.url, r);
      const result = await load(target.url, headers, seconds, target.child.pid);
      (throughputRounds[target.name] ??= []).push(result);
      roundRps[target.name] = result.rps;
      console.log(`round ${r + 1} ${target.name.padEnd(16)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  cpu/req ${result.cpuMsPerRequest ?? '-'} ms  non2xx ${result.non2xx}  errors ${result.errors}`);
    }
    // Ratios within a round: the two rows were measured minutes, not tens of minutes, apart.
    const ratio = (a: string, b: string) => (roundRps[a] ?? NaN) / (roundRps[b] ?? NaN);
    (ratioRounds.tetherOverPassthrough ??= []).push(ratio('tether', 'passthrough'));
    (ratioRounds.tetherNoPacingOverPassthrough ??= []).push(ratio('tether-nopacing', 'passthrough'));
    if (baselineScript) (ratioRounds.tetherOverBaseline ??= []).push(ratio('tether', 'tether-baseline'));
    if (withTracing) (ratioRounds.tetherTracingOverTether ??= []).push(ratio('tether-tracing', 'tether'));
    if (withPortkey) {
      (ratioRounds.tetherOverPortkey ??= []).push(ratio('tether', 'portkey'));
      (ratioRounds.tetherNoPacingOverPortkey ??= []).push(ratio('tether-nopacing', 'portkey'));
    }

    // Phase 2: latency added at 50 ms upstream latency, each target against the direct figure of its round.
    await warmUp(slowDirect, up50.url, r);
    const direct = await load(slowDirect.url, headersFor('direct', up50.url), seconds, slowDirect.child.pid);
    (latencyRounds.direct ??= []).push(direct);
    console.log(`round ${r + 1} 50ms direct           ${String(direct.rps).padStart(6)} req/s  p50 ${direct.p50} ms  p99 ${direct.p99} ms`);
    for (const target of rotated(slowTargets, r)) {
      const headers = headersFor(target.name, up50.url);
      await warmUp(target, up50.url, r);
      const result = await load(target.url, headers, seconds, target.child.pid);
      (latencyRounds[target.name] ??= []).push(result);
      (addedP50[target.name] ??= []).push(result.p50 - direct.p50);
      (addedP99[target.name] ??= []).push(result.p99 - direct.p99);
      console.log(`round ${r + 1} 50ms ${target.name.padEnd(16)} ${String(result.rps).padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  added p50 ${round(result.p50 - direct.p50, 3)} p99 ${round(result.p99 - direct.p99, 3)}`);
    }

    // Phase 3: streaming time to first byte (zero-latency upstream, unloaded, sequential).
    const roundTtfb: Record<string, number> = {};
    for (const target of targets.filter((t) => t.name !== 'tether-baseline' && t.name !== 'tether-tracing')) {
      roundTtfb[target.name] = await ttfb(target.url, headersFor(target.name, up0.url), target.name === 'portkey' ? 60 : 300);
      (ttfbRounds[target.name] ??= []).push(roundTtfb[target.name]!);
      console.log(`round ${r + 1} ttfb ${target.name.padEnd(16)} ${roundTtfb[target.name]} ms`);
    }
    for (const name of Object.keys(roundTtfb)) (ttfbAdded[name] ??= []).push(roundTtfb[name]! - roundTtfb.direct!);
  }

  const med = (values: number[] | undefined, digits = 3) => round(median(values ?? []), digits);
  /** Per round, what tether adds beyond what the bare pass-through adds: the part a proxy does not pay. */
  const beyondPassthrough = (byTarget: Record<string, number[]>) => (byTarget.tether ?? []).map((v, i) => v - (byTarget.passthrough?.[i] ?? NaN));
  const throughput = Object.fromEntries(Object.entries(throughputRounds).map(([name, results]) => [name, medianResult(results)]));
  const latency = Object.fromEntries(Object.entries(latencyRounds).map(([name, results]) => [name, medianResult(results)]));
  const ttfbMs = Object.fromEntries(Object.entries(ttfbRounds).map(([name, values]) => [name, med(values)]));
  const ratios = Object.fromEntries(Object.entries(ratioRounds).map(([name, values]) => [name, med(values)]));
  const latency50ms = {
    ...latency,
    addedP50Ms: med(addedP50.tether),
    addedP99Ms: med(addedP99.tether),
    addedP50MsNoPacing: med(addedP50['tether-nopacing']),
    addedP99MsNoPacing: med(addedP99['tether-nopacing']),
    // What the bare pass-through itself adds, measured alike: the part of tether's figure any proxy pays here.
    passthroughAddedP50Ms: med(addedP50.passthrough),
    passthroughAddedP99Ms: med(addedP99.passthrough),
    // tether's figure less the pass-through's, within each round: what tether's own work adds.
    beyondPassthroughP50Ms: med(beyondPassthrough(addedP50)),
    beyondPassthroughP99Ms: med(beyondPassthrough(addedP99)),
  };
  const ttfbAddedMs = {
    addedMs: med(ttfbAdded.tether),
    addedMsNoPacing: med(ttfbAdded['tether-nopacing']),
    passthroughAddedMs: med(ttfbAdded.passthrough),
    beyondPassthroughMs: med(beyondPassthrough(ttfbAdded)),
  };
  const summary = {
    bench: 'gateway',
    build: compiled ? 'compiled (tsc)' : 'tsx',
    connections: CONNECTIONS,
    durationSeconds: seconds,
    rounds,
    // Every figure below is the median over the rounds; ratios and added times are taken within each round first.
    tetherLogLevel: logLevel,
    throughput,
    latency50ms,
    ttfbMs: { ...ttfbMs, ...ttfbAddedMs },
    ratios,
    perRound: {
      ratios: ratioRounds,
      addedP50Ms: addedP50,
      addedP99Ms: addedP99,
      ttfbAddedMs: ttfbAdded,
    },
    targets: {
      atLeast5xPortkey: withPortkey ? ratios.tetherOverPortkey! >= 5 : null,
      atLeast07xPassthrough: ratios.tetherOverPassthrough! >= 0.7,
      atLeast097xBaseline: baselineScript ? ratios.tetherOverBaseline! >= 0.97 : null,
      addedP50AtMost1ms: latency50ms.addedP50Ms <= 1,
      addedP99AtMost5ms: latency50ms.addedP99Ms <= 5,
      addedTtfbAtMost1ms: ttfbAddedMs.addedMs <= 1,
    },
  };
  console.log(JSON.stringify(summary, (_key, value: unknown) => (typeof value === 'number' ? round(value, 3) : value)));
}

async function role(): Promise<void> {
  const kind = arg('role', '');
  let port: number;
  if (kind === 'upstream') port = await runUpstream(Number(arg('latency', '0')));
  else if (kind === 'passthrough') port = await runPassthrough(arg('upstream', ''));
  else if (kind === 'tether') port = await runTether(arg('upstream', ''), arg('log-level', 'info'), arg('pacing', 'on') !== 'off', arg('traces-url', ''), arg('gateway-module', ''));
  else if (kind === 'receiver') port = await runReceiver();
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
