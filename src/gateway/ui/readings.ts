// What the dashboard shows, read from the gateway's own prom-client registry (`registry.getMetricsAsJSON()`): the
// same counters /metrics prints, summed the way the page shows them. Pure: the registry's JSON in, numbers out.

/** The part of prom-client's `getMetricsAsJSON()` entries this reads. */
export interface MetricFamily {
  name: string;
  values: ReadonlyArray<{ value: number; labels: Readonly<Record<string, string | number | undefined>>; metricName?: string | undefined }>;
}

/** Client traffic the headline numbers count: the OpenAI-compatible API, not /metrics, /healthz or /ui polls. */
export function isApiRoute(route: string): boolean {
  return route.startsWith('/v1/');
}

/** Cumulative histogram: upper bounds (the last is +Inf) and the count at or under each. */
export interface Buckets {
  bounds: number[];
  counts: number[];
}

export interface CategoryCount {
  category: string;
  count: number;
}

export interface RouteCount {
  route: string;
  requests: number;
  errors: number;
}

export interface FallbackCount {
  from: string;
  to: string;
  why: string;
  count: number;
}

export interface ModelUsage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Attempts sent upstream to this model (first tries, retries and fallbacks). */
  attempts: number;
}

export interface KeyWaits {
  waits: number;
  waitSeconds: number;
}

export interface Readings {
  /** API requests answered (routes under /v1/), successes, and failures by category. */
  requests: number;
  ok: number;
  errors: number;
  byCategory: CategoryCount[];
  /** Every route, /metrics and /ui included. */
  byRoute: RouteCount[];
  inflight: number;
  /** API request latency, every /v1/ route and both stream modes together. */
  latency: Buckets;
  fallbacks: FallbackCount[];
  fallbacksTotal: number;
  retries: CategoryCount[];
  retriesTotal: number;
  models: ModelUsage[];
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Breaker states as the `tether_breaker_state` gauge holds them (model → state whose value is 1). */
  breakerGauge: Record<string, string>;
  pacingWaits: Record<string, KeyWaits>;
}

function family(metrics: readonly MetricFamily[], name: string): MetricFamily['values'] {
  return metrics.find((m) => m.name === name)?.values ?? [];
}

function label(labels: Readonly<Record<string, string | number | undefined>>, name: string): string {
  const value = labels[name];
  return value === undefined ? '' : String(value);
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function bound(le: string): number {
  return le === '+Inf' ? Infinity : Number(le);
}

/** The latency histogram summed over the API routes (each bucket's count across routes and stream modes). */
export function apiLatencyBuckets(metrics: readonly MetricFamily[]): Buckets {
  const byBound = new Map<number, number>();
  for (const v of family(metrics, 'tether_gateway_request_duration_seconds')) {
    if (v.metricName !== undefined && !v.metricName.endsWith('_bucket')) continue;
    if (!isApiRoute(label(v.labels, 'route'))) continue;
    const le = v.labels['le'];
    if (le === undefined) continue;
    const b = bound(String(le));
    byBound.set(b, (byBound.get(b) ?? 0) + v.value);
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byBound.get(b) ?? 0) };
}

export function readMetrics(metrics: readonly MetricFamily[]): Readings {
  let requests = 0;
  let ok = 0;
  const categories = new Map<string, number>();
  const routes = new Map<string, RouteCount>();
  for (const v of family(metrics, 'tether_gateway_requests_total')) {
    const route = label(v.labels, 'route');
    const category = label(v.labels, 'category');
    const success = category === 'none';
    const entry = routes.get(route) ?? { route, requests: 0, errors: 0 };
    entry.requests += v.value;
    if (!success) entry.errors += v.value;
    routes.set(route, entry);
    if (!isApiRoute(route)) continue;
    requests += v.value;
    if (success) ok += v.value;
    else add(categories, category, v.value);
  }

  const fallbacks: FallbackCount[] = family(metrics, 'tether_upstream_fallbacks_total')
    .filter((v) => v.value > 0)
    .map((v) => ({ from: label(v.labels, 'from'), to: label(v.labels, 'to'), why: label(v.labels, 'why'), count: v.value }));

  const retries = new Map<string, number>();
  for (const v of family(metrics, 'tether_upstream_retries_total')) add(retries, label(v.labels, 'reason'), v.value);

  const models = new Map<string, ModelUsage>();
  const model = (id: string): ModelUsage => {
    let entry = models.get(id);
    if (entry === undefined) models.set(id, (entry = { model: id, promptTokens: 0, completionTokens: 0, costUsd: 0, attempts: 0 }));
    return entry;
  };
  for (const v of family(metrics, 'tether_tokens_total')) {
    const entry = model(label(v.labels, 'model'));
    if (label(v.labels, 'kind') === 'prompt') entry.promptTokens += v.value;
    else if (label(v.labels, 'kind') === 'completion') entry.completionTokens += v.value;
  }
  for (const v of family(metrics, 'tether_estimated_cost_usd_total')) model(label(v.labels, 'model')).costUsd += v.value;
  for (const v of family(metrics, 'tether_upstream_attempts_total')) model(label(v.labels, 'model')).attempts += v.value;

  const breakerGauge: Record<string, string> = {};
  for (const v of family(metrics, 'tether_breaker_state')) if (v.value === 1) breakerGauge[label(v.labels, 'model')] = label(v.labels, 'state');

  const pacingWaits: Record<string, KeyWaits> = {};
  const waitsFor = (key: string): KeyWaits => (pacingWaits[key] ??= { waits: 0, waitSeconds: 0 });
  for (const v of family(metrics, 'tether_pacing_waits_total')) waitsFor(label(v.labels, 'key')).waits += v.value;
  for (const v of family(metrics, 'tether_pacing_wait_seconds')) {
    if (v.metricName?.endsWith('_sum')) waitsFor(label(v.labels, 'key')).waitSeconds += v.value;
  }

  const modelList = [...models.values()].sort((a, b) => b.costUsd - a.costUsd || b.attempts - a.attempts || a.model.localeCompare(b.model));
  const byCount = (a: { count: number }, b: { count: number }): number => b.count - a.count;
  return {
    requests,
    ok,
    errors: requests - ok,
    byCategory: [...categories].map(([category, count]) => ({ category, count })).sort(byCount),
    byRoute: [...routes.values()].sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route)),
    inflight: family(metrics, 'tether_gateway_inflight_requests')[0]?.value ?? 0,
    latency: apiLatencyBuckets(metrics),
    fallbacks: fallbacks.sort(byCount),
    fallbacksTotal: fallbacks.reduce((n, f) => n + f.count, 0),
    retries: [...retries].map(([category, count]) => ({ category, count })).sort(byCount),
    retriesTotal: [...retries.values()].reduce((n, c) => n + c, 0),
    models: modelList,
    promptTokens: modelList.reduce((n, m) => n + m.promptTokens, 0),
    completionTokens: modelList.reduce((n, m) => n + m.completionTokens, 0),
    costUsd: modelList.reduce((n, m) => n + m.costUsd, 0),
    breakerGauge,
    pacingWaits,
  };
}

/**
 * The q-quantile (0..1) of a cumulative histogram, interpolated linearly inside its bucket (what Prometheus'
 * `histogram_quantile` does). Undefined when the histogram is empty. An answer in the +Inf bucket is the largest
 * finite bound.
 */
export function quantile(buckets: Buckets, q: number): number | undefined {
  const { bounds, counts } = buckets;
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const cumulative = counts[i] ?? 0;
    if (cumulative < rank) continue;
    const upper = bounds[i] ?? Infinity;
    if (upper === Infinity) return bounds[bounds.length - 2] ?? undefined;
    const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
    const before = i === 0 ? 0 : (counts[i - 1] ?? 0);
    const inBucket = cumulative - before;
    if (inBucket <= 0) return upper;
    return lower + ((upper - lower) * (rank - before)) / inBucket;
  }
  return bounds[bounds.length - 2];
}

/** `later - earlier`, bucket by bucket (same bounds: both come from the same histogram). */
export function bucketDelta(later: Buckets, earlier: Buckets | undefined): Buckets {
  if (earlier === undefined) return later;
  return { bounds: later.bounds, counts: later.counts.map((c, i) => c - (earlier.counts[earlier.bounds.indexOf(later.bounds[i] ?? NaN)] ?? 0)) };
}
