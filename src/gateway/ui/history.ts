// The dashboard's trends: cumulative readings sampled at most once a second (when the page asks for data, so an
// unwatched gateway does no work), and the rates and percentiles between consecutive samples. Pure but for the
// ring buffer it keeps.
import { bucketDelta, quantile } from './readings.js';
import type { Buckets, Readings } from './readings.js';

export interface Sample {
  /** ms since the epoch */
  t: number;
  requests: number;
  errors: number;
  latency: Buckets;
}

/** One plotted point: what happened between the previous sample and this one. Null: no request in that interval. */
export interface SeriesPoint {
  t: number;
  rps: number;
  /** Failed share of the interval's requests, 0..1. */
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface WindowRates {
  /** Seconds the window really spans (less than asked for until that much history exists). */
  seconds: number;
  rps: number;
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export const SAMPLE_SPACING_MS = 900;
export const HISTORY_MS = 5 * 60_000;

export function sampleOf(readings: Readings, t: number): Sample {
  return { t, requests: readings.requests, errors: readings.errors, latency: readings.latency };
}

function between(later: Sample, earlier: Sample): Omit<SeriesPoint, 't'> {
  const seconds = Math.max(0.001, (later.t - earlier.t) / 1000);
  const requests = later.requests - earlier.requests;
  const delta = bucketDelta(later.latency, earlier.latency);
  const p = (q: number): number | null => (requests > 0 ? (quantile(delta, q) ?? null) : null);
  return {
    rps: requests / seconds,
    errorRate: requests > 0 ? (later.errors - earlier.errors) / requests : null,
    p50: p(0.5),
    p95: p(0.95),
    p99: p(0.99),
  };
}

export function seriesOf(samples: readonly Sample[]): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const later = samples[i] as Sample;
    points.push({ t: later.t, ...between(later, samples[i - 1] as Sample) });
  }
  return points;
}

/** Rates over the last `windowMs` of samples (from the oldest sample inside it to the newest). */
export function windowRates(samples: readonly Sample[], windowMs: number): WindowRates | undefined {
  const latest = samples[samples.length - 1];
  if (latest === undefined) return undefined;
  const earliest = samples.find((s) => s.t >= latest.t - windowMs - SAMPLE_SPACING_MS / 2);
  if (earliest === undefined || earliest === latest) return undefined;
  return { seconds: (latest.t - earliest.t) / 1000, ...between(latest, earliest) };
}

/** The last HISTORY_MS of samples, at most one per SAMPLE_SPACING_MS. */
export class History {
  private samples: Sample[] = [];

  constructor(
    private readonly spacingMs = SAMPLE_SPACING_MS,
    private readonly keepMs = HISTORY_MS,
  ) {}

  /** Records the sample unless the last one is too recent; returns the samples kept. */
  record(sample: Sample): readonly Sample[] {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && sample.t - last.t < this.spacingMs) return this.samples;
    this.samples.push(sample);
    const oldest = sample.t - this.keepMs;
    let drop = 0;
    while (drop < this.samples.length - 1 && (this.samples[drop] as Sample).t < oldest) drop++;
    if (drop > 0) this.samples = this.samples.slice(drop);
    return this.samples;
  }
}
