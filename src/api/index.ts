// Public API of the api module: HTTP transport, endpoint paths, wire types, request schemas, SSE.
// It moves bytes and parses formats; what a status or a cut stream means is decided by its callers.
export { createTransport, normaliseApiKey, DEFAULT_USER_AGENT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_FILE_BYTES } from './transport.js';
export type { Transport, TransportOptions, SendRequest, RawResponse, RawRequestBody, HttpMethod } from './transport.js';
export type { ResponseBody } from './response-body.js';
export type { TextResponse } from './buffered-response.js';
export { DEFAULT_BASE_URL, resolveBaseUrl, parseBaseUrl, joinPath, formatQuery } from './base-url.js';
export type { BaseUrlParts, QueryValue } from './base-url.js';
export { PATHS, pathTo, INFERENCE_PATHS } from './paths.js';
export type { EndpointName } from './paths.js';
export { parseSSE, DEFAULT_MAX_STREAM_EVENT_BYTES, formatSSE, forwardSSE, formatSSEComment, SSE_DONE, SSEStreamError, isSSEStreamError } from './sse.js';
export type { ParseSSEOptions, SSEStreamErrorKind, SSEStreamErrorFields } from './sse.js';
export {
  chatCompletionRequestSchema,
  chatMessageSchema,
  completionRequestSchema,
  embeddingsRequestSchema,
  checkRequestBody,
  formatIssuePath,
} from './schemas.js';
export type { ChatMessage, ChatCompletionRequest, CompletionRequest, EmbeddingsRequest, BodyCheck, BodyIssue } from './schemas.js';
export { listModels, parseModelList } from './models.js';
export type { ListModelsOptions } from './models.js';
export type {
  FinishReason,
  Usage,
  ToolCall,
  LogprobsPart,
  InferenceWarning,
  ChatCompletionMessage,
  ChatCompletionChoice,
  ChatCompletionResponse,
  ChatCompletionDelta,
  ChatCompletionChunkChoice,
  ChatCompletionChunk,
  CompletionChoice,
  CompletionResponse,
  CompletionToken,
  CompletionChunk,
  Embedding,
  EmbeddingsResponse,
  ModelType,
  ModelPricing,
  ModelInfo,
  ErrorBody,
} from './types.js';
export { togetherUpstream, TOGETHER_INFERENCE_PATHS } from './upstream.js';
export type { Upstream, InferenceEndpoint } from './upstream.js';
