// Together's wire types (responses and stream chunks), as the OpenAPI spec and real captures show them.
// Request body types are inferred from the zod schemas in schemas.ts so the two cannot drift.

export type FinishReason = 'stop' | 'eos' | 'length' | 'tool_calls' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Some models report cached prompt tokens at the top level of `usage`. */
  cached_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export interface ToolCall {
  index?: number;
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface LogprobsPart {
  token_ids?: number[];
  tokens?: string[];
  token_logprobs?: number[];
  top_logprobs?: Record<string, number>;
}

export interface InferenceWarning {
  message: string;
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
  function_call?: { name: string; arguments: string };
  reasoning?: string | null;
}

export interface ChatCompletionChoice {
  index: number;
  text?: string;
  seed?: number;
  finish_reason: FinishReason | null;
  message: ChatCompletionMessage;
  logprobs?: LogprobsPart | null;
}

export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: Usage | null;
  prompt?: Array<{ text?: string; logprobs?: LogprobsPart }>;
  warnings?: InferenceWarning[];
  system_fingerprint?: string;
}

export interface ChatCompletionDelta {
  /** Together-specific: the id of the token this chunk carries. */
  token_id?: number;
  role?: 'system' | 'user' | 'assistant' | 'function' | 'tool';
  content?: string | null;
  reasoning?: string | null;
  tool_calls?: ToolCall[];
  function_call?: { name: string; arguments: string } | null;
}

export interface ChatCompletionChunkChoice {
  index: number;
  /** Together repeats the token text here next to `delta.content`. */
  text?: string;
  delta: ChatCompletionDelta;
  finish_reason: FinishReason | null;
  logprobs?: number | LogprobsPart | null;
  seed?: number | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  /** null on every chunk but the last content chunk, which carries the totals. */
  usage?: Usage | null;
  system_fingerprint?: string;
  warnings?: InferenceWarning[];
}

export interface CompletionChoice {
  index?: number;
  text: string;
  seed?: number;
  finish_reason: FinishReason | null;
  logprobs?: LogprobsPart | null;
}

export interface CompletionResponse {
  id: string;
  object: 'text.completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage: Usage | null;
  prompt?: Array<{ text?: string; logprobs?: LogprobsPart }>;
}

export interface CompletionToken {
  id: number;
  text: string;
  logprob: number;
  special: boolean;
}

export interface CompletionChunk {
  id: string;
  object?: 'completion.chunk';
  created?: number;
  model?: string;
  token?: CompletionToken;
  choices: Array<{ index: number; text?: string; delta?: ChatCompletionDelta; finish_reason?: FinishReason | null }>;
  usage?: Usage | null;
  seed?: number;
  finish_reason?: FinishReason | null;
}

export interface Embedding {
  object: 'embedding';
  embedding: number[];
  index: number;
}

export interface EmbeddingsResponse {
  object: 'list';
  model: string;
  data: Embedding[];
  usage?: Usage | null;
}

export type ModelType = 'chat' | 'language' | 'code' | 'image' | 'embedding' | 'moderation' | 'rerank' | 'audio' | 'transcribe' | 'video';

export interface ModelPricing {
  hourly?: number;
  /** USD per 1M input tokens. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
  base?: number;
  finetune?: number;
  cached_input?: number;
}

/** One entry of `GET /models` (which answers a bare JSON array of these). */
export interface ModelInfo {
  id: string;
  object: 'model';
  created: number;
  /** One of {@link ModelType}; kept open because Together adds types before the spec does. */
  type: string;
  display_name?: string;
  organization?: string;
  link?: string;
  license?: string;
  context_length?: number;
  pricing?: ModelPricing;
}

/** Together's error envelope (`ErrorData`), plus the top-level `id` real responses carry. */
export interface ErrorBody {
  id?: string;
  error: {
    message: string;
    type?: string;
    param?: string | null;
    code?: string | null;
  };
}
