// createPipeline's options: what each stage is told, with defaults, checked up front so a bad value fails at
// construction with a message naming the option.
import type { TracingOption } from '../tracing/index.js';
import type { Transport, Upstream } from '../api/index.js';
import type { Catalog, CatalogOptions } from '../catalog/index.js';
import { findApiKey } from '../errors/index.js';
import type { KeySource } from '../errors/index.js';
import type { AdaptiveThrottleOptions, BreakerOptions, PolicyEvents, RetryBudgetOptions, RetryOptions } from '../policy/index.js';
import type { ContextOverflowPolicy } from './contract.js';

export interface PacingOptions {
  /** A cap on requests per second per key; the limit learned from x-ratelimit-* headers applies when lower. */
  requestsPerSecond?: number;
  /** A cap on tokens per minute per key (prompt + max_tokens, estimated before sending). */
  tokensPerMinute?: number;
  /** Where budgets are kept: this process (default), or Redis to share one key's budget across processes. */
  store?: 'memory' | { redis: string };
  /** Learn limits from response headers (default true). */
  learnFromHeaders?: boolean;
  /** Rate while a key's limit is still unknown (default the pacer's: 1/s until the first response's headers). */
  initialRequestsPerSecond?: number;
  /** Share of each limit used (default the pacer's 0.95). */
  safetyFactor?: number;
}

export type PipelineBreakerOptions = Omit<BreakerOptions, 'events' | 'clock'> & {
  /**
   * Where circuits are kept: this process (default), or Redis to share their opens and closes with every pipeline
   * using the same Redis (gateway replicas): a model one of them cut off is cut off for all.
   */
  store?: 'memory' | { redis: string };
};

export type PipelineRetryBudgetOptions = RetryBudgetOptions & {
  /** Where the counts are kept: this process (default), or Redis so every process on a key shares one budget. */
  store?: 'memory' | { redis: string };
};

/** Catalog settings when the pipeline builds its catalog (fetchModels defaults to GET /models with the pipeline's key). */
export type PipelineCatalogOptions = Omit<CatalogOptions, 'fetchModels' | 'routes'> & {
  fetchModels?: CatalogOptions['fetchModels'];
};

export interface PipelineOptions {
  /** Default: TOGETHER_API_KEY. A request's own `apiKey` (a gateway forwarding its caller's) wins. */
  apiKey?: string | undefined;
  /** Where `apiKey` came from, so a 401 names the place to fix (default 'env' when read from TOGETHER_API_KEY). */
  keySource?: KeySource | undefined;
  /** Default: TOGETHER_BASE_URL, then https://api.together.ai/v1. */
  baseUrl?: string | undefined;
  /**
   * OpenTelemetry tracing (a span per request, one per attempt, traceparent upstream): `true`, options (your own
   * tracer provider, an OTLP endpoint), or `false`. Default: on when OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_*
   * say so, else off (then nothing of OpenTelemetry is loaded).
   */
  tracing?: TracingOption;
  /**
   * The upstream to send to (transport, endpoint paths, error classification, model list): default Together's, over
   * `transport` or a transport built from baseUrl/apiKey. The seam for the emulator, a recorded replay, or another
   * OpenAI-compatible service. Closed by close().
   */
  upstream?: Upstream | undefined;
  /** Environment to read TOGETHER_API_KEY / TOGETHER_BASE_URL from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** A transport to send through (the pipeline then neither creates nor closes one). */
  transport?: Transport | undefined;
  /** A ready catalog (not closed by the pipeline), or options for the one the pipeline builds. */
  catalog?: Catalog | PipelineCatalogOptions | undefined;
  /** Fallback routes replacing the default, keyed by model id, family key or group key. */
  routes?: Readonly<Record<string, readonly string[]>> | undefined;
  /** How many models of a DEFAULT route (derived from the family) to fall back along. Default 2. */
  maxFallbacks?: number | undefined;
  /** What a prompt + max_tokens over the context does. Default 'error' (stop before sending, with the numbers). */
  onContextOverflow?: ContextOverflowPolicy | undefined;
  /** Migrate a deprecated id to its successor instead of failing. Default false. */
  allowSuccessor?: boolean | undefined;
  retry?: RetryOptions | undefined;
  /** Pacing per key; `false` turns it off. */
  pacing?: PacingOptions | false | undefined;
  breaker?: PipelineBreakerOptions | undefined;
  /**
   * Retries per key × model limited to a share of recent requests (default 20% + 5/s over 10 s), so retries never
   * multiply an outage; `false` turns the budget off (only maxAttempts then limits retries).
   */
  retryBudget?: PipelineRetryBudgetOptions | false | undefined;
  /**
   * Adaptive throttling per model fed by 503s (default K = 2 over 30 s): a model shedding load gets a steady share
   * of requests, the rest go to its fallback or fail at once. `false` turns it off.
   */
  throttle?: AdaptiveThrottleOptions | false | undefined;
  /**
   * A key stopped by a 402 is probed (one 1-token chat completion to `model`, default the cheapest priced chat
   * model) every `intervalMs` (default 60 s; `false`: never) and resumes by itself when answered. With `store`
   * Redis, stops and resumes are shared by every process on it.
   */
  billingProbe?: { intervalMs?: number | false; model?: string; store?: 'memory' | { redis: string } } | undefined;
  /** Total time per request, every attempt, wait and a streamed body included. Default: none. */
  deadlineMs?: number | undefined;
  /** Per attempt, a streamed body included. Default 10 minutes (the official SDKs' timeout). */
  attemptTimeoutMs?: number | undefined;
  /** Longest silence between two chunks of a streamed response (a JSON body is covered by attemptTimeoutMs). Default 60 s. */
  idleTimeoutMs?: number | undefined;
  /**
   * Completion tokens charged to the tokens/min budget for a request without max_tokens (Together then lets the
   * completion run to the end of the context, which would hold the budget far too long). Default 512.
   */
  assumedCompletionTokens?: number | undefined;
  /**
   * Load a resolved model's tokenizer in the background (default true), so that the first request needing an exact
   * count does not wait ~1 s for it. Tests and short-lived scripts that never overflow can turn it off.
   */
  preloadTokenizers?: boolean | undefined;
  /**
   * Build and run tokenizers on a worker thread (default true), so that a family's first load (0.1–1.6 s of
   * parsing) does not stop this process's event loop and every request in flight with it. Process-wide: it applies
   * to tokenizers loaded from then on. false keeps them on the main thread.
   */
  tokenizerThread?: boolean | undefined;
  /** The event bus to report on (default: a new one, `pipeline.events`). */
  events?: PolicyEvents | undefined;
  /**
   * The most bytes of an upstream answer read whole (a JSON completion, an error body, the model list). Past it the
   * read stops, the connection is closed and the request fails with a `server` error (code `response_too_large`,
   * 502 through resilientFetch and the gateway). Default 64 MiB, far above any real completion.
   */
  maxResponseBytes?: number | undefined;
  /**
   * The longest one streamed (SSE) event may grow without ending. Past it the stream is stopped with a `server`
   * error (code `stream_event_too_large`). Default 1 MiB; a real chunk is a few hundred bytes.
   */
  maxStreamEventBytes?: number | undefined;
  /**
   * More values never to repeat in any form (raw, URL-encoded, JSON-escaped, hex, base64) in an error, an answer or
   * an event: e.g. every upstream key a gateway is configured with. The pipeline's own key and every key a request
   * was sent with are always included.
   */
  secrets?: readonly string[] | undefined;
}

export const PIPELINE_DEFAULTS = {
  maxFallbacks: 2,
  onContextOverflow: 'error' as ContextOverflowPolicy,
  attemptTimeoutMs: 600_000,
  idleTimeoutMs: 60_000,
  assumedCompletionTokens: 512,
  maxResponseBytes: 64 * 1024 * 1024,
  maxStreamEventBytes: 1024 * 1024,
};

const POLICIES: readonly ContextOverflowPolicy[] = ['error', 'clamp', 'fallback', 'truncate'];

function positive(name: string, value: unknown, integer = false): void {
  if (value === undefined) return;
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
  if (!ok) throw new RangeError(`createPipeline: ${name} must be a positive ${integer ? 'integer' : 'number'} (got ${String(value)}).`);
}

/** Throws a RangeError/TypeError naming the first bad option. */
export function checkPipelineOptions(options: PipelineOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('createPipeline: options must be an object.');
  positive('deadlineMs', options.deadlineMs);
  positive('attemptTimeoutMs', options.attemptTimeoutMs);
  positive('idleTimeoutMs', options.idleTimeoutMs);
  positive('assumedCompletionTokens', options.assumedCompletionTokens, true);
  positive('maxResponseBytes', options.maxResponseBytes, true);
  positive('maxStreamEventBytes', options.maxStreamEventBytes, true);
  if (options.secrets !== undefined && (!Array.isArray(options.secrets) || options.secrets.some((s) => typeof s !== 'string'))) {
    throw new TypeError('createPipeline: secrets must be a list of strings.');
  }
  if (options.maxFallbacks !== undefined && !(Number.isInteger(options.maxFallbacks) && options.maxFallbacks >= 0)) {
    throw new RangeError(`createPipeline: maxFallbacks must be an integer >= 0 (got ${String(options.maxFallbacks)}).`);
  }
  checkOverflowPolicy('onContextOverflow', options.onContextOverflow);
  if (options.pacing) {
    const store = options.pacing.store;
    if (store !== undefined && store !== 'memory' && typeof store?.redis !== 'string') {
      throw new TypeError("createPipeline: pacing.store must be 'memory' or { redis: 'redis://host:port' }.");
    }
  }
  const probeStore = options.billingProbe?.store;
  if (probeStore !== undefined && probeStore !== 'memory' && typeof probeStore?.redis !== 'string') {
    throw new TypeError("createPipeline: billingProbe.store must be 'memory' or { redis: 'redis://host:port' }.");
  }
  const budgetStore = options.retryBudget ? options.retryBudget.store : undefined;
  if (budgetStore !== undefined && budgetStore !== 'memory' && typeof budgetStore?.redis !== 'string') {
    throw new TypeError("createPipeline: retryBudget.store must be 'memory' or { redis: 'redis://host:port' }.");
  }
  const breakerStore = options.breaker?.store;
  if (breakerStore !== undefined && breakerStore !== 'memory' && typeof breakerStore?.redis !== 'string') {
    throw new TypeError("createPipeline: breaker.store must be 'memory' or { redis: 'redis://host:port' }.");
  }
  if (options.routes !== undefined) {
    for (const [key, route] of Object.entries(options.routes)) {
      if (!Array.isArray(route) || route.some((id) => typeof id !== 'string' || id === '')) {
        throw new TypeError(`createPipeline: routes["${key}"] must be a list of model ids.`);
      }
    }
  }
}

export function checkOverflowPolicy(name: string, value: unknown): void {
  if (value !== undefined && !POLICIES.includes(value as ContextOverflowPolicy)) {
    throw new RangeError(`${name} must be one of ${POLICIES.map((p) => `'${p}'`).join(', ')} (got ${JSON.stringify(value)}).`);
  }
}

/** The key and where it came from: the option, else TOGETHER_API_KEY. */
export function resolveApiKey(options: PipelineOptions): { apiKey: string | undefined; keySource: KeySource | undefined } {
  const found = findApiKey(options.apiKey, options.keySource, options.env ?? process.env);
  // A caller's own keySource names the place even when the key was read from the environment on its behalf.
  return { apiKey: found?.apiKey, keySource: options.keySource ?? found?.source };
}

export function isCatalog(value: PipelineOptions['catalog']): value is Catalog {
  return typeof (value as Catalog | undefined)?.resolve === 'function' && typeof (value as Catalog).fallbackRoute === 'function';
}
