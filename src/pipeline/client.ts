// createClient: typed calls through the pipeline, shaped like the OpenAI/Together SDKs
// (`client.chat.completions.create(body, { signal })`). Failures reject with a TogetherError.
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionChunk,
  CompletionRequest,
  CompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../api/index.js';
import type { CatalogModel } from '../catalog/index.js';
import { withFrontDoorFix } from '../errors/index.js';
import { Redis } from 'ioredis';
import { BUDGET_PERIODS, MemorySpendStore, RedisSpendStore, SpendBudgets } from '../policy/index.js';
import type { BudgetLimit, BudgetReading, PolicyEvents } from '../policy/index.js';
import type { Endpoint, Pipeline, PipelineResult, PipelineState, RequestOverrides, UsageRecord } from './contract.js';
import type { PipelineOptions } from './options.js';
import { createPipeline } from './pipeline.js';
import { modelLookupFrom, withSpendBudget } from './spend-budget-layer.js';

export interface ClientOptions extends PipelineOptions {
  /** An existing pipeline to send through (not closed by `client.close()`). */
  pipeline?: Pipeline | undefined;
  /**
   * A spend budget for this client: at most `usd` per UTC day, month or in total. Each request reserves its worst
   * case before it is sent and settles to its real cost (docs/spend.md, "Budgets"). With `redis`, clients with the
   * same `name` on the same Redis share it; `name` defaults to `library`.
   */
  budget?: (BudgetLimit & { name?: string | undefined; redis?: string | undefined }) | undefined;
}

/** Per-call options: cancellation, a request id for events and logs, a key, and the pipeline's per-request overrides. */
export interface CallOptions extends RequestOverrides {
  signal?: AbortSignal | undefined;
  requestId?: string | undefined;
  /** Another key for this call (default: the client's). */
  apiKey?: string | undefined;
}

/** A streamed answer: iterate it for chunks (once). A failure mid-stream is thrown by the iterator. */
export interface TetherStream<Chunk> extends AsyncIterable<Chunk> {
  /** The model answering (after migration and fallback). */
  readonly model: string;
  readonly requestedModel: string;
  readonly attempts: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Settles when the stream ends: its usage and cost, or the error that broke it. */
  readonly done: Promise<UsageRecord>;
}

type Streaming<B> = B & { stream: true };
type NotStreaming<B> = B & { stream?: false | null | undefined };

export interface ChatCompletions {
  create(body: Streaming<ChatCompletionRequest>, options?: CallOptions): Promise<TetherStream<ChatCompletionChunk>>;
  create(body: NotStreaming<ChatCompletionRequest>, options?: CallOptions): Promise<ChatCompletionResponse>;
  create(body: ChatCompletionRequest, options?: CallOptions): Promise<ChatCompletionResponse | TetherStream<ChatCompletionChunk>>;
}

export interface Completions {
  create(body: Streaming<CompletionRequest>, options?: CallOptions): Promise<TetherStream<CompletionChunk>>;
  create(body: NotStreaming<CompletionRequest>, options?: CallOptions): Promise<CompletionResponse>;
  create(body: CompletionRequest, options?: CallOptions): Promise<CompletionResponse | TetherStream<CompletionChunk>>;
}

export interface TetherClient {
  readonly chat: { readonly completions: ChatCompletions };
  readonly completions: Completions;
  readonly embeddings: { create(body: EmbeddingsRequest, options?: CallOptions): Promise<EmbeddingsResponse> };
  readonly models: { list(options?: { signal?: AbortSignal | undefined }): Promise<CatalogModel[]> };
  /** attempt, retry, fallback, breaker, pacing_wait, outcome: subscribe with `events.on(name, fn)` / `onAny(fn)`. */
  readonly events: PolicyEvents;
  /** The pipeline underneath (for `send` with the full result: model, attempts, usage and cost). */
  readonly pipeline: Pipeline;
  state(): PipelineState;
  /** Lets a key stopped by a 402 send again, once credit is added (default: the client's key). */
  resetKey(apiKey?: string): boolean;
  /** The budget's current window: spent, reserved, when it resets; undefined without a budget. */
  budget(): Promise<BudgetReading | undefined>;
  close(): Promise<void>;
}

function toStream<Chunk>(result: Extract<PipelineResult, { kind: 'stream' }>): TetherStream<Chunk> {
  return {
    model: result.model,
    requestedModel: result.requestedModel,
    attempts: result.attempts,
    headers: result.headers,
    done: result.done,
    [Symbol.asyncIterator]: () => (result.chunks as AsyncIterable<Chunk>)[Symbol.asyncIterator](),
  };
}

export function createClient(options: ClientOptions = {}): TetherClient {
  const pipeline = options.pipeline ?? createPipeline(options);
  const ownsPipeline = options.pipeline === undefined;
  const budget = options.budget === undefined ? undefined : openBudget(options.budget);
  const send = budget === undefined ? (request: Parameters<Pipeline['send']>[0]) => pipeline.send(request) : withSpendBudget((request) => pipeline.send(request), budget.binding, modelLookupFrom((signal) => pipeline.listModels(signal)));

  async function call(endpoint: Endpoint, body: unknown, callOptions: CallOptions = {}): Promise<unknown> {
    const { signal, requestId, apiKey, ...overrides } = callOptions;
    let result: PipelineResult;
    try {
      result = await send({
        endpoint,
        body,
        overrides,
        ...(signal !== undefined ? { signal } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
        ...(apiKey !== undefined ? { apiKey } : {}),
      });
    } catch (error) {
      // A 402's fix names this client's way to resume (client.resetKey()).
      throw withFrontDoorFix(error, 'library');
    }
    return result.kind === 'json' ? result.body : toStream(result);
  }

  return {
    chat: { completions: { create: ((body: unknown, o?: CallOptions) => call('chat', body, o)) as ChatCompletions['create'] } },
    completions: { create: ((body: unknown, o?: CallOptions) => call('completions', body, o)) as Completions['create'] },
    embeddings: { create: (body, o) => call('embeddings', body, o) as Promise<EmbeddingsResponse> },
    models: { list: (o = {}) => pipeline.listModels(o.signal) as Promise<CatalogModel[]> },
    events: pipeline.events,
    pipeline,
    state: () => pipeline.state(),
    resetKey: (apiKey) => pipeline.resetKey(apiKey),
    budget: async () => (budget === undefined ? undefined : budget.binding.budgets.read(budget.binding.name, budget.binding.limit)),
    async close() {
      if (ownsPipeline) await pipeline.close();
      await budget?.close();
    },
  };
}

/** Checks `createClient`'s budget option and opens its store (memory, or Redis when `redis` is given). */
function openBudget(option: NonNullable<ClientOptions['budget']>): { binding: { budgets: SpendBudgets; name: string; limit: BudgetLimit }; close(): Promise<void> } {
  if (typeof option.usd !== 'number' || !Number.isFinite(option.usd) || option.usd <= 0) {
    throw new TypeError(`createClient: budget.usd must be a positive number of US dollars (got ${String(option.usd)}).`);
  }
  if (!BUDGET_PERIODS.includes(option.per)) {
    throw new TypeError(`createClient: budget.per must be one of ${BUDGET_PERIODS.map((p) => `'${p}'`).join(', ')} (got ${JSON.stringify(option.per)}).`);
  }
  if (option.redis !== undefined && !/^rediss?:\/\//.test(option.redis)) throw new TypeError('createClient: budget.redis must be a redis:// or rediss:// URL.');
  const redis = option.redis === undefined ? undefined : new Redis(option.redis, { maxRetriesPerRequest: 1, disconnectTimeout: 50 });
  redis?.on('error', () => {}); // a reserve that fails refuses its request with a clear error
  const budgets = new SpendBudgets(redis === undefined ? new MemorySpendStore() : new RedisSpendStore(redis));
  return {
    binding: { budgets, name: option.name ?? 'library', limit: { usd: option.usd, per: option.per } },
    async close() {
      if (redis !== undefined) await redis.quit().then(() => {}, () => redis.disconnect());
    },
  };
}
