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
  private readonly reloads: Counter<'result'>;
  /** Label children per model (tokens, cost, attempts), built once per model answered. */
  private readonly modelChildren = new Map<string, { prompt: Counter.Internal; completion: Counter.Internal; cost: Counter.Internal; attempts: Counter.Internal }>();
  private readonly outcomeChildren = new Map<string, Histogram.Internal<'outcome'>>();
  /** Label children per (route, status, category, stream), so the per-request path hashes no label objects. */
  private readonly requestChildren = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<'route' | 'stream'> }>();

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'tether_gateway_requests_total',
      help: 'Client requests answered, by route, HTTP status (reset: the client went away) and error category (none on success).',
      labelNames: ['route', 'status', 'category'],
      registers,
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
    });
    this.cost = new Counter({
      name: 'tether_estimated_cost_usd_total',
      help: 'Estimated cost in USD (usage x the catalog price), by answering model.',
      labelNames: ['model'],
      registers,
    });
    this.upstream = new Histogram({
      name: 'tether_pipeline_duration_seconds',
      help: 'Time the pipeline spent on a request (all attempts and waits), by outcome.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inflight = new Gauge({ name: 'tether_gateway_inflight_requests', help: 'Client requests being handled.', registers });
    this.reloads = new Counter({
      name: 'tether_gateway_config_reloads_total',
      help: 'Config reloads, by result (applied, rejected).',
      labelNames: ['result'],
      registers,
    });
  }

  requestStarted(): void {
    this.inflight.inc();
  }

  requestEnded(observation: RequestObservation): void {
    this.inflight.dec();
    const key = `${observation.route} ${observation.status} ${observation.category} ${observation.stream ? 1 : 0}`;
    let children = this.requestChildren.get(key);
    if (children === undefined) {
      children = {
        count: this.requests.labels({ route: observation.route, status: String(observation.status), category: observation.category }),
        duration: this.duration.labels({ route: observation.route, stream: observation.stream ? 'true' : 'false' }),
      };
      this.requestChildren.set(key, children);
    }
    children.count.inc();
    children.duration.observe(observation.seconds);
  }

  firstChunkWritten(route: string, seconds: number): void {
    this.firstChunk.observe({ route }, seconds);
  }

  usage(record: UsageRecord): void {
    let children = this.modelChildren.get(record.model);
    if (children === undefined) {
      children = {
        prompt: this.tokens.labels({ model: record.model, kind: 'prompt' }),
        completion: this.tokens.labels({ model: record.model, kind: 'completion' }),
        cost: this.cost.labels({ model: record.model }),
        attempts: this.attempts.labels({ model: record.model }),
      };
      this.modelChildren.set(record.model, children);
    }
    const usage = record.usage;
    if (usage) {
      if (usage.prompt_tokens > 0) children.prompt.inc(usage.prompt_tokens);
      if (usage.completion_tokens > 0) children.completion.inc(usage.completion_tokens);
    }
    if (record.costUsd !== undefined && record.costUsd > 0) children.cost.inc(record.costUsd);
  }

  reload(result: 'applied' | 'rejected'): void {
    this.reloads.inc({ result });
  }

  /** Subscribe to a pipeline's events; returns the unsubscribe function (called when that pipeline is retired). */
  watch(events: PolicyEvents): () => void {
    const off = [
      events.on('attempt', (e) => this.attemptChild(e.model ?? 'unknown').inc()),
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

  private attemptChild(model: string): Counter.Internal {
    const known = this.modelChildren.get(model);
    return known ? known.attempts : this.attempts.labels({ model });
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
