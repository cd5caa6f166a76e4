// The JSON the dashboard page polls (`GET /ui/data.json`): the registry's readings, the trends between samples,
// and the pipeline's live state (pacing headroom, breakers), plus `tether run` jobs. Pure. Key fingerprints only:
// no upstream key or client token is ever part of it.
import type { PipelineState } from '../../pipeline/index.js';
import type { RunStatusView } from '../../local-state/index.js';
import { seriesOf, windowRates } from './history.js';
import type { Sample, SeriesPoint, WindowRates } from './history.js';
import { quantile } from './readings.js';
import type { Readings } from './readings.js';

/** A `tether run` job as the page shows it: the batch module's status file, read back. */
import type { BudgetRow } from './budget-rows.js';

export type RunRow = RunStatusView;

export interface PacingRow {
  /** Key fingerprint. */
  key: string;
  requestsPerSecond: number | null;
  requestsRemaining: number | null;
  tokensPerMinute: number | null;
  tokensRemaining: number | null;
  queued: number;
  /** Requests held for budget so far, and the time they waited in all (from /metrics). */
  waits: number;
  waitSeconds: number;
  stopped: boolean;
}

export interface DashboardData {
  /** ms since the epoch, when this was read. */
  at: number;
  /** The config generation in force (reloads count up). */
  config: number;
  totals: Omit<Readings, 'latency' | 'breakerGauge' | 'pacingWaits'>;
  /** API latency since the gateway started (seconds). */
  latencySinceStart: { p50: number | null; p95: number | null; p99: number | null; count: number };
  /** The last few seconds (rps, error rate) and the last minute (latency percentiles). */
  now: { rps: number | null; errorRate: number | null; windowSeconds: number; p50: number | null; p95: number | null; p99: number | null };
  series: SeriesPoint[];
  pacing: PacingRow[];
  breakers: Array<{ model: string; state: string }>;
  runs: RunRow[];
  runsError?: string;
  /** One row per client with a spend budget (budget-rows.ts). */
  budgets?: BudgetRow[];
}

export const RATE_WINDOW_MS = 5_000;
export const LATENCY_WINDOW_MS = 60_000;
export const MAX_RUNS_SHOWN = 20;

function orNull(n: number | undefined): number | null {
  return n === undefined ? null : n;
}

export function pacingRows(state: PipelineState, readings: Readings): PacingRow[] {
  const stopped = new Set(state.stoppedKeys ?? []);
  const rows = state.pacing.map((p) => ({
    key: p.key,
    requestsPerSecond: orNull(p.requestsPerSecond),
    requestsRemaining: orNull(p.requestsRemaining),
    tokensPerMinute: orNull(p.tokensPerMinute),
    tokensRemaining: orNull(p.tokensRemaining),
    queued: p.queued,
    waits: readings.pacingWaits[p.key]?.waits ?? 0,
    waitSeconds: readings.pacingWaits[p.key]?.waitSeconds ?? 0,
    stopped: stopped.has(p.key),
  }));
  // A key that waited (or was stopped) but that this pipeline no longer tracks, e.g. after a reload.
  for (const key of new Set([...Object.keys(readings.pacingWaits), ...stopped])) {
    if (rows.some((r) => r.key === key)) continue;
    const waits = readings.pacingWaits[key];
    rows.push({ key, requestsPerSecond: null, requestsRemaining: null, tokensPerMinute: null, tokensRemaining: null, queued: 0, waits: waits?.waits ?? 0, waitSeconds: waits?.waitSeconds ?? 0, stopped: stopped.has(key) });
  }
  return rows;
}

const BREAKER_ORDER: Record<string, number> = { open: 0, half_open: 1, closed: 2 };

export function breakerRows(state: PipelineState): Array<{ model: string; state: string }> {
  return state.breakers
    .map((b) => ({ model: b.model, state: b.state }))
    .sort((a, b) => (BREAKER_ORDER[a.state] ?? 3) - (BREAKER_ORDER[b.state] ?? 3) || a.model.localeCompare(b.model));
}

export interface SnapshotInput {
  at: number;
  config: number;
  readings: Readings;
  samples: readonly Sample[];
  state: PipelineState;
  runs: readonly RunRow[];
  runsError?: string | undefined;
}

export function dashboardData(input: SnapshotInput): DashboardData {
  const { readings, samples } = input;
  const rates: WindowRates | undefined = windowRates(samples, RATE_WINDOW_MS);
  const latency = windowRates(samples, LATENCY_WINDOW_MS);
  const { latency: buckets, breakerGauge: _gauge, pacingWaits: _waits, ...totals } = readings;
  const lifetime = (q: number): number | null => orNull(quantile(buckets, q));
  return {
    at: input.at,
    config: input.config,
    totals,
    latencySinceStart: { p50: lifetime(0.5), p95: lifetime(0.95), p99: lifetime(0.99), count: buckets.counts[buckets.counts.length - 1] ?? 0 },
    now: {
      rps: rates ? rates.rps : null,
      errorRate: rates ? rates.errorRate : null,
      windowSeconds: rates ? rates.seconds : 0,
      p50: latency?.p50 ?? null,
      p95: latency?.p95 ?? null,
      p99: latency?.p99 ?? null,
    },
    series: seriesOf(samples),
    pacing: pacingRows(input.state, readings),
    breakers: breakerRows(input.state),
    runs: input.runs.slice(0, MAX_RUNS_SHOWN).map((r) => ({ ...r })),
    ...(input.runsError !== undefined ? { runsError: input.runsError } : {}),
  };
}
