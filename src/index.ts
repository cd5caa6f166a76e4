// tether as a library: the typed client, a fetch for the openai / together-ai SDKs, the pipeline underneath, and the
// error taxonomy every failure is reported in.
export { createClient, resilientFetch, createPipeline } from './pipeline/index.js';
export type {
  ClientOptions,
  CallOptions,
  TetherClient,
  TetherStream,
  ResilientFetch,
  ResilientFetchOptions,
  PipelineOptions,
  PacingOptions,
  Pipeline,
  PipelineRequest,
  PipelineResult,
  JsonResult,
  StreamResult,
  PipelineState,
  RequestOverrides,
  UsageRecord,
  Endpoint,
  ContextOverflowPolicy,
} from './pipeline/index.js';
export { TogetherError, isTogetherError, classify, classifyNetworkError, ERROR_CATEGORIES } from './errors/index.js';
export type { ErrorCategory, TogetherErrorFields, KeySource } from './errors/index.js';
export { PolicyEvents } from './policy/index.js';
export type { PolicyEvent, PolicyEventMap, PolicyEventName, BreakerState, FallbackReason, RetryOptions, BreakerOptions } from './policy/index.js';
export type {
  ChatCompletionRequest,
  ChatCompletionResponse,
  ChatCompletionChunk,
  CompletionRequest,
  CompletionResponse,
  CompletionChunk,
  EmbeddingsRequest,
  EmbeddingsResponse,
  Usage,
} from './api/index.js';
export type { CatalogModel } from './catalog/index.js';
