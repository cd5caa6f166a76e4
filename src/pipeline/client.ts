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
import type { PolicyEvents } from '../policy/index.js';
import type { Endpoint, Pipeline, PipelineResult, PipelineState, RequestOverrides, UsageRecord } from './contract.js';
import type { PipelineOptions } from './options.js';
import { createPipeline } from './pipeline.js';

export interface ClientOptions extends PipelineOptions {
  /** An existing pipeline to send through (not closed by `client.close()`). */
  pipeline?: Pipeline | undefined;
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

  async function call(endpoint: Endpoint, body: unknown, callOptions: CallOptions = {}): Promise<unknown> {
    const { signal, requestId, apiKey, ...overrides } = callOptions;
    let result: PipelineResult;
    try {
      result = await pipeline.send({
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
    async close() {
      if (ownsPipeline) await pipeline.close();
    },
  };
}
