// Prometheus metrics, in the gateway's own prom-client Registry (never the global one, so two gateways in one
// process do not collide). Fed from two places: each finished client request, and the pipeline's policy events.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState, PolicyEvents } from '../policy/index.js';
import type { UsageRecord } from './pipeline.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half_open', 'open'];

export interface RequestObservation {
  route: string;
  status: number | 'reset';
  /** The error category, or `none` for a success. */
  category: string;
  seconds: number;
  stream: boolean;
}

type Labels = Record<string, string>;

/** What one model used since the last scrape. */
interface ModelCounts {
  prompt: number;
  completion: number;
  cost: number;
  attempts: number;
}

/** Hands a model's pending counts to prom-client (any of the three counters' `collect` flushes all three). */
function flushModelCounts(model: string, counts: ModelCounts, tokens: Counter<'model' | 'kind'>, cost: Counter<'model'>, attempts: Counter<'model'>): void {
  if (counts.prompt > 0) tokens.inc({ model, kind: 'prompt' }, counts.prompt);
  if (counts.completion > 0) tokens.inc({ model, kind: 'completion' }, counts.completion);
  if (counts.cost > 0) cost.inc({ model }, counts.cost);
  if (counts.attempts > 0) attempts.inc({ model }, counts.attempts);
  counts.prompt = counts.completion = counts.cost = counts.attempts = 0;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status' | 'category'>;
  private readonly duration: Histogram<'route' | 'stream'>;
  private readonly firstChunk: Histogram<'route'>;
  private readonly attempts: Counter<'model'>;
  private readonly retries: Counter<'reason'>;
  private readonly fallbacks: Counter<'from' | 'to' | 'why'>;
  private readonly breaker: Gauge<'model' | 'state'>;
  private readonly pacingWaits: Counter<'key'>;
  private readonly pacingWaitSeconds: Histogram<'key'>;
  private readonly tokens: Counter<'model' | 'kind'>;
  private readonly cost: Counter<'model'>;
  private readonly upstream: Histogram<'outcome'>;
  private readonly inflight: Gauge;
  /** Client requests being handled; handed to the gauge when it is read, like the counters above. */
  private inflightCount = 0;
  private readonly reloads: Counter<'result'>;
  private readonly shed: Counter<'reason'>;
  /** The overload readings at scrape time (set by the server; undefined while shedding is off). */
  private overloadReadings: (() => { eventLoopDelayMs: number; heapUsedRatio: number } | undefined) | undefined;
  /** Per model answered: tokens, cost and attempts counted since the last scrape. */
  private readonly modelCounts = new Map<string, ModelCounts>();
  private readonly outcomeChildren = new Map<string, Histogram.Internal<'outcome'>>();
  private readonly firstChunkChildren = new Map<string, Histogram.Internal<'route'>>();
  /** Per (route, status, category, stream): requests counted since the last scrape, and the duration child. */
  private readonly requestChildren = new Map<string, { labels: Labels; pending: number; duration: Histogram.Internal<'route' | 'stream'> }>();

  constructor() {
    const registers = [this.registry];
    // The per-request counters are counted in plain numbers and handed to prom-client when it is read (`collect`):
    // a labelled inc() builds and hashes a label key each time, and this runs on every request.
    const flushRequests = (): void => {
      for (const child of this.requestChildren.values()) {
        if (child.pending > 0) this.requests.inc(child.labels, child.pending);
        child.pending = 0;
      }
    };
    const flushModels = (): void => {
      for (const [model, counts] of this.modelCounts) flushModelCounts(model, counts, this.tokens, this.cost, this.attempts);
    };
    this.requests = new Counter({
      name: 'tether_gateway_requests_total',
      help: 'Client requests answered, by route, HTTP status (reset: the client went away) and error category (none on success).',
      labelNames: ['route', 'status', 'category'],
      registers,
      collect: flushRequests,
    });
    this.duration = new Histogram({
      name: 'tether_gateway_request_duration_seconds',
      help: 'Time from request to the end of the response, by route and whether it streamed.',
      labelNames: ['route', 'stream'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.firstChunk = new Histogram({
      name: 'tether_gateway_stream_first_chunk_seconds',
      help: 'Time from request to the first streamed chunk written to the client.',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'tether_upstream_attempts_total',
      help: 'Attempts sent to Together (first tries, retries and fallbacks), by model.',
      labelNames: ['model'],
      registers,
      collect: flushModels,
    });
    this.retries = new Counter({
      name: 'tether_upstream_retries_total',
      help: 'Retries, by the failed attempt\'s error category.',
      labelNames: ['reason'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'tether_upstream_fallbacks_total',
      help: 'Moves from one model to the next of its route, by from, to and why.',
      labelNames: ['from', 'to', 'why'],
      registers,
    });
    this.breaker = new Gauge({
      name: 'tether_breaker_state',
      help: 'Circuit state per model: 1 for the current state, 0 for the others.',
      labelNames: ['model', 'state'],
      registers,
    });
    this.pacingWaits = new Counter({
      name: 'tether_pacing_waits_total',
      help: 'Requests held for rate budget before they were sent, by key fingerprint.',
      labelNames: ['key'],
      registers,
    });
    this.pacingWaitSeconds = new Histogram({
      name: 'tether_pacing_wait_seconds',
      help: 'How long requests were held for rate budget, by key fingerprint.',
      labelNames: ['key'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'tether_tokens_total',
      help: 'Tokens used, by answering model and kind (prompt, completion).',
      labelNames: ['model', 'kind'],
      registers,
      collect: flushModels,
    });
    this.cost = new Counter({
      name: 'tether_estimated_cost_usd_total',
      help: 'Estimated cost in USD (usage x the catalog price), by answering model.',
      labelNames: ['model'],
      registers,
      collect: flushModels,
    });
    this.upstream = new Histogram({
      name: 'tether_pipeline_duration_seconds',
      help: 'Time the pipeline spent on a request (all attempts and waits), by outcome.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const inflightCount = (): void => this.inflight.set(this.inflightCount);
    this.inflight = new Gauge({ name: 'tether_gateway_inflight_requests', help: 'Client requests being handled.', registers, collect: inflightCount });
    this.reloads = new Counter({
      name: 'tether_gateway_config_reloads_total',
      help: 'Config reloads, by result (applied, rejected).',
      labelNames: ['result'],
      registers,
    });
    const readings = (): { eventLoopDelayMs: number; heapUsedRatio: number } | undefined => this.overloadReadings?.();
    new Gauge({
      name: 'tether_gateway_event_loop_delay_seconds',
      help: 'Event-loop delay as the overload monitor measures it (worst of its recent samples); 0 while shedding is off.',
      registers,
      collect() {
        this.set((readings()?.eventLoopDelayMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'tether_gateway_heap_used_ratio',
      help: "Share of V8's heap limit in use, as the overload monitor last sampled it; 0 while shedding is off.",
      registers,
      collect() {
        this.set(readings()?.heapUsedRatio ?? 0);
      },
    });
    this.shed = new Counter({
      name: 'tether_gateway_shed_requests_total',
      help: 'Requests refused with a 503 before their body was read because the gateway was overloaded, by reason (event_loop_delay, heap, in_flight).',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Every reason a request can be shed for, so each series exists (at 0) from the start. */
  initShedReasons(reasons: readonly string[]): void {
    for (const reason of reasons) this.shed.inc({ reason }, 0);
  }

  /** Where the overload gauges read from at scrape time. */
  observeOverload(read: () => { eventLoopDelayMs: number; heapUsedRatio: number } | undefined): void {
    this.overloadReadings = read;
  }

  requestShed(reason: string): void {
    this.shed.inc({ reason });
  }

  requestStarted(): void {
    this.inflightCount += 1;
  }

  requestEnded(observation: RequestObservation): void {
    this.inflightCount -= 1;
    const key = `${observation.route} ${observation.status} ${observation.category} ${observation.stream ? 1 : 0}`;
    let children = this.requestChildren.get(key);
    if (children === undefined) {
      children = {
        labels: { route: observation.route, status: String(observation.status), category: observation.category },
        pending: 0,
        duration: this.duration.labels({ route: observation.route, stream: observation.stream ? 'true' : 'false' }),
      };
      this.requestChildren.set(key, children);
    }
    children.pending += 1;
    children.duration.observe(observation.seconds);
  }

  firstChunkWritten(route: string, seconds: number): void {
    let child = this.firstChunkChildren.get(route);
    if (child === undefined) this.firstChunkChildren.set(route, (child = this.firstChunk.labels({ route })));
    child.observe(seconds);
  }

  usage(record: UsageRecord): void {
    const counts = this.countsFor(record.model);
    const usage = record.usage;
    if (usage) {
      if (usage.prompt_tokens > 0) counts.prompt += usage.prompt_tokens;
      if (usage.completion_tokens > 0) counts.completion += usage.completion_tokens;
    }
    if (record.costUsd !== undefined && record.costUsd > 0) counts.cost += record.costUsd;
  }

  reload(result: 'applied' | 'rejected'): void {
    this.reloads.inc({ result });
  }

  /** Subscribe to a pipeline's events; returns the unsubscribe function (called when that pipeline is retired). */
  watch(events: PolicyEvents): () => void {
    const off = [
      events.on('attempt', (e) => {
        this.countsFor(e.model ?? 'unknown').attempts += 1;
      }),
      events.on('retry', (e) => this.retries.inc({ reason: e.reason })),
      events.on('fallback', (e) => this.fallbacks.inc({ from: e.from, to: e.to, why: e.why })),
      events.on('breaker', (e) => this.setBreaker(e.model, e.to)),
      events.on('pacing_wait', (e) => {
        this.pacingWaits.inc({ key: e.key });
        this.pacingWaitSeconds.observe({ key: e.key }, e.waitedMs / 1000);
      }),
      events.on('outcome', (e) => this.outcomeChild(e.ok ? 'ok' : (e.error?.category ?? 'error')).observe(e.elapsedMs / 1000)),
    ];
    return () => {
      for (const unsubscribe of off) unsubscribe();
    };
  }

  private countsFor(model: string): ModelCounts {
    let counts = this.modelCounts.get(model);
    if (counts === undefined) this.modelCounts.set(model, (counts = { prompt: 0, completion: 0, cost: 0, attempts: 0 }));
    return counts;
  }

  private outcomeChild(outcome: string): Histogram.Internal<'outcome'> {
    let child = this.outcomeChildren.get(outcome);
    if (child === undefined) this.outcomeChildren.set(outcome, (child = this.upstream.labels({ outcome })));
    return child;
  }

  private setBreaker(model: string, state: BreakerState): void {
    for (const s of BREAKER_STATES) this.breaker.set({ model, state: s }, s === state ? 1 : 0);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
