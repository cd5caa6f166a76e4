// Paired A/B of two gateways: `node --import tsx bench/gateway-ab.ts --a DIR --b DIR [--rounds 12] [--seconds 2]
//   [--log-level warn]`.
//
// What one change costs, to within a percent or two on a noisy 2-core machine, where bench/gateway.ts's rounds swing
// by 10–30% (it measures six targets one after another). Each tree's gateway (e.g. this checkout, and a scratch
// worktree of it with the change taken out: bench/limits-off.mjs makes one) is compiled by that tree's tsc into
// <tree>/.bench-dist and run as plain JavaScript, through bench/gateway.ts's own roles, against one zero-latency
// upstream. autocannon (50 connections) loads A and B in turn, in alternating order, for `--rounds` pairs; each
// pair gives a throughput ratio and a CPU-per-request ratio, and the medians are taken. The whole is done twice, the
// second time with the two gateways started in the other order, and the two phases combined (geometric mean): a
// position bias (which process started first, which ran first) cancels out instead of being read as a cost.
// The last line printed is one JSON object: `aOverB.throughput` (> 1: A serves more) and `aOverB.cpuPerRequest`
// (< 1: A spends less CPU per request).
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const GATEWAY_BENCH = fileURLToPath(new URL('./gateway.ts', import.meta.url));
const BODY = JSON.stringify({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'Hello, how are you?' }], max_tokens: 16 });
const HEADERS = { 'content-type': 'application/json', authorization: 'Bearer bench-upstream-key' };

function arg(name: string, fallback?: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? fallback : process.argv[at + 1];
  if (value === undefined) throw new Error(`usage: node --import tsx bench/gateway-ab.ts --a DIR --b DIR [--rounds N] [--seconds S] [--log-level L] (missing --${name})`);
  return value;
}

const children: ChildProcess[] = [];

function start(args: string[]): Promise<{ url: string; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', GATEWAY_BENCH, '--role', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start within 30 s`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^READY (\d+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${match[1]}`, pid: child.pid! });
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${String(code)}) before it was ready`)));
  });
}

function compile(tree: string): string {
  const out = resolvePath(tree, '.bench-dist');
  execFileSync(process.execPath, [resolvePath(tree, 'node_modules/typescript/bin/tsc'), '-p', resolvePath(tree, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false', '--sourceMap', 'false', '--declarationMap', 'false'], { stdio: 'inherit', cwd: tree });
  return resolvePath(out, 'gateway', 'index.js');
}

/** CPU ms (user + system) of a process so far, from /proc (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function load(url: string, seconds: number, pid: number): Promise<{ rps: number; cpuPerRequest: number }> {
  const before = cpuMs(pid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url: `${url}/v1/chat/completions`, method: 'POST', headers: HEADERS, body: BODY, connections: 50, duration: seconds }, (error, done) => (error ? reject(error) : resolve(done)));
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors: fix the gateway before timing it`);
  return { rps: result.requests.total / seconds, cpuPerRequest: (cpuMs(pid) - before) / result.requests.total };
}

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[values.length >> 1]!;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

interface Phase {
  throughput: number;
  cpuPerRequest: number;
  rounds: Array<{ a: number; b: number }>;
}

async function phase(upstream: string, modules: { a: string; b: string }, firstStarted: 'a' | 'b', rounds: number, seconds: number, logLevel: string): Promise<Phase> {
  const order = firstStarted === 'a' ? (['a', 'b'] as const) : (['b', 'a'] as const);
  const gateways: Record<string, { url: string; pid: number }> = {};
  for (const side of order) gateways[side] = await start(['tether', '--upstream', upstream, '--log-level', logLevel, '--gateway-module', modules[side]]);
  for (const side of order) await load(gateways[side]!.url, 1, gateways[side]!.pid); // warm-up
  const throughput: number[] = [];
  const cpu: number[] = [];
  const perRound: Array<{ a: number; b: number }> = [];
  for (let i = 0; i < rounds; i++) {
    const sides = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    const got: Record<string, { rps: number; cpuPerRequest: number }> = {};
    for (const side of sides) got[side] = await load(gateways[side]!.url, seconds, gateways[side]!.pid);
    throughput.push(got.a!.rps / got.b!.rps);
    cpu.push(got.a!.cpuPerRequest / got.b!.cpuPerRequest);
    perRound.push({ a: Math.round(got.a!.rps), b: Math.round(got.b!.rps) });
    console.log(`${firstStarted === 'a' ? 'A started first' : 'B started first'}, round ${i + 1}: A ${Math.round(got.a!.rps)} req/s ${got.a!.cpuPerRequest.toFixed(3)} ms CPU, B ${Math.round(got.b!.rps)} req/s ${got.b!.cpuPerRequest.toFixed(3)} ms CPU`);
  }
  for (const side of order) {
    const pid = gateways[side]!.pid;
    children.find((child) => child.pid === pid)?.kill('SIGKILL');
  }
  return { throughput: median(throughput), cpuPerRequest: median(cpu), rounds: perRound };
}

async function main(): Promise<void> {
  const trees = { a: resolvePath(arg('a')), b: resolvePath(arg('b')) };
  const rounds = Math.max(2, Number(arg('rounds', '12')));
  const seconds = Math.max(1, Number(arg('seconds', '2')));
  const logLevel = arg('log-level', 'warn');
  const modules = { a: compile(trees.a), b: compile(trees.b) };
  const upstream = (await start(['upstream', '--latency', '0'])).url;
  const first = await phase(upstream, modules, 'a', rounds, seconds, logLevel);
  const second = await phase(upstream, modules, 'b', rounds, seconds, logLevel);
  const combined = (x: number, y: number): number => round3(Math.sqrt(x * y));
  console.log(
    JSON.stringify({
      bench: 'gateway-ab',
      a: trees.a,
      b: trees.b,
      rounds,
      seconds,
      logLevel,
      aOverB: { throughput: combined(first.throughput, second.throughput), cpuPerRequest: combined(first.cpuPerRequest, second.cpuPerRequest) },
      phases: {
        aStartedFirst: { throughput: round3(first.throughput), cpuPerRequest: round3(first.cpuPerRequest) },
        bStartedFirst: { throughput: round3(second.throughput), cpuPerRequest: round3(second.cpuPerRequest) },
      },
    }),
  );
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGKILL');
}
