// Storm benchmark: `node --import tsx bench/storm.ts [--duration 40] [--clients 200] [--skip-portkey] [--only NAME,…]`.
//
// 200 concurrent clients, each the unmodified `openai` SDK with its default retries (maxRetries 2), call chat
// completions in a closed loop (answer, think 1 s, call again) for a bounded time, against an emulator playing an
// incident (examples of the same in docs/emulator-scenarios.md):
//   - the key is on Together's dynamic limits (per model, rising with success), which the
//     offered load (about 100 requests/s per primary model) reaches at once: 429 `dynamic_request_limited`
//     (30 requests/s at first, below the platform capacity of 40/s);
//   - PRIMARY's platform capacity (40/s) halves from 20% to 60% of the run;
//   - OUTAGE answers 503 to everything from 40% to 65% of the run;
//   - FALLBACK (capacity 120/s) is the route of both, and has capacity throughout.
// Targets, each against its own fresh emulator (same scenario, same seed), one after the other in one run:
//   direct    the SDK straight to the emulator
//   portkey   the SDK through Portkey's gateway (1.15.2) with a retry (3 attempts, retry-after honoured) and
//             fallback config, the same route as tether's (install: cd bench/.peers && npm install --no-audit --no-fund)
//   gateway   the SDK through tether's gateway (its default policies, the route configured)
//   library   tether's own client (createClient), one per process, shared by the 200 callers
// Upstream requests and cost are the emulator's own counts (stats.byKeyModel). Amplification = upstream requests ÷
// client calls. `capacityShare` = successful calls ÷ what the scenario allows of the callers' demand over the
// seconds in which calls start (per second,
// the smaller of 200 calls/s — every caller once per think time — and the sum over the three models of the smaller
// of their capacity in force and the key's starting dynamic rate, 30/s: a floor, as that rate rises with success).
// The last line printed is one JSON object: {"targets": {"<name>": {calls, succeeded, clientFailures,
// upstreamRequests, amplification, goodputRps, p99Ms, costUsd, …}}, …}.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startEmulator } from '../src/emulator/index.js';
import { createGateway } from '../src/gateway/index.js';
import { createClient } from '../src/index.js';

const PRIMARY = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const OUTAGE = 'Qwen/Qwen2.5-7B-Instruct-Turbo';
const FALLBACK = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const API_KEY = 'bench-storm-key';
const GATEWAY_TOKEN = 'bench-storm-token';
const PORTKEY = fileURLToPath(new URL('./.peers/node_modules/@portkey-ai/gateway/build/start-server.js', import.meta.url));
const PORTKEY_PORT = 8787;
const THINK_MS = 1000;
const CAPACITY = { [PRIMARY]: 40, [OUTAGE]: 40, [FALLBACK]: 120 } as const;

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

const DURATION_S = Number(arg('duration', '40'));
const CLIENTS = Number(arg('clients', '200'));
if (!(DURATION_S >= 5 && DURATION_S <= 600) || !(Number.isInteger(CLIENTS) && CLIENTS >= 1 && CLIENTS <= 2000)) {
  console.error('--duration must be 5–600 seconds and --clients an integer 1–2000.');
  process.exit(2);
}
const DURATION_MS = DURATION_S * 1000;
const at = (share: number): number => Math.round(DURATION_MS * share);

/** The incident, scaled to the run. */
function scenario(): object {
  return {
    name: 'storm',
    duration: DURATION_MS + 60_000,
    events: [
      { name: 'primary capacity halves', at: at(0.2), for: at(0.4), capacity: { model: PRIMARY, factor: 0.5 } },
      { name: 'outage model answers 503', at: at(0.4), for: at(0.25), fault: { kind: 'status', status: 503, rate: 1, model: OUTAGE } },
    ],
  };
}

/** The key's dynamic rate per model at first (requests/s); it only rises with sustained success. */
const DYNAMIC_BASE_RPS = 1800 / 60;

/**
 * What the scenario allows at `t` ms into the run (requests/s over the three models): per model, the smaller of its
 * platform capacity in force and the key's dynamic rate at first — a floor, since the dynamic rate rises with success.
 */
function capacityAt(t: number): number {
  const primary = t >= at(0.2) && t < at(0.6) ? CAPACITY[PRIMARY] / 2 : CAPACITY[PRIMARY];
  const outage = t >= at(0.4) && t < at(0.65) ? 0 : CAPACITY[OUTAGE];
  return [primary, outage, CAPACITY[FALLBACK]].reduce((sum, rps) => sum + Math.min(rps, DYNAMIC_BASE_RPS), 0);
}

async function startIncidentEmulator(): Promise<Awaited<ReturnType<typeof startEmulator>>> {
  return startEmulator({
    port: 0,
    seed: 7,
    logLevel: 'silent',
    faults: [],
    keys: [{ key: API_KEY, name: 'storm', requestsPerSecond: 1000, tokensPerMinute: 50_000_000, creditsUsd: 10_000, dynamic: { baseRpm: 1800, capRpm: 12_000, historyMs: 60_000 } }],
    capacity: Object.entries(CAPACITY).map(([model, requestsPerSecond]) => ({ model, requestsPerSecond })),
    scenario: scenario() as never,
  });
}

type Call = () => Promise<void>;

interface Tally {
  calls: number;
  succeeded: number;
  clientFailures: number;
  latencies: number[];
  /** Per second of the run: calls started. */
  offered: number[];
  failuresByStatus: Record<string, number>;
}

/** The closed loop of `CLIENTS` callers for DURATION_MS; `callFor(i)` is caller i's one call (model by caller). */
async function storm(callFor: (i: number) => Call): Promise<{ tally: Tally; elapsedMs: number }> {
  const tally: Tally = { calls: 0, succeeded: 0, clientFailures: 0, latencies: [], offered: [], failuresByStatus: {} };
  const started = performance.now();
  const stopAt = started + DURATION_MS;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const call = callFor(i);
      // Spread the callers' first calls over the first think time.
      await sleep((i / CLIENTS) * THINK_MS);
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        const second = Math.floor((t0 - started) / 1000);
        tally.offered[second] = (tally.offered[second] ?? 0) + 1;
        tally.calls++;
        try {
          await call();
          tally.succeeded++;
          tally.latencies.push(performance.now() - t0);
        } catch (error) {
          tally.clientFailures++;
          const e = error as { status?: number; code?: string | null; error?: { code?: string } };
          const code = e.code ?? e.error?.code;
          const status = `${String(e.status ?? (error as Error).name)}${code ? ` ${code}` : ''}`;
          tally.failuresByStatus[status] = (tally.failuresByStatus[status] ?? 0) + 1;
        }
        await sleep(THINK_MS);
      }
    }),
  );
  return { tally, elapsedMs: performance.now() - started };
}

/** Caller i's model: half the callers on PRIMARY, half on OUTAGE. */
const modelOf = (i: number): string => (i % 2 === 0 ? PRIMARY : OUTAGE);
const body = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'Say hi.' }], max_tokens: 8 });

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!);
}

async function startPortkey(): Promise<ChildProcess | undefined> {
  if (!existsSync(PORTKEY)) return undefined;
  const child = spawn(process.execPath, [PORTKEY, `--port=${PORTKEY_PORT}`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${PORTKEY_PORT}/`);
      return child;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill();
  return undefined;
}

/** Portkey's config: fallback from the caller's model to FALLBACK, each target retried 3 times with retry-after. */
function portkeyConfig(baseUrl: string, model: string): string {
  const retry = { attempts: 3, on_status_codes: [429, 500, 502, 503, 504], use_retry_after_header: true };
  const target = (m: string) => ({ provider: 'openai', custom_host: baseUrl, api_key: API_KEY, override_params: { model: m }, retry });
  return JSON.stringify({ strategy: { mode: 'fallback', on_status_codes: [429, 500, 502, 503, 504] }, targets: [target(model), target(FALLBACK)] });
}

interface TargetResult {
  calls: number;
  succeeded: number;
  clientFailures: number;
  upstreamRequests: number;
  amplification: number;
  goodputRps: number;
  p99Ms: number;
  costUsd: number;
  capacityShare: number;
  upstream429: number;
  upstream503: number;
  failuresByStatus: Record<string, number>;
  upstreamByModel: Record<string, number>;
}

async function runTarget(name: string): Promise<TargetResult | { skipped: string }> {
  const emu = await startIncidentEmulator();
  const cleanups: (() => Promise<void> | void)[] = [() => emu.close()];
  try {
    let callFor: (i: number) => Call;
    if (name === 'direct') {
      const client = new OpenAI({ apiKey: API_KEY, baseURL: emu.baseUrl });
      callFor = (i) => async () => void (await client.chat.completions.create(body(modelOf(i))));
    } else if (name === 'portkey') {
      const portkey = await startPortkey();
      if (portkey === undefined) return { skipped: 'Portkey is not installed: cd bench/.peers && npm install --no-audit --no-fund' };
      cleanups.push(() => void portkey.kill());
      const clients = [PRIMARY, OUTAGE].map(
        (model) =>
          new OpenAI({
            apiKey: API_KEY,
            baseURL: `http://127.0.0.1:${PORTKEY_PORT}/v1`,
            defaultHeaders: { 'x-portkey-config': portkeyConfig(emu.baseUrl, model) },
          }),
      );
      callFor = (i) => async () => void (await clients[i % 2]!.chat.completions.create(body(modelOf(i))));
    } else if (name === 'gateway') {
      const gateway = await createGateway(
        {
          port: 0,
          logLevel: 'silent',
          upstream: { baseUrl: emu.baseUrl, apiKey: API_KEY },
          clients: [{ name: 'storm', token: GATEWAY_TOKEN }],
          routes: { [PRIMARY]: [FALLBACK], [OUTAGE]: [FALLBACK] },
          // The gateway's own overload shedding watches this process's event loop, which the 200 callers share here.
          overload: false,
        },
        { env: {} },
      );
      cleanups.push(() => gateway.close());
      const client = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${gateway.url}/v1` });
      callFor = (i) => async () => void (await client.chat.completions.create(body(modelOf(i))));
    } else {
      const client = createClient({ apiKey: API_KEY, baseUrl: emu.baseUrl, env: {}, routes: { [PRIMARY]: [FALLBACK], [OUTAGE]: [FALLBACK] }, deadlineMs: 60_000 });
      cleanups.push(() => client.close());
      callFor = (i) => async () => void (await client.chat.completions.create(body(modelOf(i))));
    }
    emu.resetStats();
    const { tally, elapsedMs } = await storm(callFor);
    const stats = emu.stats();
    let upstreamRequests = 0;
    const upstreamByModel: Record<string, number> = {};
    for (const byModel of Object.values(stats.byKeyModel)) {
      for (const [model, counts] of Object.entries(byModel)) {
        upstreamRequests += counts.requests;
        upstreamByModel[model.split('/')[1] ?? model] = (upstreamByModel[model.split('/')[1] ?? model] ?? 0) + counts.requests;
      }
    }
    const costUsd = stats.costUsd;
    // What the capacity allows of the callers' demand (each would call once per think time if answered at once),
    // second by second: a target that holds calls back lowers its own offered load, not the demand.
    const demandRps = (CLIENTS * 1000) / THINK_MS;
    // Over the seconds in which calls start (DURATION_MS): a call started near the end and answered in the drain
    // after it counts as a success, so the drain's seconds, in which no call starts, are not counted as allowed.
    let allowed = 0;
    for (let s = 0; s < Math.ceil(Math.min(elapsedMs, DURATION_MS) / 1000); s++) allowed += Math.min(demandRps, capacityAt(s * 1000 + 500));
    const goodputRps = tally.succeeded / (elapsedMs / 1000);
    return {
      calls: tally.calls,
      succeeded: tally.succeeded,
      clientFailures: tally.clientFailures,
      upstreamRequests,
      amplification: round(upstreamRequests / Math.max(1, tally.calls)),
      goodputRps: round(goodputRps),
      p99Ms: p99(tally.latencies),
      costUsd: round(costUsd, 6),
      capacityShare: round(tally.succeeded / Math.max(1, allowed)),
      upstream429: stats.rateLimited,
      upstream503: stats.overloaded,
      failuresByStatus: tally.failuresByStatus,
      upstreamByModel,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const only = arg('only', '');
const names = (only ? only.split(',') : ['direct', 'portkey', 'gateway', 'library']).filter((n) => !(n === 'portkey' && process.argv.includes('--skip-portkey')));
const targets: Record<string, unknown> = {};
for (const name of names) {
  const result = await runTarget(name);
  targets[name] = result;
  console.error(`${name}: ${JSON.stringify(result)}`);
}
const goals = (name: string): Record<string, boolean> | undefined => {
  const r = targets[name] as TargetResult | undefined;
  if (r === undefined || !('calls' in r)) return undefined;
  return { amplificationAtMost1_2: r.amplification <= 1.2, noClientFailures: r.clientFailures === 0, goodputAtLeast90PercentOfCapacity: r.capacityShare >= 0.9 };
};
const direct = targets['direct'] as TargetResult | undefined;
const ratios: Record<string, number> = {};
if (direct !== undefined && 'calls' in direct) {
  for (const name of ['portkey', 'gateway', 'library']) {
    const r = targets[name] as TargetResult | undefined;
    if (r !== undefined && 'calls' in r) ratios[`${name}AmplificationOverDirect`] = round(r.amplification / Math.max(0.001, direct.amplification));
  }
}
console.log(
  JSON.stringify({
    durationS: DURATION_S,
    clients: CLIENTS,
    scenario: { capacityRps: CAPACITY, primaryHalved: [at(0.2), at(0.6)], outage503: [at(0.4), at(0.65)], dynamic: { baseRpm: 1800, capRpm: 12_000 } },
    targets,
    ratios,
    goals: { gateway: goals('gateway'), library: goals('library') },
  }),
);
process.exit(0);
