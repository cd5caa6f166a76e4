// The pipeline's public contract: what every front door (library, gateway, batch runner, CLI) sends and gets back.
// Front doors code against these types only; src/pipeline/* implements them by composing the stage modules.
import type { TogetherError } from '../errors/index.js';
import type { PolicyEvents, BreakerState } from '../policy/index.js';
import type { Usage } from '../api/index.js';

/** The inference endpoints the pipeline runs stages for. Anything else is passed through (`passthrough`). */
export type Endpoint = TextEndpoint | MediaEndpoint;

/** Endpoints whose prompt the preflight counts against the model's context. */
export type TextEndpoint = 'chat' | 'completions' | 'embeddings';

/**
 * Inference endpoints with no prompt to count: images, rerank and audio. They get every attempt layer (billing stop,
 * breaker, pacing, retries, classification) and the model checks; the body is Together's to validate beyond `model`.
 */
export type MediaEndpoint = 'images' | 'rerank' | 'speech' | 'transcriptions' | 'translations';

/** What a model overflow does before anything is sent. */
export type ContextOverflowPolicy = 'error' | 'clamp' | 'fallback' | 'truncate';

/** Per-request overrides of the pipeline's options (all optional). */
export interface RequestOverrides {
  /** Ordered fallback models after the requested one; [] disables fallback for this request. */
  fallbacks?: string[];
  onContextOverflow?: ContextOverflowPolicy;
  /** Move a deprecated id to its successor instead of failing. */
  allowSuccessor?: boolean;
  maxAttempts?: number;
  /** Total deadline for the whole request, all attempts and waits included. */
  deadlineMs?: number;
  /** Per-attempt timeout; for a stream it covers the whole body. */
  attemptTimeoutMs?: number;
  /** Longest silence allowed between two stream chunks. */
  idleTimeoutMs?: number;
}

export interface PipelineRequest {
  endpoint: Endpoint;
  /** The OpenAI/Together wire body as the caller sent it (unchecked: the first stage checks it). */
  body: unknown;
  /**
   * The exact JSON text `body` was parsed from, when the caller has it (a gateway forwarding its client's bytes).
   * Sent upstream as is when the pipeline leaves the body unchanged (no migration, clamp or fallback), which saves
   * serialising `body` again. It must be the JSON of `body`: nothing checks that.
   */
  rawBody?: string | Uint8Array;
  /**
   * The media type of `rawBody` when it is not JSON (a multipart form for audio transcriptions). Then `rawBody` is
   * sent as is, `body` holds the fields the stages read (`model`), and the request is never moved to another model
   * (a form cannot be rewritten): no fallback, no successor.
   */
  contentType?: string;
  /** Upstream key for this request (a gateway forwarding its caller's key); default: the pipeline's key. */
  apiKey?: string;
  signal?: AbortSignal;
  /** The caller's request id, carried into events and logs. */
  requestId?: string;
  /** The caller's W3C trace context (`traceparent`, `tracestate` headers): the request's span continues that trace. */
  traceparent?: string;
  tracestate?: string;
  overrides?: RequestOverrides;
}

/** What one finished request cost and used; `costUsd` is usage × the catalog's pricing where known. */
export interface UsageRecord {
  model: string;
  usage?: Usage;
  costUsd?: number;
}

/** What onContextOverflow 'truncate' did to the messages sent (see the `truncated` event). */
export interface TruncationSummary {
  droppedMessages: number;
  cutMessageIndex: number | undefined;
  tokensBefore: number;
  tokensAfter: number;
}

interface ResultBase {
  /** The model that answered (after migration and fallback). */
  model: string;
  /** The model the caller asked for. */
  requestedModel: string;
  /** Upstream response headers of the answering attempt (lower-case names), e.g. x-request-id, x-ratelimit-*. */
  headers: Record<string, string>;
  /** Attempts made in all (retries and fallbacks included). */
  attempts: number;
  requestId?: string;
  /** Set when onContextOverflow 'truncate' changed the messages. */
  truncated?: TruncationSummary;
}

export interface JsonResult extends ResultBase {
  kind: 'json';
  status: number;
  /** The upstream JSON body (its `model` field is the answering model). */
  body: unknown;
  /**
   * The same body exactly as upstream sent it (the text `body` was parsed from), so a front door that forwards it
   * unchanged can skip serialising `body` again. Absent when the body was not read as text.
   */
  rawBody?: string;
  /** An answer that is not JSON (audio from `speech`): its bytes and media type; `body` is then undefined. */
  binary?: { contentType: string; bytes: Uint8Array };
  record: UsageRecord;
}

export interface StreamResult extends ResultBase {
  kind: 'stream';
  status: 200;
  /**
   * Parsed SSE chunks as they arrive. Ends normally only after upstream's `[DONE]`; a cut, stalled (idle timeout)
   * or erroring stream throws a TogetherError from the iterator — never a clean end. Breaking out of the loop
   * (or the request's signal aborting) cancels the upstream request.
   */
  chunks: AsyncIterable<unknown>;
  /** Resolves when the stream has ended, with the usage seen in its last chunk (if any). */
  done: Promise<UsageRecord>;
}

export type PipelineResult = JsonResult | StreamResult;

/** State for diagnostics and dashboards: pacing headroom per key and breaker state per model. */
export interface PipelineState {
  pacing: Array<{
    /** Key fingerprint, never the key. */
    key: string;
    requestsPerSecond?: number;
    requestsRemaining?: number;
    tokensPerMinute?: number;
    tokensRemaining?: number;
    queued: number;
  }>;
  breakers: Array<{ model: string; state: BreakerState }>;
  /** Fingerprints of the keys a 402 stopped (see `resetKey`). */
  stoppedKeys?: string[];
}

export interface Pipeline {
  /**
   * Runs one request through every stage. Rejects with a TogetherError, never anything else (a caller's abort
   * too: category `network`, code `AbortError`, the signal's reason in `original`).
   */
  send(request: PipelineRequest): Promise<PipelineResult>;
  /** Together's model list through the catalog (cached). */
  listModels(signal?: AbortSignal): Promise<unknown[]>;
  /** Every stage reports here: attempt, retry, fallback, breaker, pacing_wait, outcome. */
  readonly events: PolicyEvents;
  state(): PipelineState;
  /**
   * After a 402 (billing) nothing more is sent with that key: every request fails at once with the same error.
   * This lets the key send again (default: the pipeline's own key), once credit is added. True if it was stopped.
   */
  resetKey(apiKey?: string): boolean;
  /** Stops background work (catalog refresh, timers) and closes connections. */
  close(): Promise<void>;
}

export type { TogetherError };
