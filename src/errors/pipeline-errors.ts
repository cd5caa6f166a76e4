// The TogetherErrors the pipeline raises itself, before or instead of an upstream answer: an invalid body, a model
// id the catalog refuses, a prompt that cannot fit, no key, an open circuit, a stream that broke, an abort.
// Each names what was wrong and the next step; none carries an API key.
// (Moved from src/pipeline/errors.ts: every TogetherError is built in the errors module. The inputs are described
// structurally — a body issue, a catalog refusal, a broken stream — so this module imports nothing above it.)
import { classify } from './classify.js';
import { streamEventTooLargeError } from './limits.js';
import { CATEGORY_DEFAULTS } from './table.js';
import type { KeySource } from './table.js';
import { TogetherError, isTogetherError } from './together-error.js';
import type { ErrorCategory } from './together-error.js';

/** The inference endpoints the pipeline runs (the pipeline's `Endpoint`). */
type Endpoint = 'chat' | 'completions' | 'embeddings' | 'images' | 'rerank' | 'speech' | 'transcriptions' | 'translations';

/** One schema issue of a request body (api's `BodyIssue`). */
interface BodyIssue {
  path: string;
  message: string;
}

/** Why the catalog refused a model id, with what to suggest (catalog's `UnresolvedModel`). */
export interface UnresolvedModelFacts {
  reason: 'unknown' | 'deprecated' | 'not_serverless' | 'tier_gated';
  id: string;
  message: string;
  fix: string;
  suggestions: readonly string[];
  successor?: string | undefined;
}

/** A broken SSE stream (api's `SSEStreamError`). */
interface StreamFailure {
  kind: string;
  message: string;
  chunksReceived: number;
  cause?: unknown;
  error?: unknown;
  limit?: number | undefined;
}

const ENDPOINT_PATHS: Record<Endpoint, string> = {
  chat: 'POST /chat/completions',
  completions: 'POST /completions',
  embeddings: 'POST /embeddings',
  images: 'POST /images/generations',
  rerank: 'POST /rerank',
  speech: 'POST /audio/speech',
  transcriptions: 'POST /audio/transcriptions',
  translations: 'POST /audio/translations',
};

/** A body the schema refuses: never sent (Together would answer 400 with one issue; this lists them all). */
export function invalidBodyError(endpoint: Endpoint, message: string, issues: readonly BodyIssue[]): TogetherError {
  const first = issues[0];
  return new TogetherError({
    category: 'validation',
    code: 'invalid_request_body',
    ...(first !== undefined && first.path !== '(body)' ? { param: first.path } : {}),
    message,
    cause: `The ${ENDPOINT_PATHS[endpoint]} body does not match Together's request schema, so it was not sent.`,
    fix: `Correct ${issues.length === 1 ? 'the field' : `the ${issues.length} fields`} named in the message (the API reference is at https://docs.together.ai/reference).`,
    retryable: false,
    details: { issues: issues.length },
  });
}

const RESOLUTION_CODES: Record<UnresolvedModelFacts['reason'], { category: ErrorCategory; code: string; cause: string }> = {
  unknown: {
    category: 'not_found',
    code: 'model_not_found',
    cause: 'Together model ids must match exactly, and this one is not in the model list, so no request was sent.',
  },
  deprecated: {
    category: 'not_found',
    code: 'model_not_found',
    cause: 'Together retired this model id, so a request naming it would fail; no request was sent.',
  },
  not_serverless: {
    category: 'not_found',
    code: 'model_not_available',
    cause: 'This model runs only on dedicated endpoints, so a serverless request would fail; no request was sent.',
  },
  tier_gated: {
    category: 'auth',
    code: 'tier_too_low',
    cause: "This model needs a higher build tier than the account's, so a request would be refused; no request was sent.",
  },
};

/** The catalog refused the id: stopped before any inference call, with the closest ids and the successor. */
export function unresolvedModelError(resolution: UnresolvedModelFacts): TogetherError {
  const row = RESOLUTION_CODES[resolution.reason];
  const details: Record<string, string> = { reason: resolution.reason };
  if (resolution.suggestions.length > 0) details['suggestions'] = resolution.suggestions.join(', ');
  if (resolution.successor !== undefined) details['successor'] = resolution.successor;
  return new TogetherError({
    category: row.category,
    code: row.code,
    param: 'model',
    message: resolution.message,
    cause: row.cause,
    fix: resolution.fix,
    retryable: false,
    model: resolution.id,
    details,
  });
}

export interface OverflowFacts {
  model: string;
  limit: number;
  promptTokens: number;
  maxTokens: number;
  /** Whether promptTokens is the tokenizer's exact count (else a conservative estimate). */
  exact: boolean;
  /** What the policy tried before giving up, when it was not 'error'. */
  tried?: string;
  /** Set when only the prompt's first `countedChars` characters were counted: promptTokens is then a lower bound. */
  countedChars?: number;
}

function render(sentence: (typeof CATEGORY_DEFAULTS)['context_length']['cause'], facts: OverflowFacts, message: string): string {
  const numbers = { limit: facts.limit, promptTokens: facts.promptTokens, maxTokens: facts.maxTokens };
  return typeof sentence === 'string' ? sentence : sentence({ message, model: facts.model, details: numbers });
}

/** Prompt + max_tokens over the model's context, stopped before sending with the exact numbers. */
export function contextOverflowError(facts: OverflowFacts): TogetherError {
  const counted = !facts.exact ? ' (a conservative estimate: no exact tokenizer for this model)' : facts.countedChars !== undefined ? ` in its first ${facts.countedChars} characters alone` : '';
  const over = facts.countedChars !== undefined ? 'at least ' : '';
  const message =
    `Prompt (${over}${facts.promptTokens} tokens${counted}) + max_tokens (${facts.maxTokens}) = ${over}${facts.promptTokens + facts.maxTokens} ` +
    `exceeds the ${facts.limit}-token context of ${facts.model}; not sent.${facts.tried ? ` ${facts.tried}` : ''}`;
  const defaults = CATEGORY_DEFAULTS.context_length;
  return new TogetherError({
    category: 'context_length',
    code: 'context_length_exceeded',
    param: 'max_tokens',
    message,
    cause: render(defaults.cause, facts, message),
    fix: `${render(defaults.fix, facts, message)} The pipeline can do either for you: onContextOverflow 'clamp' or 'fallback' (or 'truncate', which drops old turns and cuts the longest message to fit).`,
    retryable: false,
    model: facts.model,
    details: { limit: facts.limit, promptTokens: facts.promptTokens, maxTokens: facts.maxTokens },
  });
}

const KEY_HINT: Record<KeySource | 'unknown', string> = {
  env: 'Set TOGETHER_API_KEY',
  flag: 'Pass --api-key',
  config: "Put a key in tether's config file",
  unknown: 'Set TOGETHER_API_KEY or pass apiKey to the client',
};

/** No key at all: Together would answer 401, so nothing is sent. */
export function missingKeyError(keySource: KeySource | undefined): TogetherError {
  return new TogetherError({
    category: 'auth',
    code: 'missing_api_key',
    message: 'No Together API key: nothing was sent.',
    cause: 'Every Together API call needs a key, and none was given (TOGETHER_API_KEY is unset and no apiKey option was passed).',
    fix: `${KEY_HINT[keySource ?? 'unknown']} to a key from https://api.together.xyz/settings/api-keys.`,
    retryable: false,
  });
}

/** Every model of the route has an open circuit: fail fast rather than add load to an overloaded model. */
export function breakerOpenError(models: readonly string[], retryAfterMs: number | undefined): TogetherError {
  const list = models.map((m) => `"${m}"`).join(', ');
  return new TogetherError({
    category: 'overloaded',
    code: 'circuit_open',
    message: `Not sent: the circuit of ${list} is open after repeated overload, and no fallback model is available.`,
    cause: 'The model failed (503/500/timeouts) several times in a row, so tether holds its traffic for a cool-down before probing it again.',
    fix: 'Retry after the cool-down, or add fallback models (the `routes` option or per-request `fallbacks`).',
    retryable: true,
    retryAfterMs,
    model: models[0],
  });
}

/**
 * A broken stream as a TogetherError. A cut (the body ended or failed before `[DONE]`) is `network`; an error frame
 * is classified like an error response; a frame that is not JSON is `server`. Retryable only while nothing has
 * reached the caller: after the first content chunk, re-sending would repeat what the caller already has.
 */
export function streamError(error: StreamFailure, committed: boolean, model: string): TogetherError {
  const retryable = !committed;
  const where = `after ${error.chunksReceived} chunk(s)`;
  const underlying = error.cause;
  if (isTogetherError(underlying) && underlying.category !== 'network') {
    // The transport classified the failure under the cut as something more specific (a timeout).
    return committed ? notRetryable(underlying, where) : underlying;
  }
  if (error.kind === 'too_large') {
    // The same upstream would send the same endless event again: not retried.
    return new TogetherError({ ...streamEventTooLargeError(error.limit ?? 0, error.chunksReceived, model).toJSON(), original: error });
  }
  if (error.kind === 'error_event') {
    const inner = (error.error ?? {}) as { status?: unknown; code?: unknown };
    const status = typeof inner.status === 'number' ? inner.status : typeof inner.code === 'number' ? inner.code : 500;
    const classified = classify({ status, body: { error: error.error }, model });
    return new TogetherError({
      ...classified.toJSON(),
      status: undefined,
      message: `The stream carried an error ${where}: ${classified.message}`,
      retryable: retryable && classified.retryable,
      original: error,
    });
  }
  if (error.kind === 'malformed') {
    return new TogetherError({
      category: 'server',
      code: 'stream_malformed',
      message: `The stream sent a frame that is not JSON ${where}: ${error.message}`,
      cause: 'Something between you and Together (or Together itself) sent a broken server-sent event.',
      fix: 'Retry; if it persists, report the request id to Together support (https://support.together.ai).',
      retryable,
      model,
      original: error,
    });
  }
  const detail = isTogetherError(underlying) ? underlying.message : error.message;
  return new TogetherError({
    category: 'network',
    code: 'stream_cut',
    message: `The stream was cut ${where}, before data: [DONE]: ${detail}`,
    cause: 'The connection closed in the middle of the streamed answer (an upstream restart, a proxy timeout or a network failure).',
    fix: committed
      ? 'The partial answer is incomplete: send the request again (tether retries only before the first chunk reaches you).'
      : 'Retry with backoff; tether does this itself for streams cut before their first chunk.',
    retryable,
    model,
    details: { chunksReceived: error.chunksReceived },
    original: error,
  });
}

function notRetryable(error: TogetherError, where: string): TogetherError {
  if (!error.retryable) return error;
  return new TogetherError({ ...error.toJSON(), message: `${error.message} (${where})`, retryable: false, original: error.original });
}


/** send() on a closed pipeline. */
export function pipelineClosedError(): TogetherError {
  return new TogetherError({
    category: 'network',
    code: 'pipeline_closed',
    message: 'The pipeline is closed: nothing was sent.',
    cause: 'close() was called on this pipeline (or the client that owns it) before this request.',
    fix: 'Create a new client or pipeline to send more requests.',
    retryable: false,
  });
}

export function unknownEndpointError(endpoint: unknown): TogetherError {
  return new TogetherError({
    category: 'validation',
    code: 'unknown_endpoint',
    message: `Unknown endpoint ${JSON.stringify(endpoint)}: the pipeline runs 'chat', 'completions', 'embeddings', 'images', 'rerank', 'speech', 'transcriptions' and 'translations'.`,
    cause: 'The request named an endpoint the pipeline does not run.',
    fix: 'Use one of the endpoints listed; send other paths through the transport directly.',
    retryable: false,
  });
}

export function formWithoutBytesError(): TogetherError {
  return new TogetherError({
    category: 'validation',
    code: 'invalid_request_body',
    message: 'A request with a contentType must carry its body as rawBody (the bytes to send).',
    cause: 'The pipeline sends a non-JSON body (a multipart form) only as the caller gave it.',
    fix: "Pass the form's bytes as rawBody and its media type, boundary included, as contentType.",
    retryable: false,
  });
}

/** A per-request option out of range: a validation error naming it, nothing sent. */
export function invalidOverridesError(message: string): TogetherError {
  return new TogetherError({
    category: 'validation',
    code: 'invalid_overrides',
    message,
    cause: 'A per-request option passed to the pipeline is out of range; nothing was sent.',
    fix: 'Correct the option named in the message.',
    retryable: false,
  });
}

/** A fallback model that cannot take the request at all, as a reason to skip it (whatever made it unusable). */
export function unusableModelError(error: TogetherError): TogetherError {
  return new TogetherError({ ...error.toJSON(), category: 'not_found', original: error.original });
}

/** resilientFetch: a request body that is not JSON. */
export function invalidJsonBodyError(detail: string): TogetherError {
  return new TogetherError({
    category: 'validation',
    code: 'invalid_json',
    message: `The request body is not valid JSON: ${detail}`,
    cause: 'The body sent through resilientFetch could not be parsed, so it was not sent.',
    fix: 'Send a JSON body (the SDKs do this for you).',
    retryable: false,
  });
}

/** resilientFetch: the SDK was left on OpenAI's default base URL. */
export function openAiBaseUrlError(base: string): TogetherError {
  return new TogetherError({
    category: 'validation',
    code: 'base_url_is_openai',
    message: `The SDK sent this call to ${base}, OpenAI's API, not Together's; resilientFetch did not send it (nor the key).`,
    cause: "The SDK was created without a baseURL, so it used its default (OpenAI's); resilientFetch sends each call where the SDK sends it.",
    fix: "Give the SDK Together's base URL: new OpenAI({ baseURL: 'https://api.together.ai/v1', fetch: resilientFetch(...) }) (or your gateway's or emulator's).",
    retryable: false,
  });
}
